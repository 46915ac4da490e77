// The recovery ladder on real lab hosts: diagnose → plan → action script over ssh → diagnose, until healthy.
import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import {
  ACTION_EXIT,
  ACTION_INVOCATION,
  chooseRung,
  parseActionOutput,
  planLadder,
  shellQuote,
  type TActionOutput,
  type TLadderOptions,
  type TLadderPlan,
  type TLadderStep,
  type TRung,
  type TSnapshot,
} from "@pgrescue/core";
import {
  diffHostStates,
  startLabHost,
  type THostState,
  type TLabHost,
  type TLabInstance,
} from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnoseOverSsh } from "./diagnose.ts";
import { createSshPool, type TSshPool } from "./pool.ts";
import { pinnedTarget } from "./test-support.ts";
import type { TSshTarget } from "./types.ts";

let lab: TLabHost;
let pool: TSshPool;
let target: TSshTarget;
const instances = new Map<15 | 18, TLabInstance>();

beforeAll(async () => {
  lab = await startLabHost({ name: "remote-actions" });
  pool = createSshPool();
  target = pinnedTarget(lab, lab.logins.postgres);
  const [pg15, pg18] = await Promise.all([
    lab.createInstance({ name: "pg15", major: 15 }),
    lab.createInstance({ name: "pg18", major: 18 }),
  ]);
  instances.set(15, pg15);
  instances.set(18, pg18);
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

const paramsOf = (instance: TLabInstance) => ({
  pgdata: instance.pgdata,
  pgBin: instance.binDir,
  logFile: instance.logFile,
});

async function diagnoseInstance(instance: TLabInstance): Promise<TSnapshot> {
  return (await diagnoseOverSsh(pool, target, paramsOf(instance))).snapshot;
}

function planFor(
  instance: TLabInstance,
  snapshot: TSnapshot,
  extra: Partial<TLadderOptions> = {},
): TLadderPlan {
  return planLadder(snapshot, { ...paramsOf(instance), ...extra });
}

function stepOf(plan: TLadderPlan, rung: TRung): TLadderStep {
  const step = plan.steps[rung];
  if (step === undefined) throw new Error(`no rung ${String(rung)}`);
  return step;
}

type TRun = { exitCode: number | null; stdout: string; parsed: TActionOutput };

// With PGRESCUE_CAPTURE_ACTION_FIXTURES=<dir>, every run's output is kept as a parser fixture
// (this is how packages/core/src/actions/__fixtures__ was captured).
const captureDir = process.env.PGRESCUE_CAPTURE_ACTION_FIXTURES;

async function runStep(step: TLadderStep, as: TSshTarget = target, keep?: string): Promise<TRun> {
  if (step.script === null || step.invocation === null) {
    throw new Error(`rung ${String(step.rung)} cannot run: ${String(step.blockedReason)}`);
  }
  const result = await pool.run(as, ACTION_INVOCATION.command, {
    stdin: step.script,
    timeoutMs: step.invocation.timeoutSec * 1000,
  });
  expect(result.stderr).toBe("");
  if (captureDir !== undefined && keep !== undefined) {
    await mkdir(captureDir, { recursive: true });
    await writeFile(join(captureDir, `${keep}.txt`), result.stdout);
    await writeFile(
      join(captureDir, `${keep}.meta.json`),
      `${JSON.stringify({ name: keep, rung: step.rung, exitCode: result.exitCode, how: "packages/remote/src/actions.integration.test.ts on a root-mode lab host, script over ssh as postgres", capturedAt: new Date().toISOString(), stateChangingCommands: step.stateChangingCommands }, null, 2)}\n`,
    );
  }
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    parsed: parseActionOutput(result.stdout),
  };
}

/** Runs a rung chosen by the operator and expects it to succeed. */
async function runRung(instance: TLabInstance, rung: TRung, keep?: string): Promise<TRun> {
  const plan = planFor(instance, await diagnoseInstance(instance));
  const choice = chooseRung(plan, rung);
  if (!choice.ok) throw new Error(choice.refusal.reason);
  const run = await runStep(choice.step, target, keep);
  expect(run.parsed.errors).toEqual([]);
  expect({ exit: run.exitCode, status: run.parsed.status }, run.stdout).toEqual({
    exit: ACTION_EXIT.ok,
    status: "ok",
  });
  return run;
}

async function query(instance: TLabInstance, sql: string): Promise<string> {
  const psql = [
    `${instance.binDir}/psql`,
    "-X",
    "-A",
    "-t",
    "-q",
    "-h",
    instance.socketDir,
    "-p",
    String(instance.port),
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-c",
    sql,
  ];
  const result = await pool.run(target, psql.map(shellQuote).join(" "), { timeoutMs: 20_000 });
  expect(result.stderr).toBe("");
  return result.stdout.trim();
}

async function expectHealthy(instance: TLabInstance): Promise<void> {
  const snapshot = await diagnoseInstance(instance);
  expect(snapshot.verdict.code, snapshot.recommendation.reason).toBe("healthy");
  expect(
    await query(instance, "select 'recovered ' || current_setting('server_version_num')"),
  ).toMatch(new RegExp(`^recovered ${String(instance.major)}`));
}

const inPgdata = (state: THostState, instance: TLabInstance) =>
  state.processes.filter((p) => p.cwd === instance.pgdata);
const alive = (state: THostState, pid: number) =>
  state.processes.find((p) => p.pid === pid && p.state !== "Z");
// The pooled ssh connection's sshd processes live on between captures; everything else must match.
const notSshd = { ignoreProcess: (p: { comm: string }) => p.comm === "sshd" };

describe.each([15, 18] as const)("PostgreSQL %i", (major) => {
  it("zombies: rung 3 (chosen over the recommended 0) kills the members, init reaps the zombies, rung 4 starts a working server", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "zombies");
    const snapshot = await diagnoseInstance(instance);
    expect(snapshot.verdict.code).toBe("zombies-unreaped");
    const plan = planFor(instance, snapshot);
    expect(plan.recommendedRung).toBe(0);
    expect(stepOf(plan, 1).expectedToFail).toBe(true);
    const choice = chooseRung(plan, 3);
    if (!choice.ok) throw new Error(choice.refusal.reason);
    expect(choice).toMatchObject({
      followsRecommendation: false,
      reasonRequired: true,
      skipped: [0, 1, 2],
    });
    const step = choice.step;
    const targets = step.targets.processes.map((p) => p.pid);
    const live = state.backendPids.filter((pid) => !state.zombiePids.includes(pid));
    expect(targets).toEqual(expect.arrayContaining([state.postmasterPid, ...live]));
    expect(targets.at(-1)).toBe(state.postmasterPid);
    expect(targets.filter((pid) => state.zombiePids.includes(pid))).toEqual([]);
    expect(step.targets.zombies.map((z) => z.pid).sort()).toEqual([...state.zombiePids].sort());
    expect(step.stateChangingCommands).toEqual([
      `kill -STOP ${String(state.postmasterPid)}`,
      ...targets.map((pid) => `kill -KILL ${String(pid)}`),
    ]);

    const run = await runStep(step, target, `rung3-zombies.pg${String(major)}`);
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.ok);
    expect(
      run.parsed.actions.map((a) => `${a.fields.signal ?? ""} ${a.fields.pid ?? ""} ${a.result}`),
    ).toEqual([
      `STOP ${String(state.postmasterPid)} ok`,
      ...targets.map((pid) => `KILL ${String(pid)} ok`),
    ]);
    expect(run.parsed.waits.every((w) => w.outcome !== "survived")).toBe(true);
    const reapedZombies = run.parsed.reaps.filter((r) => state.zombiePids.includes(r.pid));
    expect(reapedZombies.map((r) => r.pid).sort()).toEqual([...state.zombiePids].sort());
    expect(reapedZombies.every((r) => r.outcome === "reaped")).toBe(true);
    const after = await lab.captureState();
    expect(inPgdata(after, instance)).toEqual([]);
    expect(after.processes.filter((p) => state.zombiePids.includes(p.pid))).toEqual([]);

    const next = await diagnoseInstance(instance);
    expect(next.verdict.code).toBe("stale-pidfile");
    expect(next.recommendation.rung).toBe(4);
    const start = await runRung(instance, 4, `rung4-after-zombies.pg${String(major)}`);
    expect(start.parsed.verifications.map((v) => `${v.tool} ${v.result}`)).toEqual([
      "pg_isready ok",
      "psql ok",
    ]);
    await expectHealthy(instance);
  });

  it("orphan-attached: rung 3 kills the stopped orphan holding the segment, rung 4 starts", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "orphan-attached");
    const plan = planFor(instance, await diagnoseInstance(instance));
    expect(plan.recommendedRung).toBe(3);
    const step = stepOf(plan, 3);
    expect(step.stateChangingCommands).toEqual(
      state.orphanPids.map((pid) => `kill -KILL ${String(pid)}`),
    );
    expect(stepOf(plan, 4)).toMatchObject({ applicable: false });
    const run = await runStep(step, target, `rung3-orphan-attached.pg${String(major)}`);
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.ok);
    expect(run.parsed.waits).toEqual(
      state.orphanPids.map((pid) => ({ pid, outcome: "gone", state: null, wchan: null })),
    );
    const after = await lab.captureState();
    expect(after.shm.find((s) => s.shmid === state.shm?.shmid)?.nattch).toBe(0);
    await runRung(instance, 4);
    await expectHealthy(instance);
  });

  it("stale-pidfile: rung 3 has nothing to do (no ipcrm by default), rung 4 starts and PostgreSQL reclaims the segment", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "stale-pidfile");
    const plan = planFor(instance, await diagnoseInstance(instance));
    expect(plan.recommendedRung).toBe(4);
    const kill = stepOf(plan, 3);
    expect(kill.applicable).toBe(false);
    expect(kill.offers.map((o) => [o.option, o.included])).toEqual([["sharedMemory", false]]);
    await runRung(instance, 4, `rung4-stale-pidfile.pg${String(major)}`);
    expect((await lab.captureState()).shm.some((s) => s.shmid === state.shm?.shmid)).toBe(false);
    await expectHealthy(instance);
  });

  it("legacy-semaphores: only this instance's dead-creator sets are removed, and only on request", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "legacy-semaphores");
    const snapshot = await diagnoseInstance(instance);
    expect(stepOf(planFor(instance, snapshot), 3).applicable).toBe(false);
    const plan = planFor(instance, snapshot, { cleanup: { semaphores: true } });
    const step = stepOf(plan, 3);
    const ours = state.semaphores.filter((s) => s.ours).map((s) => s.semid);
    expect(ours).toHaveLength(2);
    expect(step.stateChangingCommands).toEqual(ours.map((id) => `ipcrm -s ${String(id)}`));
    const before = await lab.captureState();
    const run = await runStep(step, target, `rung3-legacy-semaphores.pg${String(major)}`);
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.ok);
    const after = await lab.captureState();
    expect(after.sem).toEqual(before.sem.filter((s) => !ours.includes(s.semid)));
    await runRung(instance, 4);
    await expectHealthy(instance);
    expect((await lab.captureState()).sem.map((s) => s.semid).sort()).toEqual(
      state.semaphores
        .filter((s) => !s.ours)
        .map((s) => s.semid)
        .sort(),
    );
  });

  it("pid-reused: rung 4 moves postmaster.pid and the socket lock aside, starts, never touches the reused PID", async () => {
    const instance = instanceOf(major);
    const state = await lab.breakInstance(instance, "pid-reused");
    const reused = state.unrelatedPids[0] ?? -1;
    const before = alive(await lab.captureState(), reused);
    expect(before?.cwd).toBe("/");
    const plan = planFor(instance, await diagnoseInstance(instance));
    const step = stepOf(plan, 4);
    expect(step.recommended).toBe(true);
    expect(step.targets.files.map((f) => f.kind)).toEqual(["pid-file", "socket-lock"]);
    expect(step.stateChangingCommands.filter((c) => c.startsWith("mv -- "))).toHaveLength(2);
    const run = await runStep(step, target, `rung4-pid-reused.pg${String(major)}`);
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.ok);
    expect(run.parsed.actions.map((a) => `${a.verb} ${a.result}`)).toEqual([
      "mv ok",
      "mv ok",
      "pg_ctl ok",
    ]);
    const after = alive(await lab.captureState(), reused);
    expect(after?.startTime).toBe(before?.startTime);
    const kept = await lab.exec(`ls ${shellQuote(instance.pgdata)}`);
    expect(kept.stdout).toMatch(/postmaster\.pid\.pgrescue-stale-\d+/);
    await expectHealthy(instance);
  });
});

it("zombies: rung 1 fails as the plan predicts (SIGINT stays pending on a stopped postmaster); rung 0 resumes it and it shuts down (PostgreSQL 18)", async () => {
  const instance = instanceOf(18);
  const state = await lab.breakInstance(instance, "zombies");
  const plan = planFor(instance, await diagnoseInstance(instance), { stopTimeoutSec: 2 });
  const fast = stepOf(plan, 1);
  expect(fast).toMatchObject({ applicable: true, expectedToFail: true, recommended: false });
  expect(fast.blockedReason).toContain("stopped (T)");
  const failed = await runStep(fast, target, "rung1-stopped-postmaster-timeout.pg18");
  expect(failed.exitCode, failed.stdout).toBe(ACTION_EXIT.failed);
  expect(failed.parsed.actions[0]?.output.join("\n")).toContain("server does not shut down");

  const firstAid = await runRung(instance, 0, "rung0-resume-pending-sigint.pg18");
  expect(firstAid.parsed.notices.map((n) => [n.fields.pid, n.fields.signals])).toEqual([
    [String(state.postmasterPid), "SIGINT"],
  ]);
  expect(firstAid.parsed.reaps.map((r) => r.pid).sort()).toEqual([...state.zombiePids].sort());
  expect(firstAid.parsed.reaps.every((r) => r.outcome === "reaped")).toBe(true);
  const next = await diagnoseInstance(instance);
  expect(next.verdict.code).toBe("stopped-unclean");
  await runRung(instance, 4);
  await expectHealthy(instance);
});

it("two-instances: recovering one instance leaves its twin's processes, segment, pid file and DSM files alone", async () => {
  const instance = instanceOf(15);
  const twinState = await lab.breakInstance(instance, "two-instances");
  const twin = twinState.twin?.instance;
  if (twin === undefined) throw new Error("no twin");
  await lab.breakInstance(instance, "zombies");
  const twinSnapshot = (await diagnoseOverSsh(pool, target, paramsOf(twin))).snapshot;
  expect(twinSnapshot.verdict.code).toBe("healthy");
  const twinShm = twinSnapshot.ipc.shm.filter((s) => s.ours).map((s) => s.shmid);
  const twinDsm = twinSnapshot.dsm.filter((d) => d.ours).map((d) => d.name);
  expect(twinShm).toHaveLength(1);
  const before = await lab.captureState();
  // Long-lived twin processes (autovacuum workers come and go by themselves).
  const twinBefore = inPgdata(before, twin).filter((p) => !p.args.includes("autovacuum worker"));
  expect(twinBefore.length).toBeGreaterThan(4);

  await runRung(instance, 3);
  await runRung(instance, 4);
  await expectHealthy(instance);

  const after = await lab.captureState();
  for (const p of twinBefore)
    expect(alive(after, p.pid)?.startTime, `twin PID ${String(p.pid)}`).toBe(p.startTime);
  const shmOf = (s: THostState) =>
    s.shm.filter((x) => twinShm.includes(x.shmid)).map((x) => [x.shmid, x.key, x.uid]);
  expect(shmOf(after)).toEqual(shmOf(before));
  const pidFileOf = (s: THostState) => s.pidFiles.find((f) => f.path.startsWith(twin.pgdata));
  expect(pidFileOf(after)).toEqual(pidFileOf(before));
  expect(after.devShm.map((f) => f.name)).toEqual(expect.arrayContaining(twinDsm));
  expect(after.sem).toEqual(before.sem);
  expect((await diagnoseOverSsh(pool, target, paramsOf(twin))).snapshot.verdict.code).toBe(
    "healthy",
  );
});

describe("drift between plan and execution: the script refuses and changes nothing", () => {
  it("a planned backend exits before the run (PostgreSQL 15, zombies)", async () => {
    const instance = instanceOf(15);
    const state = await lab.breakInstance(instance, "zombies");
    const step = stepOf(planFor(instance, await diagnoseInstance(instance)), 3);
    const backend = state.backendPids.find((pid) => !state.zombiePids.includes(pid)) ?? -1;
    expect(step.targets.processes.map((p) => p.pid)).toContain(backend);
    await lab.exec(`kill -KILL ${String(backend)}`);
    await waitUntil(
      async () =>
        (await lab.captureState()).processes.find((p) => p.pid === backend)?.state === "Z",
    );

    const before = await lab.captureState();
    const run = await runStep(step, target, "refused-backend-exited.pg15");
    const after = await lab.captureState();
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.refused);
    expect(run.parsed).toMatchObject({
      status: "refused",
      changedNothing: true,
      actions: [],
      verified: false,
    });
    expect(run.parsed.refusals.map((r) => [r.pid, r.reason])).toEqual([[backend, "exited"]]);
    expect(run.parsed.refusals[0]?.message).toContain(`PID ${String(backend)}`);
    expect(diffHostStates(before, after, notSshd)).toEqual([]);
  });

  it("an orphan's PID is taken by another process working in PGDATA (PostgreSQL 18); another OS user cannot run it at all", async () => {
    const instance = instanceOf(18);
    const state = await lab.breakInstance(instance, "orphan-attached");
    const step = stepOf(planFor(instance, await diagnoseInstance(instance)), 3);
    const orphan = state.orphanPids[0] ?? -1;
    const planned = step.targets.processes.find((p) => p.pid === orphan);
    expect(planned).toBeDefined();
    // Same PID, same uid, same working directory: only the start time (and the binary) differ.
    await lab.exec(`kill -KILL ${String(orphan)}`);
    await waitUntil(
      async () => !(await lab.captureState()).processes.some((p) => p.pid === orphan),
    );
    const ids = await lab.exec("id -u postgres; id -g postgres");
    const [uid = "", gid = ""] = ids.stdout.trim().split("\n");
    const spawned = await lab.exec(
      `perl ${shellQuote(`${lab.dir}/bin/lab-helper.pl`)} spawn-at-pid ${String(orphan)} ${uid} ${gid} -- /bin/sh -c ${shellQuote(`cd ${shellQuote(instance.pgdata)} && exec sleep 3600`)}`,
    );
    expect(spawned.stdout.trim(), spawned.stderr).toBe(String(orphan));
    await waitUntil(async () => alive(await lab.captureState(), orphan)?.comm === "sleep");
    const impostor = alive(await lab.captureState(), orphan);
    expect(impostor?.cwd).toBe(instance.pgdata);

    const before = await lab.captureState();
    const run = await runStep(step, target, "refused-pid-reused-in-pgdata.pg18");
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.refused);
    expect(run.parsed.refusals.map((r) => [r.pid, r.reason, r.found])).toEqual([
      [orphan, "start-time-changed", String(impostor?.startTime)],
    ]);
    expect(run.parsed.changedNothing).toBe(true);
    const wrongUser = await runStep(
      step,
      pinnedTarget(lab, lab.logins.app),
      "unable-wrong-user.pg18",
    );
    expect(wrongUser.exitCode, wrongUser.stdout).toBe(ACTION_EXIT.unable);
    expect(wrongUser.parsed.unable.map((u) => u.reason)).toEqual(["wrong-user"]);
    const after = await lab.captureState();
    expect(diffHostStates(before, after, notSshd)).toEqual([]);
    expect(alive(after, orphan)?.startTime).toBe(impostor?.startTime);
    await lab.exec(`kill -KILL ${String(orphan)}`);
  });
});

it("a failed start (port taken by another program) exits 4 with the server log's reason; freed, rung 4 works (PostgreSQL 15)", async () => {
  const instance = instanceOf(15);
  await lab.breakInstance(instance, "stale-pidfile");
  const listener = `use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => ${String(instance.port)}, Listen => 1) or die; sleep 3600`;
  // Detached (lab.exec ends what it started otherwise); it reports its PID so that only it is ended later.
  const launch = `echo $$ >/tmp/pgrescue-listener.pid; exec perl -e ${shellQuote(listener)}`;
  await lab.exec(`setsid -f sh -c ${shellQuote(launch)} </dev/null >/dev/null 2>&1`, {
    user: "appuser",
  });
  await waitUntil(async () => (await lab.exec("cat /tmp/pgrescue-listener.pid")).code === 0);
  const started = await lab.exec("cat /tmp/pgrescue-listener.pid");
  const listenerPid = Number(started.stdout.trim());
  expect(listenerPid).toBeGreaterThan(1);
  try {
    await waitUntil(() => canConnect(instance.port));
    const step = stepOf(planFor(instance, await diagnoseInstance(instance)), 4);
    const run = await runStep(step, target, "failed-start-port-taken.pg15");
    expect(run.exitCode, run.stdout).toBe(ACTION_EXIT.failed);
    expect(run.parsed.actions.map((a) => `${a.verb} ${a.result} ${String(a.rc)}`)).toEqual([
      "pg_ctl failed 1",
    ]);
    expect(run.parsed.logTail?.lines.join("\n")).toMatch(/could not (bind|create listen socket)/);
  } finally {
    await lab.exec(`kill -KILL ${String(listenerPid)}`);
  }
  await runRung(instance, 4);
  await expectHealthy(instance);
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
