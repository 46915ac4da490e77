// Scenarios that break a lab instance into a known, documented state (docs/lab.md) and report what is true afterwards.
import path from "node:path";
import { z } from "zod";
import type { THostContext } from "./context.ts";
import { captureHostState, listProcesses, runHelper } from "./host-state.ts";
import {
  createInstance,
  findInstanceRecord,
  instanceMembers,
  LabInstanceError,
  queryInstance,
  readPidFileText,
  resetInstance,
  saveInstanceRecord,
  signalPids,
  SLEEPER_APPLICATION_NAME,
  startServer,
  toLabInstance,
} from "./instances.ts";
import { parseLabPidFile } from "./pid-file.ts";
import { waitFor } from "./run.ts";
import { quote, quoteAll } from "./shell.ts";
import type { TInstanceRecord, TProcessRef } from "./state-file.ts";
import type {
  THostProcess,
  THostState,
  TLabInstance,
  TLabSemaphoreSet,
  TScenario,
  TScenarioState,
  TSemaphoreKind,
} from "./types.ts";
import { SCENARIOS } from "./types.ts";
import type { TSupervisorView } from "./supervisors/types.ts";

/** How to break: `pause` puts the supervisor into maintenance mode first (Patroni only), so it leaves the result alone. */
export type TBreakOptions = { pause?: boolean };

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

/** PostgreSQL ≤ 9.6 marks each of its SysV semaphore sets with this value in the last semaphore. */
export const PG_SEMA_MAGIC = 537;
/** 16 usable semaphores plus the marker. */
export const PG_SEMAS_PER_SET = 17;

type TExtras = {
  /** What the supervisor reports right after the scenario (tini when absent). */
  supervisor?: TSupervisorView;
  backendPids?: number[];
  unrelated?: TProcessRef[];
  semaphores?: TPlannedSet[];
  twin?: { instance: TLabInstance; postmasterPid: number } | null;
  checks: string[];
};

type TPlannedSet = { semid: number; kind: TSemaphoreKind };

export function isScenario(value: string): value is TScenario {
  return SCENARIOS.some((scenario) => scenario === value);
}

export async function breakInstance(
  ctx: THostContext,
  instance: TLabInstance,
  scenario: TScenario,
  opts: TBreakOptions = {},
): Promise<TScenarioState> {
  if (!isScenario(scenario))
    throw new ScenarioError(
      `unknown scenario "${String(scenario)}"; known: ${SCENARIOS.join(", ")}`,
    );
  const record = await findInstanceRecord(ctx, instance.name);
  if (ctx.mode === "plain" && (scenario === "pid-reused" || scenario === "legacy-semaphores")) {
    throw new ScenarioError(
      `${scenario} needs a PID namespace to give a process a chosen PID; this lab host runs in plain mode (no root, no user namespaces): run it as root or where unprivileged user namespaces are allowed`,
    );
  }
  if (opts.pause === true && ctx.supervisor.pause === undefined)
    throw new ScenarioError(
      `--pause puts the supervisor into maintenance mode first; only Patroni has one (this lab host runs ${ctx.supervisor.kind})`,
    );
  switch (scenario) {
    case "healthy":
      return healthy(ctx, record, opts);
    case "stopped-clean":
      return stoppedClean(ctx, record, opts);
    case "zombies":
      return zombies(ctx, record, opts);
    case "orphan-attached":
      return orphanAttached(ctx, record, opts);
    case "stale-pidfile":
      return stalePidFile(ctx, record, opts);
    case "pid-reused":
      return pidReused(ctx, record, opts);
    case "two-instances":
      return twoInstances(ctx, record);
    case "legacy-semaphores":
      return legacySemaphores(ctx, record, opts);
  }
}

async function freshStart(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<{ record: TInstanceRecord; postmasterPid: number }> {
  const cleared = await resetInstance(ctx, record);
  await startServer(ctx, cleared);
  if (opts.pause === true) await ctx.supervisor.pause?.(ctx, cleared);
  const pidFile = parseLabPidFile((await readPidFileText(ctx, cleared)) ?? "");
  if (pidFile === null)
    throw new ScenarioError(`${record.name} started but has no readable postmaster.pid`);
  return { record: cleared, postmasterPid: pidFile.pid };
}

async function healthy(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const started = await freshStart(ctx, record, opts);
  const answer = await queryInstance(ctx, started.record, "select 1");
  return finish(ctx, started.record, "healthy", "running and answering queries", {
    checks: [`select 1 → ${answer}`],
  });
}

async function stoppedClean(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const started = await freshStart(ctx, record, opts);
  const pidFile = parseLabPidFile((await readPidFileText(ctx, started.record)) ?? "");
  const stopChecks =
    ctx.supervisor.stopClean === undefined
      ? await stopWithPgCtl(ctx, record)
      : await ctx.supervisor.stopClean(ctx, started.record);
  const host = await captureHostState(ctx, [started.record]);
  const checks = [...stopChecks];
  if (host.pidFiles[0]?.content !== null)
    throw new ScenarioError("postmaster.pid still exists after a clean stop");
  checks.push("no postmaster.pid");
  if (instanceMembers(started.record, host.processes).server.length > 0)
    throw new ScenarioError("instance processes left after a clean stop");
  checks.push("no process has the data directory as cwd");
  if (
    pidFile?.shmId !== null &&
    pidFile?.shmId !== undefined &&
    host.shm.some((segment) => segment.shmid === pidFile.shmId)
  ) {
    throw new ScenarioError("the SysV segment survived a clean stop");
  }
  checks.push("its SysV segment is gone");
  return finish(
    ctx,
    started.record,
    "stopped-clean",
    "cleanly stopped: no pid file, no processes, no IPC",
    { checks },
  );
}

async function stopWithPgCtl(ctx: THostContext, record: TInstanceRecord): Promise<string[]> {
  const stop = await ctx.exec(
    quoteAll([
      path.join(record.binDir, "pg_ctl"),
      "stop",
      "-D",
      record.pgdata,
      "-m",
      "fast",
      "-w",
      "-t",
      "60",
      "-s",
    ]),
    { user: record.osUser, timeoutMs: 90_000 },
  );
  if (stop.code !== 0)
    throw new ScenarioError(`pg_ctl stop -m fast of ${record.name} failed: ${stop.stderr}`);
  return ["pg_ctl stop -m fast succeeded"];
}

/** psql clients in the background (their own sessions, no stdio ties) each holding a backend in pg_sleep(3600). */
async function startSleepers(
  ctx: THostContext,
  record: TInstanceRecord,
  count: number,
): Promise<number[]> {
  const psql = quoteAll([
    path.join(record.binDir, "psql"),
    "-X",
    "-h",
    record.socketDir,
    "-p",
    record.port,
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-c",
    "select pg_sleep(3600)",
  ]);
  const launch = Array.from(
    { length: count },
    () => `PGAPPNAME=${SLEEPER_APPLICATION_NAME} setsid -f ${psql} </dev/null >/dev/null 2>&1`,
  ).join("; ");
  const started = await ctx.exec(launch, { user: record.osUser });
  if (started.code !== 0)
    throw new ScenarioError(`could not start psql sessions: ${started.stderr}`);
  return waitFor(
    async () => {
      const pids = (
        await queryInstance(
          ctx,
          record,
          `select pid from pg_stat_activity where application_name = '${SLEEPER_APPLICATION_NAME}' and wait_event = 'PgSleep' order by pid`,
        )
      )
        .split("\n")
        .filter((line) => line !== "")
        .map(Number);
      return pids.length >= count ? pids : undefined;
    },
    20_000,
    () => `the ${String(count)} pg_sleep sessions did not show up in pg_stat_activity`,
  );
}

async function processTable(ctx: THostContext): Promise<Map<number, THostProcess>> {
  return new Map((await listProcesses(ctx)).map((process) => [process.pid, process]));
}

async function waitForProcesses(
  ctx: THostContext,
  what: string,
  test: (table: Map<number, THostProcess>) => boolean,
  timeoutMs = 15_000,
): Promise<Map<number, THostProcess>> {
  return waitFor(
    async () => {
      const table = await processTable(ctx);
      return test(table) ? table : undefined;
    },
    timeoutMs,
    async () =>
      `timed out waiting until ${what}; processes: ${[...(await processTable(ctx)).values()].map((p) => `${String(p.pid)}/${p.state}/${String(p.ppid)} ${p.args || p.comm}`).join("; ")}`,
  );
}

async function pgIsReady(ctx: THostContext, record: TInstanceRecord): Promise<number> {
  const result = await ctx.exec(
    quoteAll([
      path.join(record.binDir, "pg_isready"),
      "-h",
      record.socketDir,
      "-p",
      record.port,
      "-t",
      "2",
    ]),
    {
      user: record.osUser,
      timeoutMs: 15_000,
    },
  );
  return result.code;
}

async function zombies(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const started = await freshStart(ctx, record, opts);
  const postmaster = started.postmasterPid;
  const backends = await startSleepers(ctx, started.record, 3);
  const [first, second] = backends;
  if (first === undefined || second === undefined)
    throw new ScenarioError("fewer sessions than planned");
  // The lab's own pg_stat_activity query has a backend that may still be exiting: stopped first, the postmaster
  // could not reap it, and it would be a third zombie. Wait until the sleepers are its only local client
  // backends and no child waits to be reaped.
  await waitForProcesses(ctx, "the lab's own query backends have exited", (table) =>
    [...table.values()].every(
      (process) =>
        process.ppid !== postmaster ||
        backends.includes(process.pid) ||
        (process.state !== "Z" && !process.args.includes(" [local] ")),
    ),
  );
  await signalPids(ctx, "STOP", [postmaster]);
  await waitForProcesses(
    ctx,
    `the postmaster ${String(postmaster)} is stopped`,
    (table) => table.get(postmaster)?.state === "T",
  );
  await signalPids(ctx, "KILL", [first, second]);
  await waitForProcesses(
    ctx,
    `backends ${String(first)} and ${String(second)} are zombies of the stopped postmaster`,
    (table) =>
      [first, second].every(
        (pid) => table.get(pid)?.state === "Z" && table.get(pid)?.ppid === postmaster,
      ),
  );
  const checks = [
    `postmaster ${String(postmaster)} stopped (T)`,
    `backends ${String(first)}, ${String(second)} killed: <defunct> (Z), parent ${String(postmaster)}`,
  ];
  const ready = await pgIsReady(ctx, started.record);
  if (ready !== 2)
    throw new ScenarioError(`pg_isready should get no answer (exit 2) but exited ${String(ready)}`);
  checks.push("pg_isready -t 2: no response (exit 2)");
  return finish(
    ctx,
    started.record,
    "zombies",
    "postmaster stopped; two killed backends stay <defunct>; one backend still sleeps",
    { backendPids: backends, checks },
  );
}

async function orphanAttached(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const started = await freshStart(ctx, record, opts);
  const postmaster = started.postmasterPid;
  const backends = await startSleepers(ctx, started.record, 2);
  const [orphan] = backends;
  if (orphan === undefined) throw new ScenarioError("no session started");
  await signalPids(ctx, "STOP", [orphan]);
  await waitForProcesses(
    ctx,
    `backend ${String(orphan)} is stopped`,
    (table) => table.get(orphan)?.state === "T",
  );
  await signalPids(ctx, "KILL", [postmaster]);
  if (ctx.supervisor.reactsToCrash) {
    // systemd reacts to the dead main process at once: ExecStop (Debian: pg_ctlcluster removes the stale pid
    // file), then KillMode kills what is left of the unit's cgroup, the stopped backend included.
    await waitForProcesses(
      ctx,
      `the postmaster ${String(postmaster)} is gone`,
      (table) => !table.has(postmaster),
    );
    const reaction = await ctx.supervisor.settle?.(ctx, started.record);
    return finish(
      ctx,
      started.record,
      "orphan-attached",
      `postmaster killed while backend ${String(orphan)} was stopped; the unit's supervisor then acted (see checks): under systemd no orphan survives in the unit's cgroup`,
      {
        backendPids: backends,
        checks: [
          `postmaster ${String(postmaster)} killed, backend ${String(orphan)} stopped (T) before`,
          ...(reaction ?? []),
        ],
      },
    );
  }
  // Every other child notices the postmaster's death and exits; only the stopped backend stays.
  await waitForProcesses(
    ctx,
    `only the stopped backend ${String(orphan)} is left of ${record.name}`,
    (table) => {
      const server = instanceMembers(started.record, [...table.values()]).server;
      // With logging_collector on (Patroni), the logger stays too: the orphan holds its pipe open.
      const others = server.filter((process) => process.pid !== orphan);
      return (
        !table.has(postmaster) &&
        table.get(orphan)?.ppid === 1 &&
        others.every((process) => process.args.endsWith(" logger "))
      );
    },
  );
  const host = await captureHostState(ctx, [started.record]);
  const pidFile = parseLabPidFile(host.pidFiles[0]?.content ?? "");
  const segment = host.shm.find((candidate) => candidate.shmid === pidFile?.shmId);
  if (segment === undefined || segment.nattch < 1)
    throw new ScenarioError("the orphan does not keep the instance's SysV segment attached");
  return finish(
    ctx,
    started.record,
    "orphan-attached",
    "postmaster killed; a stopped backend, re-parented to PID 1, keeps the shared memory attached",
    {
      backendPids: backends,
      checks: [
        `postmaster ${String(postmaster)} killed`,
        `backend ${String(orphan)} stopped (T), parent 1`,
        `segment ${String(segment.shmid)} nattch ${String(segment.nattch)}`,
      ],
    },
  );
}

/** Crash: stop the postmaster (no new children), SIGKILL every process of the instance. Leaves pid file, SysV segment and /dev/shm files. */
async function crash(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<{ record: TInstanceRecord; deadPid: number; checks: string[] }> {
  const started = await freshStart(ctx, record, opts);
  const postmaster = started.postmasterPid;
  await signalPids(ctx, "STOP", [postmaster]);
  const members = instanceMembers(started.record, await listProcesses(ctx)).server.map(
    (process) => process.pid,
  );
  await signalPids(ctx, "KILL", [...members.filter((pid) => pid !== postmaster), postmaster]);
  const killed = [
    `postmaster ${String(postmaster)} and its ${String(members.length - 1)} children killed`,
  ];
  if (ctx.supervisor.reactsToCrash) {
    // What is left depends on the unit: Debian's ExecStop removes the stale pid file, a Restart= unit starts
    // PostgreSQL again. Wait for systemd to finish and say what it did.
    await waitForProcesses(ctx, `the killed processes of ${record.name} are gone`, (table) =>
      members.every((pid) => !table.has(pid) || table.get(pid)?.state === "Z"),
    );
    const reaction = (await ctx.supervisor.settle?.(ctx, started.record)) ?? [];
    const after = parseLabPidFile((await readPidFileText(ctx, started.record)) ?? "");
    const pidFileCheck =
      after === null
        ? "postmaster.pid is gone (removed after the crash)"
        : after.pid === postmaster
          ? `postmaster.pid names dead PID ${String(postmaster)}`
          : `postmaster.pid names PID ${String(after.pid)}: PostgreSQL was started again`;
    return {
      record: started.record,
      deadPid: postmaster,
      checks: [...killed, ...reaction, pidFileCheck],
    };
  }
  await waitForProcesses(
    ctx,
    `every process of ${record.name} is gone`,
    (table) =>
      !table.has(postmaster) &&
      instanceMembers(started.record, [...table.values()]).server.length === 0,
  );
  const pidFile = parseLabPidFile((await readPidFileText(ctx, started.record)) ?? "");
  if (pidFile?.pid !== postmaster)
    throw new ScenarioError("postmaster.pid did not survive the crash");
  return {
    record: started.record,
    deadPid: postmaster,
    checks: [...killed, `postmaster.pid names dead PID ${String(postmaster)}`],
  };
}

/** Under a unit, systemd acts on the crash before the scenario returns: the summary says so rather than promise tini's result. */
function crashSummary(ctx: THostContext, summary: string, supervised: string): string {
  return ctx.supervisor.reactsToCrash
    ? `${supervised}; systemd then acted on the dead main process: the checks and the supervisor view say how (pid file removed by ExecStop, restarted by Restart=, or left)`
    : summary;
}

async function stalePidFile(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const crashed = await crash(ctx, record, opts);
  return finish(
    ctx,
    crashed.record,
    "stale-pidfile",
    crashSummary(
      ctx,
      `stopped by a crash: postmaster.pid names dead PID ${String(crashed.deadPid)}; SysV segment left with nattch 0`,
      `crashed: postmaster ${String(crashed.deadPid)} and its children killed`,
    ),
    {
      checks: crashed.checks,
    },
  );
}

async function startTimeOf(ctx: THostContext, pid: number): Promise<number> {
  const process = (await processTable(ctx)).get(pid);
  if (process === undefined) throw new ScenarioError(`PID ${String(pid)} vanished`);
  return process.startTime;
}

async function pidReused(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const crashed = await crash(ctx, record, opts);
  const user = ctx.users.postgres;
  const output = await runHelper(
    ctx,
    ["spawn-at-pid", crashed.deadPid, user.uid, user.gid, "--", "/bin/sleep", "3600"],
    { timeoutMs: 120_000 },
  );
  const pid = Number(output.trim());
  if (pid !== crashed.deadPid)
    throw new ScenarioError(
      `the unrelated process got PID ${String(pid)}, not ${String(crashed.deadPid)}`,
    );
  const unrelated: TProcessRef = {
    pid,
    startTime: await startTimeOf(ctx, pid),
    note: "unrelated sleep reusing the postmaster's PID",
  };
  const saved = {
    ...crashed.record,
    artifacts: { ...crashed.record.artifacts, processes: [unrelated] },
  };
  await saveInstanceRecord(ctx, saved);
  return finish(
    ctx,
    saved,
    "pid-reused",
    crashSummary(
      ctx,
      `stale postmaster.pid whose PID ${String(pid)} now belongs to an unrelated sleep of ${user.name}`,
      `crashed, and the dead postmaster's PID ${String(pid)} now belongs to an unrelated sleep of ${user.name}`,
    ),
    {
      unrelated: [unrelated],
      checks: [...crashed.checks, `PID ${String(pid)} is now "sleep 3600" of ${user.name}`],
    },
  );
}

async function twoInstances(ctx: THostContext, record: TInstanceRecord): Promise<TScenarioState> {
  const twinName = `${record.name}-twin`.slice(0, 31);
  const state = await ctx.readState();
  let twin = state.instances.find((instance) => instance.name === twinName);
  if (twin === undefined) {
    // On a systemd host the twin gets the same kind of unit as this instance.
    const supervision = record.supervision;
    await createInstance(ctx, {
      name: twinName,
      major: record.major,
      ...(supervision?.kind === "systemd"
        ? { unit: { style: supervision.style, restart: supervision.restart } }
        : {}),
    });
    twin = await findInstanceRecord(ctx, twinName);
  } else {
    const ready = await pgIsReady(ctx, twin);
    if (ready !== 0) {
      await resetInstance(ctx, twin);
      await startServer(ctx, twin);
    }
  }
  await queryInstance(ctx, twin, "select 1");
  const pidFile = parseLabPidFile((await readPidFileText(ctx, twin)) ?? "");
  if (pidFile === null) throw new LabInstanceError(`the twin ${twinName} has no pid file`);
  return finish(
    ctx,
    record,
    "two-instances",
    `a second instance ${twinName} of the same OS user runs healthy next to ${record.name} (left as it was)`,
    {
      twin: { instance: toLabInstance(twin), postmasterPid: pidFile.pid },
      checks: [
        `twin ${twinName} answers select 1 (postmaster ${String(pidFile.pid)}, port ${String(twin.port)})`,
      ],
      keepArtifacts: true,
    },
  );
}

type TSetSpec = { nsems: number; keyStart: number; values: number[] };

function legacySet(marker: number, keyStart: number): TSetSpec {
  return {
    nsems: PG_SEMAS_PER_SET,
    keyStart,
    values: [...Array.from({ length: PG_SEMAS_PER_SET - 1 }, () => 1), marker],
  };
}

const ZCreated = z.object({
  pid: z.number().int(),
  sets: z.array(z.object({ semid: z.number().int(), key: z.number().int() })),
});
type TCreated = z.infer<typeof ZCreated>;

/** The helper's sem-create answer: the last line of its output. */
function parseCreated(output: string): TCreated {
  const line = output.trim().split("\n").pop() ?? "";
  const parsed = ZCreated.safeParse(JSON.parse(line === "" ? "null" : line));
  if (!parsed.success) throw new ScenarioError(`unexpected sem-create output: ${output}`);
  return parsed.data;
}

async function legacySemaphores(
  ctx: THostContext,
  record: TInstanceRecord,
  opts: TBreakOptions,
): Promise<TScenarioState> {
  const crashed = await crash(ctx, record, opts);
  const postgres = ctx.users.postgres;
  const app = ctx.users.app;
  const base = record.port * 1000;
  // Ours: created by a process that has exactly the dead postmaster's PID, like PostgreSQL 9.6 at start-up.
  const oursSpec = [
    legacySet(PG_SEMA_MAGIC, base + 1),
    legacySet(PG_SEMA_MAGIC, base + 1),
    legacySet(1, base + 1),
  ];
  const ours = parseCreated(
    await runHelper(
      ctx,
      [
        "spawn-at-pid",
        "--wait",
        crashed.deadPid,
        postgres.uid,
        postgres.gid,
        "--",
        "/usr/bin/perl",
        ctx.helper,
        "sem-create",
        JSON.stringify(oursSpec),
      ],
      {
        timeoutMs: 120_000,
      },
    ),
  );
  if (ours.pid !== crashed.deadPid)
    throw new ScenarioError(
      `the semaphore creator got PID ${String(ours.pid)}, not ${String(crashed.deadPid)}`,
    );
  // Same user, another (dead) creator: the leftover of some other crashed instance.
  const otherInstance = parseCreated(
    await runHelper(
      ctx,
      [
        "sem-create",
        JSON.stringify([legacySet(PG_SEMA_MAGIC, ((record.port % 60000) + 1) * 1000 + 1)]),
      ],
      { user: postgres.name },
    ),
  );
  // Another user, live creator that stays: its own legacy PostgreSQL, say.
  const otherUser = await ctx.exec(
    `perl ${quote(ctx.helper)} sem-create --stay ${quote(JSON.stringify([legacySet(PG_SEMA_MAGIC, 6543 * 1000 + 1), legacySet(PG_SEMA_MAGIC, 6543 * 1000 + 1)]))} &`,
    { user: app.name },
  );
  if (otherUser.code !== 0)
    throw new ScenarioError(`could not create the other user's sets: ${otherUser.stderr}`);
  const otherUserSets = parseCreated(otherUser.stdout);
  // Another application altogether: other sizes and values.
  const otherApp = parseCreated(
    await runHelper(
      ctx,
      [
        "sem-create",
        JSON.stringify([
          { nsems: 1, keyStart: 0x41505001, values: [1] },
          { nsems: 4, keyStart: 0x41505101, values: [0, 0, 3, 7] },
        ]),
      ],
      { user: app.name },
    ),
  );
  const planned: TPlannedSet[] = [
    ...ours.sets.map((set, index) => ({
      semid: set.semid,
      kind: index < 2 ? ("ours" as const) : ("same-user-wrong-magic" as const),
    })),
    ...otherInstance.sets.map((set) => ({
      semid: set.semid,
      kind: "same-user-other-creator" as const,
    })),
    ...otherUserSets.sets.map((set) => ({
      semid: set.semid,
      kind: "other-user-live-creator" as const,
    })),
    ...otherApp.sets.map((set) => ({ semid: set.semid, kind: "other-application" as const })),
  ];
  const creator: TProcessRef = {
    pid: otherUserSets.pid,
    startTime: await startTimeOf(ctx, otherUserSets.pid),
    note: `live creator of ${app.name}'s semaphore sets`,
  };
  const saved: TInstanceRecord = {
    ...crashed.record,
    artifacts: { processes: [creator], semIds: planned.map((set) => set.semid) },
  };
  await saveInstanceRecord(ctx, saved);
  return finish(
    ctx,
    saved,
    "legacy-semaphores",
    crashSummary(
      ctx,
      `crashed legacy-style instance: 2 of ${String(planned.length)} SysV semaphore sets are its own (magic 537, creator = pid-file PID ${String(crashed.deadPid)})`,
      `crashed legacy-style instance: 2 of ${String(planned.length)} SysV semaphore sets are its own (magic 537, creator = the dead postmaster's PID ${String(crashed.deadPid)})`,
    ),
    {
      unrelated: [creator],
      semaphores: planned,
      checks: [
        ...crashed.checks,
        `${String(planned.length)} semaphore sets created, creator of ours = ${String(ours.pid)}`,
      ],
    },
  );
}

/** Reads the host once more and describes what the scenario left; records it on the instance. */
async function finish(
  ctx: THostContext,
  record: TInstanceRecord,
  scenario: TScenario,
  summary: string,
  extras: TExtras & { keepArtifacts?: boolean },
): Promise<TScenarioState> {
  const host = await captureHostState(ctx, [record]);
  const owners = new Map(Object.values(ctx.users).map((user) => [user.uid, user.name]));
  const supervisor = await ctx.supervisor.view(ctx, record);
  const state = describeScenario(
    record,
    scenario,
    summary,
    host,
    { ...extras, supervisor },
    owners,
  );
  if (extras.keepArtifacts !== true) {
    const current = await findInstanceRecord(ctx, record.name);
    await saveInstanceRecord(ctx, { ...current, lastScenario: scenario });
  }
  return state;
}

/** Pure: the TScenarioState of an instance from a host snapshot. */
export function describeScenario(
  record: TInstanceRecord,
  scenario: TScenario,
  summary: string,
  host: THostState,
  extras: TExtras,
  owners: ReadonlyMap<number, string>,
): TScenarioState {
  const table = new Map(host.processes.map((process) => [process.pid, process]));
  const pidFileText = host.pidFiles.find((file) => file.instance === record.name)?.content ?? null;
  const pidFile = pidFileText === null ? null : parseLabPidFile(pidFileText);
  const candidate = pidFile === null ? undefined : table.get(pidFile.pid);
  const postmasterPid =
    candidate !== undefined && candidate.cwd === record.pgdata && candidate.state !== "Z"
      ? candidate.pid
      : null;
  const members = instanceMembers(record, host.processes);
  const server = members.server;
  const zombiePids =
    postmasterPid === null
      ? []
      : host.processes
          .filter((process) => process.state === "Z" && process.ppid === postmasterPid)
          .map((process) => process.pid);
  const orphanPids = server
    .filter((process) => process.pid !== postmasterPid && process.ppid !== postmasterPid)
    .map((process) => process.pid);
  const stoppedPids = server
    .filter((process) => process.state === "T" || process.state === "t")
    .map((process) => process.pid);
  const clientPids = members.clients
    .filter((process) => process.state !== "Z")
    .map((process) => process.pid);
  const unrelatedPids = (extras.unrelated ?? [])
    .filter((ref) => table.get(ref.pid)?.startTime === ref.startTime)
    .map((ref) => ref.pid);
  const segment =
    pidFile?.shmId === null || pidFile === null
      ? undefined
      : host.shm.find(
          (candidateSegment) =>
            candidateSegment.shmid === pidFile.shmId && candidateSegment.key === pidFile.shmKey,
        );
  const semaphores: TLabSemaphoreSet[] = [];
  for (const planned of extras.semaphores ?? []) {
    const set = host.sem.find((candidateSet) => candidateSet.semid === planned.semid);
    if (set === undefined) continue;
    const creatorPid = set.pids[set.pids.length - 1] ?? 0;
    const creator = table.get(creatorPid);
    semaphores.push({
      semid: set.semid,
      key: set.key,
      ownerUid: set.uid,
      owner: owners.get(set.uid) ?? String(set.uid),
      nsems: set.nsems,
      values: set.values,
      creatorPid,
      creatorAlive: creator !== undefined && creator.state !== "Z",
      kind: planned.kind,
      ours: planned.kind === "ours",
    });
  }
  return {
    scenario,
    instance: record.name,
    pgdata: record.pgdata,
    summary,
    postmasterPid,
    pidFilePid: pidFile?.pid ?? null,
    backendPids: extras.backendPids ?? [],
    zombiePids,
    orphanPids,
    stoppedPids,
    clientPids,
    unrelatedPids,
    shm:
      segment === undefined
        ? null
        : { key: segment.key, shmid: segment.shmid, nattch: segment.nattch, ownerUid: segment.uid },
    semaphores,
    twin: extras.twin ?? null,
    supervisor: extras.supervisor ?? { kind: "tini" },
    checks: extras.checks,
  };
}
