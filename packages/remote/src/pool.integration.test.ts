// Against a real OpenSSH sshd on a lab host: channel cap, connection reuse and latency, idle close, eviction, drain.
import { startLabHost, type TLabHost } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthFailedError,
  ChannelRefusedError,
  ConnectionLostError,
  PoolClosedError,
  createSshPool,
  type TSshTarget,
} from "./index.ts";
import { pinnedTarget } from "./test-support.ts";

let lab: TLabHost;
let postgres: TSshTarget;

beforeAll(async () => {
  lab = await startLabHost({ name: "remote-pool" });
  postgres = pinnedTarget(lab, lab.logins.postgres);
});

afterAll(async () => {
  await lab.stop();
});

/** SSH connections of a user as the host sees them: one `sshd: USER@notty` process each. */
async function countSessions(user: string): Promise<number> {
  const { stdout } = await lab.exec("ps -eo args=");
  return stdout.split("\n").filter((line) => line.trim() === `sshd: ${user}@notty`).length;
}

/** The sshd process serving the connection a command ran on (the parent of the wrapper's `timeout`). */
const sessionPidCommand = "ps -o ppid= -p $PPID";

describe("channel cap", () => {
  it("runs 12 parallel commands over one connection, never more than 4 at once", async () => {
    const pool = createSshPool({ maxChannelsPerConnection: 4 });
    const log = `/tmp/pgrescue-pool-${String(process.pid)}-${String(Date.now())}.log`;
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          pool.run(
            postgres,
            `echo "start $(date +%s%N)" >> ${log}; sleep 0.5; echo "end $(date +%s%N)" >> ${log}; echo ${String(index)}`,
          ),
        ),
      );
      expect(results.map((result) => result.stdout.trim())).toEqual(
        Array.from({ length: 12 }, (_, index) => String(index)),
      );
      expect(await countSessions("postgres")).toBe(1);
      // What the host saw: the largest number of commands running at the same moment.
      const events = (await lab.exec(`cat ${log}`, { user: "postgres" })).stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" "))
        .map(([kind, at]) => ({ delta: kind === "start" ? 1 : -1, at: BigInt(at ?? "0") }))
        .sort((a, b) => (a.at === b.at ? a.delta - b.delta : a.at < b.at ? -1 : 1));
      let running = 0;
      let peak = 0;
      for (const event of events) {
        running += event.delta;
        peak = Math.max(peak, running);
      }
      expect(events).toHaveLength(24);
      expect(peak).toBe(4);
      expect(pool.stats()).toEqual([
        expect.objectContaining({ maxActive: 4, active: 0, queued: 0, connected: true }),
      ]);
    } finally {
      await pool.close();
      await lab.exec(`rm -f ${log}`);
    }
  });
});

describe("a cap above sshd's MaxSessions (10)", () => {
  it("refuses the excess channels without disturbing the commands already running", async () => {
    const pool = createSshPool({ maxChannelsPerConnection: 12 });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, () => pool.run(postgres, "sleep 2; echo ok")),
      );
      const refused = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(refused.map((outcome) => (outcome.reason as Error).constructor)).toEqual([
        ChannelRefusedError,
        ChannelRefusedError,
      ]);
      const finished = outcomes.filter((outcome) => outcome.status === "fulfilled");
      expect(finished.map((outcome) => outcome.value.stdout)).toEqual(Array(10).fill("ok\n"));
    } finally {
      await pool.close();
    }
  });
});

describe("connection reuse", () => {
  it("runs one command after another over the same connection (the cost is measured in bench/)", async () => {
    const pool = createSshPool();
    try {
      const sessions: string[] = [];
      for (let round = 0; round < 5; round += 1) {
        sessions.push((await pool.run(postgres, sessionPidCommand)).stdout.trim());
      }
      expect(sessions[0]).toMatch(/^\d+$/);
      expect(new Set(sessions).size).toBe(1);
      expect(pool.stats()).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it("closes idle connections", async () => {
    const pool = createSshPool({ idleTimeoutMs: 200 });
    try {
      await pool.run(postgres, "true");
      expect(pool.stats()).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(pool.stats()).toEqual([]);
      expect((await pool.run(postgres, "echo again")).stdout).toBe("again\n");
    } finally {
      await pool.close();
    }
  });

  it("evicts a broken connection and reconnects on the next run", async () => {
    const pool = createSshPool();
    try {
      const first = Number((await pool.run(postgres, sessionPidCommand)).stdout.trim());
      expect(first).toBeGreaterThan(1);
      await lab.exec(`kill -9 ${String(first)}`);
      await waitFor(() => pool.stats()[0]?.connected === false);
      const second = Number((await pool.run(postgres, sessionPidCommand)).stdout.trim());
      expect(second).toBeGreaterThan(1);
      expect(second).not.toBe(first);
    } finally {
      await pool.close();
    }
  });

  it("reports a connection lost mid-command as such, without claiming the command failed or succeeded", async () => {
    const pool = createSshPool();
    try {
      const sleeping = pool.run(postgres, "sleep 4; echo done", { timeoutMs: 20_000 });
      const session = Number((await pool.run(postgres, sessionPidCommand)).stdout.trim());
      await lab.exec(`kill -9 ${String(session)}`);
      const error: unknown = await sleeping.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect(error).toMatchObject({ code: "CONNECTION_LOST", commandStarted: true });
    } finally {
      await pool.close();
    }
  });

  it("does not retry a refused login for every queued command", async () => {
    const debug: string[] = [];
    const pool = createSshPool({ maxChannelsPerConnection: 2, debug: (line) => debug.push(line) });
    const wrongKey = pinnedTarget(lab, lab.logins.postgres, {
      kind: "key",
      privateKey: lab.logins.admin.privateKey,
    });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => pool.run(wrongKey, "true")),
      );
      expect(
        outcomes.map(
          (outcome) => outcome.status === "rejected" && outcome.reason instanceof AuthFailedError,
        ),
      ).toEqual(Array(6).fill(true));
      expect(debug.filter((line) => line.includes("USERAUTH_REQUEST (publickey"))).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });
});

describe("close", () => {
  it("lets accepted commands finish, then refuses new ones and disconnects", async () => {
    const pool = createSshPool({ maxChannelsPerConnection: 2 });
    const running = [1, 2, 3].map((index) =>
      pool.run(postgres, `sleep 0.3; echo ${String(index)}`),
    );
    await pool.close();
    expect((await Promise.all(running)).map((result) => result.stdout)).toEqual([
      "1\n",
      "2\n",
      "3\n",
    ]);
    expect(pool.stats()).toEqual([]);
    await expect(pool.run(postgres, "true")).rejects.toBeInstanceOf(PoolClosedError);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
