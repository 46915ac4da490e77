// Every scenario on real PostgreSQL 15 and 18 instances of one lab host, asserted on the host itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffHostStates } from "./capture.ts";
import { startLabHost } from "./lab-host.ts";
import { quoteAll } from "./shell.ts";
import { waitFor } from "./run.ts";
import { PG_SEMA_MAGIC } from "./scenarios.ts";
import { psRows, sshRun } from "./test-support.ts";
import type { TLabHost, TLabInstance } from "./types.ts";

let lab: TLabHost;
const instances = new Map<15 | 18, TLabInstance>();

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-scenarios" });
  const [pg15, pg18] = await Promise.all([
    lab.createInstance({ name: "pg15", major: 15 }),
    lab.createInstance({ name: "pg18", major: 18 }),
  ]);
  instances.set(15, pg15);
  instances.set(18, pg18);
});

afterAll(async () => {
  await lab.stop();
});

function instanceOf(major: 15 | 18): TLabInstance {
  const instance = instances.get(major);
  if (instance === undefined) throw new Error(`no PostgreSQL ${String(major)} instance`);
  return instance;
}

/** A PostgreSQL tool from the instance's bin dir, run inside the host as postgres. */
async function pgTool(
  instance: TLabInstance,
  tool: string,
  args: (string | number)[],
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return lab.exec(quoteAll([`${instance.binDir}/${tool}`, ...args]), {
    user: "postgres",
    timeoutMs,
  });
}

async function pidFileText(instance: TLabInstance): Promise<string | null> {
  const result = await lab.exec(`cat ${instance.pgdata}/postmaster.pid`);
  return result.code === 0 ? result.stdout : null;
}

/** /proc/sysvipc/shm rows by shmid: [key, nattch]. */
async function shmTable(): Promise<Map<number, { key: number; nattch: number }>> {
  const { stdout } = await lab.exec("cat /proc/sysvipc/shm");
  const rows = stdout.trim().split("\n").slice(1);
  return new Map(
    rows.map((row) => {
      const fields = row.trim().split(/\s+/).map(Number);
      return [fields[1] ?? -1, { key: (fields[0] ?? 0) >>> 0, nattch: fields[6] ?? -1 }];
    }),
  );
}

describe.each([15, 18] as const)("PostgreSQL %i", (major) => {
  it("healthy: running, answering queries over ssh", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "healthy");
    expect(state.postmasterPid).toBeGreaterThan(1);
    expect(state.pidFilePid).toBe(state.postmasterPid);
    const postmaster = (await psRows(lab)).find((row) => row.pid === state.postmasterPid);
    expect(postmaster).toMatchObject({ ppid: 1, user: "postgres" });
    expect(
      (await lab.exec(`readlink /proc/${String(state.postmasterPid)}/cwd`)).stdout.trim(),
    ).toBe(instance.pgdata);
    const query = await sshRun(
      lab,
      { key: lab.logins.postgres },
      quoteAll([
        `${instance.binDir}/psql`,
        "-X",
        "-At",
        "-h",
        instance.socketDir,
        "-p",
        instance.port,
        "-U",
        "postgres",
        "-c",
        "show server_version_num",
      ]),
    );
    expect(query.stdout.trim().slice(0, 2)).toBe(String(major));
    expect(
      (await pgTool(instance, "pg_isready", ["-h", instance.socketDir, "-p", instance.port])).code,
    ).toBe(0);
  });

  it("stopped-clean: no pid file, no processes, no IPC", async () => {
    const instance = instanceOf(major);
    const running = await lab.breakInstance(instance, "healthy");
    const key = Number((await pidFileText(instance))?.split("\n")[6]?.trim().split(/\s+/)[0]) >>> 0;
    const state = await lab.breakInstance(instance, "stopped-clean");
    expect(state).toMatchObject({
      postmasterPid: null,
      pidFilePid: null,
      shm: null,
      orphanPids: [],
      zombiePids: [],
    });
    expect(await pidFileText(instance)).toBeNull();
    const host = await lab.captureState();
    expect(host.processes.filter((process) => process.cwd === instance.pgdata)).toEqual([]);
    expect(host.processes.some((process) => process.pid === running.postmasterPid)).toBe(false);
    expect([...(await shmTable()).values()].some((segment) => segment.key === key)).toBe(false);
    expect((await pgTool(instance, "pg_ctl", ["status", "-D", instance.pgdata])).code).toBe(3);
  });

  it("zombies: stopped postmaster, <defunct> backends, no answer, pg_ctl stop times out", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "zombies");
    const postmaster = state.postmasterPid ?? -1;
    expect(state.zombiePids).toHaveLength(2);
    expect(state.backendPids).toHaveLength(3);
    const rows = await psRows(lab);
    expect(rows.find((row) => row.pid === postmaster)?.stat).toMatch(/^T/);
    for (const zombie of state.zombiePids) {
      const row = rows.find((candidate) => candidate.pid === zombie);
      expect(row?.stat).toMatch(/^Z/);
      expect(row?.ppid).toBe(postmaster);
      expect(row?.args).toContain("<defunct>");
    }
    const sleeper = state.backendPids.find((pid) => !state.zombiePids.includes(pid));
    expect(rows.find((row) => row.pid === sleeper)).toMatchObject({ ppid: postmaster });
    expect(state.clientPids).toHaveLength(1);
    expect(state.stoppedPids).toEqual([postmaster]);

    expect(
      (
        await pgTool(instance, "pg_isready", [
          "-h",
          instance.socketDir,
          "-p",
          instance.port,
          "-t",
          "1",
        ])
      ).code,
    ).toBe(2);
    for (const mode of ["fast", "immediate"]) {
      const stop = await pgTool(instance, "pg_ctl", [
        "stop",
        "-D",
        instance.pgdata,
        "-m",
        mode,
        "-w",
        "-t",
        "2",
      ]);
      expect(stop.code).toBe(1);
      expect(stop.stderr).toContain("server does not shut down");
    }
    // The zombies stay while the postmaster lives; once it is killed, tini (PID 1) reaps everything.
    expect(
      (await psRows(lab)).filter(
        (row) => state.zombiePids.includes(row.pid) && row.stat.startsWith("Z"),
      ),
    ).toHaveLength(2);
    await lab.exec(`kill -9 ${String(postmaster)}`);
    await waitFor(
      async () =>
        (await psRows(lab)).some(
          (row) => state.zombiePids.includes(row.pid) || row.pid === postmaster,
        )
          ? undefined
          : true,
      10_000,
      () => "zombies were not reaped after the postmaster died",
    );
  });

  it("a read-only look over ssh leaves a stuck host exactly as it was", async () => {
    const instance = instanceOf(major);
    await lab.breakInstance(instance, "zombies");
    const before = await lab.captureState();
    const look = await sshRun(
      lab,
      { key: lab.logins.postgres },
      `ps -eo pid,ppid,stat,args >/dev/null; cat /proc/sysvipc/shm /proc/sysvipc/sem ${instance.pgdata}/postmaster.pid >/dev/null; ls -l /dev/shm >/dev/null`,
    );
    expect(look.code).toBe(0);
    const after = await lab.captureState();
    expect(
      diffHostStates(before, after, {
        ignoreProcess: (process) => process.comm === "sshd" && process.ppid !== 1,
      }),
    ).toEqual([]);
  });

  it("orphan-attached: a stopped orphan keeps the segment attached and pg_ctl start refuses", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "orphan-attached");
    expect(state.postmasterPid).toBeNull();
    expect(state.orphanPids).toHaveLength(1);
    const orphan = state.orphanPids[0] ?? -1;
    expect(state.stoppedPids).toEqual([orphan]);
    expect((await psRows(lab)).find((row) => row.pid === orphan)).toMatchObject({ ppid: 1 });
    expect((await psRows(lab)).find((row) => row.pid === orphan)?.stat).toMatch(/^T/);
    expect((await lab.exec(`test -e /proc/${String(state.pidFilePid)}`)).code).not.toBe(0);
    const shm = state.shm;
    if (shm === null) throw new Error("no segment");
    expect((await shmTable()).get(shm.shmid)?.nattch).toBeGreaterThanOrEqual(1);
    const sysvName = `/SYSV${shm.key.toString(16).padStart(8, "0")}`;
    expect(
      (await lab.exec(`grep -c ${sysvName} /proc/${String(orphan)}/maps`)).stdout.trim(),
    ).not.toBe("0");

    const pidFileBefore = await pidFileText(instance);
    const start = await pgTool(instance, "pg_ctl", [
      "start",
      "-D",
      instance.pgdata,
      "-l",
      instance.logFile,
      "-w",
      "-t",
      "10",
    ]);
    expect(start.code).toBe(1);
    const log = (await lab.exec(`tail -n 5 ${instance.logFile}`)).stdout;
    expect(log).toContain(
      `pre-existing shared memory block (key ${String(shm.key)}, ID ${String(shm.shmid)}) is still in use`,
    );
    expect(log).toContain(
      `Terminate any old server processes associated with data directory "${instance.pgdata}"`,
    );
    expect(await pidFileText(instance)).toBe(pidFileBefore);
  });

  it("stale-pidfile: dead PID in postmaster.pid, segment left unattached", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "stale-pidfile");
    const pid = state.pidFilePid ?? -1;
    expect(state.postmasterPid).toBeNull();
    expect((await lab.exec(`test -e /proc/${String(pid)}`)).code).not.toBe(0);
    expect(state.shm?.nattch).toBe(0);
    expect(
      (await lab.captureState()).processes.filter((process) => process.cwd === instance.pgdata),
    ).toEqual([]);
    const stop = await pgTool(instance, "pg_ctl", [
      "stop",
      "-D",
      instance.pgdata,
      "-m",
      "fast",
      "-w",
      "-t",
      "2",
    ]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(
      `could not send stop signal (PID: ${String(pid)}): No such process`,
    );
    // PostgreSQL itself recovers from this state.
    expect(
      (
        await pgTool(instance, "pg_ctl", [
          "start",
          "-D",
          instance.pgdata,
          "-l",
          instance.logFile,
          "-w",
          "-t",
          "30",
        ])
      ).code,
    ).toBe(0);
  });

  it("pid-reused: the pid file's PID belongs to an unrelated sleep of postgres, and PostgreSQL refuses to start", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "pid-reused");
    const pid = state.pidFilePid ?? -1;
    expect(state.unrelatedPids).toEqual([pid]);
    expect(state.postmasterPid).toBeNull();
    const facts = await lab.exec(
      `cat /proc/${String(pid)}/comm; stat -c %U /proc/${String(pid)}; readlink /proc/${String(pid)}/cwd`,
    );
    expect(facts.stdout).toBe("sleep\npostgres\n/\n");
    const start = await pgTool(instance, "pg_ctl", [
      "start",
      "-D",
      instance.pgdata,
      "-l",
      instance.logFile,
      "-w",
      "-t",
      "10",
    ]);
    expect(start.code).toBe(1);
    expect((await lab.exec(`tail -n 3 ${instance.logFile}`)).stdout).toContain(
      'lock file "postmaster.pid" already exists',
    );
    expect((await lab.exec(`cat /proc/${String(pid)}/comm`)).stdout).toBe("sleep\n");
  });

  it("legacy-semaphores: only the 537-marked sets created by the pid file's PID are ours", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "legacy-semaphores");
    const pid = state.pidFilePid ?? -1;
    expect((await lab.exec(`test -e /proc/${String(pid)}`)).code).not.toBe(0);
    const byKind = (kind: string): typeof state.semaphores =>
      state.semaphores.filter((set) => set.kind === kind);
    expect(state.semaphores.filter((set) => set.ours)).toEqual(byKind("ours"));
    expect(byKind("ours")).toHaveLength(2);
    expect(byKind("same-user-wrong-magic")).toHaveLength(1);
    expect(byKind("same-user-other-creator")).toHaveLength(1);
    expect(byKind("other-user-live-creator")).toHaveLength(2);
    expect(byKind("other-application")).toHaveLength(2);

    // Checked independently with ipcs: per-semaphore value and last pid of each set.
    const lastSemaphore = async (
      semid: number,
    ): Promise<{ value: number; pid: number; owner: string }> => {
      const { stdout } = await lab.exec(`ipcs -s -i ${String(semid)}`);
      const owner = /uid=\d+\s+gid=\d+\s+cuid=(\d+)/.exec(stdout)?.[1] ?? "";
      const rows = stdout
        .split("\n")
        .filter((line) => /^\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+\s*$/.test(line));
      const [, value, , , lastPid] = (rows[rows.length - 1] ?? "").trim().split(/\s+/).map(Number);
      return { value: value ?? -1, pid: lastPid ?? -1, owner };
    };
    const postgresUid = (await lab.exec("id -u postgres")).stdout.trim();
    for (const set of byKind("ours")) {
      expect(set).toMatchObject({
        nsems: 17,
        owner: "postgres",
        creatorPid: pid,
        creatorAlive: false,
      });
      expect(set.values[16]).toBe(PG_SEMA_MAGIC);
      expect(await lastSemaphore(set.semid)).toEqual({
        value: PG_SEMA_MAGIC,
        pid,
        owner: postgresUid,
      });
    }
    const [wrongMagic] = byKind("same-user-wrong-magic");
    expect(wrongMagic).toMatchObject({ nsems: 17, owner: "postgres", creatorPid: pid });
    expect(wrongMagic?.values[16]).toBe(1);
    const [otherCreator] = byKind("same-user-other-creator");
    expect(otherCreator).toMatchObject({ nsems: 17, owner: "postgres", creatorAlive: false });
    expect(otherCreator?.creatorPid).not.toBe(pid);
    expect(otherCreator?.values[16]).toBe(PG_SEMA_MAGIC);
    for (const set of byKind("other-user-live-creator")) {
      expect(set).toMatchObject({ nsems: 17, owner: "appuser", creatorAlive: true });
      expect(set.values[16]).toBe(PG_SEMA_MAGIC);
      expect(state.unrelatedPids).toContain(set.creatorPid);
      expect((await lab.exec(`stat -c %U /proc/${String(set.creatorPid)}`)).stdout).toBe(
        "appuser\n",
      );
      expect((await lastSemaphore(set.semid)).pid).toBe(set.creatorPid);
    }
    expect(byKind("other-application").map((set) => [set.owner, set.nsems, set.values])).toEqual([
      ["appuser", 1, [1]],
      ["appuser", 4, [0, 0, 3, 7]],
    ]);
  });

  it("two-instances: the twin stays healthy and untouched while the first one breaks", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "two-instances");
    const twin = state.twin;
    if (twin === null) throw new Error("no twin");
    expect(twin.instance).toMatchObject({ major, osUser: "postgres" });
    expect(twin.instance.pgdata).not.toBe(instance.pgdata);
    expect(twin.instance.port).not.toBe(instance.port);
    const startTime = (await lab.exec(`cut -d' ' -f22 /proc/${String(twin.postmasterPid)}/stat`))
      .stdout;
    for (const scenario of [
      "zombies",
      "orphan-attached",
      "legacy-semaphores",
      "healthy",
    ] as const) {
      await lab.breakInstance(instance, scenario);
      expect(
        (await lab.exec(`cut -d' ' -f22 /proc/${String(twin.postmasterPid)}/stat`)).stdout,
      ).toBe(startTime);
      expect(
        (
          await pgTool(twin.instance, "pg_isready", [
            "-h",
            twin.instance.socketDir,
            "-p",
            twin.instance.port,
          ])
        ).code,
      ).toBe(0);
    }
  });
});
