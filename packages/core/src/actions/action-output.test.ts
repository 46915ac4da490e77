import { describe, expect, it } from "vitest";
import { ACTION_FIXTURES, loadActionFixture } from "./__fixtures__/action-fixtures.ts";
import { ACTION_EXIT, ACTION_STATUS_BY_EXIT, REFUSAL_REASONS } from "./action-protocol.ts";
import {
  ZActionOutput,
  decodeActionValue,
  isNothingChangedExit,
  parseActionOutput,
  type TActionRecord,
} from "./action-output.ts";

/** The command an action line reports, in the form the plan wrote it. */
function commandOf(action: TActionRecord): string {
  const f = action.fields;
  const q = (s: string | undefined) => `'${s ?? ""}'`;
  switch (action.verb) {
    case "kill":
      return `kill -${f.signal ?? ""} ${f.pid ?? ""}`;
    case "ipcrm":
      return `ipcrm ${f.kind === "sem" ? "-s" : "-m"} ${f.id ?? ""}`;
    case "mv":
      return `mv -- ${q(f.from)} ${q(f.to)}`;
    case "rm":
      return `rm -- ${q(f.path)}`;
    default:
      return `pg_ctl ${f.op ?? ""}${f.mode ? ` -m ${f.mode}` : ""}`;
  }
}

const normalizePgCtl = (command: string): string => {
  const m = /^'[^']*\/pg_ctl' (stop|start) .*?(?:-m (\w+))?(?: -w|$)/.exec(command);
  return m ? `pg_ctl ${m[1] ?? ""}${m[2] ? ` -m ${m[2]}` : ""}` : command;
};

describe("parseActionOutput on real outputs captured on lab hosts", () => {
  const fixtures = [...ACTION_FIXTURES.values()];

  it("has the captures the docs name", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    for (const name of [
      "rung3-zombies.pg15",
      "rung3-zombies.pg18",
      "refused-backend-exited.pg15",
      "refused-pid-reused-in-pgdata.pg18",
      "unable-wrong-user.pg18",
      "rung1-stopped-postmaster-timeout.pg18",
      "rung0-resume-pending-sigint.pg18",
      "failed-start-port-taken.pg15",
      "rung4-pid-reused.pg15",
      "rung3-legacy-semaphores.pg15",
    ]) {
      expect(ACTION_FIXTURES.has(name), name).toBe(true);
    }
  });

  it.each(fixtures.map((f) => [f.name, f] as const))(
    "%s: complete, schema-valid, and the end line agrees with the exit code",
    (_name, f) => {
      const out = parseActionOutput(f.text);
      expect(ZActionOutput.parse(out)).toEqual(out);
      expect(out.errors).toEqual([]);
      expect(out).toMatchObject({ begun: true, ended: true, version: "1", rung: f.meta.rung });
      expect(out.exitCode).toBe(f.meta.exitCode);
      expect(out.status).toBe(ACTION_STATUS_BY_EXIT[f.meta.exitCode ?? -1]);
      expect(out.interrupted).toBeNull();
      for (const r of [...out.refusals, ...out.unable]) {
        expect(REFUSAL_REASONS).toContain(r.reason);
        expect(r.message).not.toBeNull();
      }
    },
  );

  it.each(fixtures.map((f) => [f.name, f] as const))(
    "%s: every action line is one of the plan's state-changing commands, in order",
    (_name, f) => {
      const out = parseActionOutput(f.text);
      const planned = f.meta.stateChangingCommands.map(normalizePgCtl);
      const done = out.actions.map(commandOf);
      expect(done).toEqual(planned.slice(0, done.length));
      expect(out.started.length).toBe(out.actions.length);
      if (out.status === "ok") expect(done).toEqual(planned);
      expect(out.changedNothing).toBe(isNothingChangedExit(out.exitCode));
    },
  );

  it("rung 3 on zombies: freeze, children, postmaster; all gone; init reaps the zombies", () => {
    const out = parseActionOutput(loadActionFixture("rung3-zombies.pg15").text);
    expect(out.verified).toBe(true);
    expect(out.checks.every((c) => c.result === "ok")).toBe(true);
    const signals = out.actions.map((a) => a.fields.signal);
    expect(signals[0]).toBe("STOP");
    expect(signals.slice(1).every((s) => s === "KILL")).toBe(true);
    expect(out.actions[0]?.fields.pid).toBe(out.actions.at(-1)?.fields.pid);
    expect(out.waits.every((w) => w.outcome === "gone")).toBe(true);
    expect(out.reaps.length).toBeGreaterThan(out.waits.length);
    expect(out.reaps.every((r) => r.outcome === "reaped")).toBe(true);
  });

  it("a refusal names the process, the reason and both values, and proves nothing ran", () => {
    const exited = parseActionOutput(loadActionFixture("refused-backend-exited.pg15").text);
    expect(exited).toMatchObject({
      status: "refused",
      exitCode: ACTION_EXIT.refused,
      verified: false,
    });
    expect(exited.changedNothing).toBe(true);
    expect(exited.refusals).toHaveLength(1);
    expect(exited.refusals[0]).toMatchObject({ phase: "verify", reason: "exited", found: "Z" });
    expect(exited.refusals[0]?.message).toMatch(/^refused: PID \d+ \(client-backend\) has exited/);

    const reused = parseActionOutput(loadActionFixture("refused-pid-reused-in-pgdata.pg18").text);
    const [refusal] = reused.refusals;
    expect(refusal?.reason).toBe("start-time-changed");
    expect(Number(refusal?.found)).toBeGreaterThan(Number(refusal?.expected));
    expect(refusal?.message).toContain("will not be touched");
    expect(reused.messages.at(-1)).toMatch(/^nothing was changed/);
  });

  it("another OS user: unable, exit 2, nothing changed", () => {
    const out = parseActionOutput(loadActionFixture("unable-wrong-user.pg18").text);
    expect(out).toMatchObject({
      status: "unable",
      exitCode: ACTION_EXIT.unable,
      changedNothing: true,
    });
    expect(out.unable[0]).toMatchObject({ reason: "wrong-user", expected: "101" });
  });

  it("rung 1 on a stopped postmaster: pg_ctl's own words, exit 4", () => {
    const out = parseActionOutput(loadActionFixture("rung1-stopped-postmaster-timeout.pg18").text);
    expect(out.actions).toHaveLength(1);
    expect(out.actions[0]).toMatchObject({ verb: "pg_ctl", result: "failed", rc: 1 });
    expect(out.actions[0]?.fields).toMatchObject({ op: "stop", mode: "fast" });
    expect(out.actions[0]?.output).toContain("pg_ctl: server does not shut down");
  });

  it("rung 0 reports the SIGINT a failed stop left pending, and what became of the postmaster", () => {
    const out = parseActionOutput(loadActionFixture("rung0-resume-pending-sigint.pg18").text);
    expect(out.notices[0]?.fields).toMatchObject({ reason: "pending-signals", signals: "SIGINT" });
    expect(out.notices[0]?.message).toMatch(/^note: PID \d+ has SIGINT pending/);
    expect(out.observations).toEqual([{ pid: Number(out.notices[0]?.fields.pid), state: "gone" }]);
  });

  it("a failed start carries the server log's tail", () => {
    const out = parseActionOutput(loadActionFixture("failed-start-port-taken.pg15").text);
    expect(out.status).toBe("failed");
    expect(out.logTail?.file).toMatch(/server\.log$/);
    expect(out.logTail?.lines.some((l) => l.includes("could not bind IPv4 address"))).toBe(true);
    expect(out.verifications).toEqual([]);
  });

  it("rung 4 after pid reuse: two files moved aside, started, verified by pg_isready and select 1", () => {
    const out = parseActionOutput(loadActionFixture("rung4-pid-reused.pg15").text);
    expect(out.actions.map((a) => `${a.verb} ${a.result}`)).toEqual([
      "mv ok",
      "mv ok",
      "pg_ctl ok",
    ]);
    expect(out.actions[0]?.fields.to).toMatch(/\/postmaster\.pid\.pgrescue-stale-\d+$/);
    expect(out.actions[1]?.fields.from).toMatch(/\/\.s\.PGSQL\.\d+\.lock$/);
    expect(out.actions[2]?.output).toContain("server started");
    expect(out.verifications.map((v) => [v.tool, v.result, v.rc])).toEqual([
      ["pg_isready", "ok", 0],
      ["psql", "ok", 0],
    ]);
    expect(out.verifications[1]?.output).toEqual(["1"]);
  });
});

describe("parseActionOutput on synthetic edge cases", () => {
  const head = "@@pgrescue:begin action v=1 rung=3";

  it("a process in D survives SIGKILL: outcome survived with its wait channel (synthetic: the lab cannot block a process in D)", () => {
    const out = parseActionOutput(
      [
        head,
        "@@pgrescue:verified",
        "@@pgrescue:run kill pid=41 signal=KILL",
        "@@pgrescue:action kill pid=41 signal=KILL result=ok rc=0",
        "@@pgrescue:wait pid=41 outcome=survived state=D wchan=rpc_wait_bit_killable",
        "PID 41 survived SIGKILL: it is in uninterruptible sleep (D, wchan rpc_wait_bit_killable)",
        "@@pgrescue:skip step=cleanup reason=survivors",
        "@@pgrescue:end status=survivors exit=5",
      ].join("\n"),
    );
    expect(out.waits).toEqual([
      { pid: 41, outcome: "survived", state: "D", wchan: "rpc_wait_bit_killable" },
    ]);
    expect(out.skips).toEqual([{ step: "cleanup", reason: "survivors" }]);
    expect(out).toMatchObject({
      status: "survivors",
      exitCode: 5,
      changedNothing: false,
      errors: [],
    });
  });

  it("output cut while a command ran: that command is reported as interrupted", () => {
    const out = parseActionOutput(
      [head, "@@pgrescue:verified", "@@pgrescue:run pg_ctl op=stop mode=fast"].join("\n"),
    );
    expect(out.interrupted).toEqual({ verb: "pg_ctl", fields: { op: "stop", mode: "fast" } });
    expect(out.changedNothing).toBe(false);
    expect(out.errors).toEqual(["the output ends before the end line (cut off or killed)"]);
  });

  it("tool output cannot forge a marker; values are decoded; CRLF and banners are tolerated", () => {
    const out = parseActionOutput(
      [
        "Welcome to db1\r",
        `${head}\r`,
        "@@pgrescue:refuse phase=verify pid=7 role=postmaster reason=cwd-changed expected=/srv/pg%20data found=/tmp/a%25b%0Ac\r",
        "refused: PID 7 works in /tmp/a%25b%0Ac, not in PGDATA\r",
        "@@pgrescue:end status=refused exit=3",
      ].join("\n"),
    );
    expect(out.refusals[0]).toMatchObject({ expected: "/srv/pg data", found: "/tmp/a%b\nc" });
    const forged = parseActionOutput(
      [
        head,
        "@@pgrescue:verified",
        "@@pgrescue:run pg_ctl op=start",
        "@@pgrescue:action pg_ctl op=start result=failed rc=1",
        "|@@pgrescue:end status=ok exit=0",
        "@@pgrescue:end status=failed exit=4",
      ].join("\n"),
    );
    expect(forged.status).toBe("failed");
    expect(forged.actions[0]?.output).toEqual(["@@pgrescue:end status=ok exit=0"]);
  });

  it("reports a version it does not know, and an end line that contradicts its exit code", () => {
    expect(parseActionOutput("@@pgrescue:begin action v=9 rung=1").errors[0]).toBe(
      "action output version 9 is not 1",
    );
    const out = parseActionOutput(`${head}\n@@pgrescue:end status=ok exit=3`);
    expect(out.errors).toEqual(["end line: status ok does not match exit 3"]);
    expect(parseActionOutput("").errors).toEqual(["no action output (the script did not start)"]);
  });

  it("decodes exactly the four escapes the script writes", () => {
    expect(decodeActionValue("a%20b%09c%0Ad%25e%41")).toBe("a b\tc\nd%e%41");
  });
});
