// The one-exec diagnosis over real sshd, for every lab scenario on PostgreSQL 15 and 18: verdicts, members, IPC ownership, and a host left exactly as it was.
import { LAB_EXPECTATIONS, expectSnapshotMatchesLab } from "@pgrescue/core/testing";
import {
  diffHostStates,
  SCENARIOS,
  startLabHost,
  type THostProcess,
  type THostState,
  type TLabHost,
  type TLabInstance,
} from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnoseOverSsh, type TDiagnosisRun } from "./diagnose.ts";
import { CommandTimeoutError } from "./errors.ts";
import { createSshPool, type TSshPool } from "./pool.ts";
import { listLiveProcesses, pinnedTarget } from "./test-support.ts";
import type { TSshTarget } from "./types.ts";

let lab: TLabHost;
let pool: TSshPool;
const instances = new Map<15 | 18, TLabInstance>();

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-diagnose" });
  const [pg15, pg18] = await Promise.all([
    lab.createInstance({ name: "pg15", major: 15 }),
    lab.createInstance({ name: "pg18", major: 18 }),
  ]);
  instances.set(15, pg15);
  instances.set(18, pg18);
  // Connections close as soon as they are idle, so that no sshd session outlives a diagnosis.
  pool = createSshPool({ idleTimeoutMs: 0 });
});

afterAll(async () => {
  await pool.close();
  await lab.stop();
});

function instanceOf(major: 15 | 18): TLabInstance {
  const instance = instances.get(major);
  if (instance === undefined) throw new Error(`no PostgreSQL ${String(major)} instance`);
  return instance;
}

const asPostgres = (): TSshTarget => pinnedTarget(lab, lab.logins.postgres);
const asAdminBecomingPostgres = (): TSshTarget => ({
  ...pinnedTarget(lab, lab.logins.admin),
  become: "postgres",
});

/** The ssh sessions of the diagnosis itself come and go; they are not the host's state. */
const isSshSession = (process: THostProcess): boolean =>
  process.comm === "sshd" || process.args.startsWith("sshd:");

async function captureQuietly(): Promise<THostState> {
  // Let sshd finish tearing down the previous session before comparing process tables.
  await new Promise((resolve) => setTimeout(resolve, 150));
  return lab.captureState();
}

/**
 * The host after a diagnosis equals the host before it. On a running instance pg_isready's connection makes
 * the server fork a short-lived backend, which updates the segment's lpid: the server's reaction, not a change by us.
 */
function expectHostUnchanged(before: THostState, after: THostState, running: boolean): void {
  const differences = diffHostStates(before, after, { ignoreProcess: isSshSession }).filter(
    (line) => !(running && /^shared memory segment \d+: lpid /.test(line)),
  );
  expect(differences).toEqual([]);
}

async function diagnose(target: TSshTarget, instance: TLabInstance): Promise<TDiagnosisRun> {
  return diagnoseOverSsh(pool, target, { pgdata: instance.pgdata, pgBin: instance.binDir });
}

describe.each([15, 18] as const)("PostgreSQL %i over sshd", (major) => {
  it.each(SCENARIOS)(
    "%s: the verdict, members, zombies, orphans and IPC ownership the lab knows to be true, in one exec, host unchanged",
    async (scenario) => {
      const instance = instanceOf(major);
      // two-instances leaves the first instance as it was and adds a healthy twin: start from healthy.
      if (scenario === "two-instances") await lab.breakInstance(instance, "healthy");
      const state = await lab.breakInstance(instance, scenario);
      const before = await captureQuietly();
      const run = await diagnose(asPostgres(), instance);
      const after = await captureQuietly();

      const expected = LAB_EXPECTATIONS[scenario];
      expect({
        verdict: run.snapshot.verdict.code,
        rung: run.snapshot.recommendation.rung,
      }).toEqual(expected);
      expectSnapshotMatchesLab(run.snapshot, state);
      expect(run.sshExecs).toBe(1);
      expect(run.snapshot.probe.complete).toBe(true);
      expect(run.timings.totalMs).toBeGreaterThan(0);
      expectHostUnchanged(before, after, expected?.verdict === "healthy");

      if (state.twin !== null) {
        const twin = await diagnose(asPostgres(), state.twin.instance);
        expect(twin.snapshot.verdict.code).toBe("healthy");
        expectSnapshotMatchesLab(twin.snapshot, state, { isTwin: true });
      }
    },
  );
});

describe("logins and hosts that differ", () => {
  it("diagnoses through an admin login with sudo -n -u postgres exactly like the postgres login", async () => {
    const instance = instanceOf(15);
    const state = await lab.breakInstance(instance, "orphan-attached");
    const direct = await diagnose(asPostgres(), instance);
    const become = await diagnose(asAdminBecomingPostgres(), instance);
    expect(become.snapshot.host.user).toBe("postgres");
    expect(become.snapshot.verdict.code).toBe("orphans-attached");
    expectSnapshotMatchesLab(become.snapshot, state);
    expect(become.snapshot.members.map((m) => m.pid)).toEqual(
      direct.snapshot.members.map((m) => m.pid),
    );
  });

  it("gives the same verdict on a host whose sessions and server speak German", async () => {
    const instance = instanceOf(15);
    await lab.breakInstance(instance, "healthy");
    // Every ssh session gets a German environment, and the server logs in German.
    const reconfigured = await lab.exec(
      `sed -i '1a SetEnv LANG=de_DE.UTF-8 LANGUAGE=de LC_ALL=de_DE.UTF-8 LC_MESSAGES=de_DE.UTF-8' '${lab.ssh.configFile}' && kill -HUP "$(cat '${lab.ssh.pidFile}')"`,
    );
    expect(reconfigured).toMatchObject({ code: 0, stderr: "" });
    await lab.exec(
      `printf "lc_messages = 'de_DE.UTF-8'\\n" >> '${instance.pgdata}/postgresql.auto.conf'`,
      { user: "postgres" },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const session = await pool.run(asPostgres(), "echo $LANG");
      // The executor forces LC_ALL=C, but the session's own environment is German.
      expect(session.stdout.trim()).toBe("de_DE.UTF-8");
      const state = await lab.breakInstance(instance, "zombies");
      const run = await diagnose(asPostgres(), instance);
      expect({
        verdict: run.snapshot.verdict.code,
        rung: run.snapshot.recommendation.rung,
      }).toEqual(LAB_EXPECTATIONS.zombies);
      expectSnapshotMatchesLab(run.snapshot, state);
      expect(run.snapshot.connectivity.pgIsReady.meaning).toBe("no-response");
    } finally {
      await lab.exec(
        `sed -i '/^SetEnv LANG=de_DE/d' '${lab.ssh.configFile}' && kill -HUP "$(cat '${lab.ssh.pidFile}')"`,
      );
      await lab.exec(`sed -i '/^lc_messages = /d' '${instance.pgdata}/postgresql.auto.conf'`, {
        user: "postgres",
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  it("a probe that outlives its timeout is ended on the host, and nothing of it keeps running", async () => {
    const instance = instanceOf(18);
    await lab.breakInstance(instance, "zombies");
    // pg_isready waits ~3 s for the stopped postmaster; a 1 s limit ends the probe mid-way.
    const error: unknown = await diagnoseOverSsh(
      pool,
      asPostgres(),
      { pgdata: instance.pgdata, pgBin: instance.binDir },
      { timeoutMs: 1000 },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({ code: "COMMAND_TIMEOUT" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await listLiveProcesses(lab, "pg_isready")).toEqual([]);
    expect(await listLiveProcesses(lab, "/bin/sh -s")).toEqual([]);
  });
});
