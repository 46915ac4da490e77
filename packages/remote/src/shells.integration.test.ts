// The probe and the action scripts run for real under dash, bash --posix and busybox sh on one lab host, with the same results.
// One PostgreSQL 15 instance, scenarios in sequence: zombies, orphan-attached, stale-pidfile, then a healthy instance.
// Under each shell the probe reads the same facts of the same broken host, and each shell's recovery (every rung
// 0–4 once) ends in the same parsed action outputs. The shells' parsers and shellcheck: test/host-scripts.test.ts.
import {
  ACTION_EXIT,
  canonicalMaterialFacts,
  chooseRung,
  classifyStateForPlan,
  parseActionOutput,
  planLadder,
  type TActionOutput,
  type TFields,
  type TLadderOptions,
  type TLadderPlan,
  type TRung,
  type TSnapshot,
} from "@pgrescue/core";
import { expectSnapshotMatchesLab } from "@pgrescue/core/testing";
import {
  startLabHost,
  type TLabHost,
  type TLabInstance,
  type TScenario,
  type TScenarioState,
} from "@pgrescue/lab";
import { afterAll, beforeAll, expect, it } from "vitest";
import { diagnoseOverSsh } from "./diagnose.ts";
import { buildInterpreterCommand, type TScriptInterpreter } from "./interpreter.ts";
import { createSshPool, type TSshPool } from "./pool.ts";
import { pinnedTarget } from "./test-support.ts";
import type { TSshTarget } from "./types.ts";

const SHELLS = ["dash", "bash --posix", "busybox sh"] as const satisfies TScriptInterpreter[];
type TShell = (typeof SHELLS)[number];

let lab: TLabHost;
let pool: TSshPool;
let target: TSshTarget;
let instance: TLabInstance;

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-shells" });
  instance = await lab.createInstance({ name: "pg15", major: 15 });
  pool = createSshPool();
  target = pinnedTarget(lab, lab.logins.postgres);
});

afterAll(async () => {
  await pool.close();
  await lab.stop();
});

const params = () => ({
  pgdata: instance.pgdata,
  pgBin: instance.binDir,
  logFile: instance.logFile,
});

async function diagnoseWith(shell: TShell): Promise<TSnapshot> {
  return (await diagnoseOverSsh(pool, target, params(), { interpreter: shell })).snapshot;
}

/** What a diagnosis concludes and everything an approval is bound to; times and the probe's own PID left out. */
function readingOf(snapshot: TSnapshot) {
  return {
    verdict: snapshot.verdict.code,
    rung: snapshot.recommendation.rung,
    facts: canonicalMaterialFacts(snapshot),
    foreign: snapshot.foreignProcesses.map((p) => p.pid),
    pgIsReady: snapshot.connectivity.pgIsReady.meaning,
    clusterState: snapshot.controlData.clusterState,
    log: { file: snapshot.log.file, tail: snapshot.log.tail },
    warnings: snapshot.warnings,
    probe: { complete: snapshot.probe.complete, errors: snapshot.probe.errors },
  };
}

const outcomesOf = (items: readonly { outcome: string }[]): string[] =>
  [...new Set(items.map((i) => i.outcome))].sort();

/** A run's parsed output with what differs between two breaks of the same scenario (PIDs, ids, mtimes) made equal. */
function shapeOf(exitCode: number | null, parsed: TActionOutput) {
  const fields = (f: TFields) =>
    Object.fromEntries(
      Object.entries(f).map(([key, value]) => [
        key,
        key === "state" ? classifyStateForPlan(value) : value.replace(/\d+/g, "N"),
      ]),
    );
  return {
    exitCode,
    status: parsed.status,
    verified: parsed.verified,
    changedNothing: parsed.changedNothing,
    checks: parsed.checks.map(fields),
    started: parsed.started.map((s) => ({ verb: s.verb, fields: fields(s.fields) })),
    actions: parsed.actions.map((a) => ({ verb: a.verb, result: a.result, rc: a.rc })),
    // How many zombies a break leaves depends on the host's timing (a worker exiting while the
    // postmaster is stopped stays <defunct> too), not on the shell: compare the outcomes seen.
    // A killed process is "exited" until init reaps it, then "gone": both mean it died.
    waits: outcomesOf(
      parsed.waits.map((w) => ({ outcome: w.outcome === "survived" ? "survived" : "died" })),
    ),
    reaps: outcomesOf(parsed.reaps),
    // What a resumed process looks like a second later is informational and timing-dependent.
    observations: parsed.observations.length,
    verifications: parsed.verifications.map((v) => `${v.tool} ${v.result} ${String(v.rc)}`),
    notices: parsed.notices.map((n) => fields(n.fields)),
    refusals: parsed.refusals.map((r) => r.reason),
    unable: parsed.unable.map((u) => u.reason),
    skips: parsed.skips.map(fields),
    logTail: parsed.logTail !== null,
    errors: parsed.errors,
  };
}

type TStepRun = { rung: TRung; shape: ReturnType<typeof shapeOf> };
/** A rung to run; `samePlan` runs it from the previous step's plan instead of diagnosing again. */
type TStepSpec = { rung: TRung; options?: Partial<TLadderOptions>; samePlan?: true };

/** Run the chosen rung's script of the plan under the shell. */
async function runRung(shell: TShell, plan: TLadderPlan, rung: TRung): Promise<TStepRun> {
  const choice = chooseRung(plan, rung);
  if (!choice.ok) throw new Error(`${shell}, rung ${String(rung)}: ${choice.refusal.reason}`);
  const { script, invocation } = choice.step;
  if (script === null || invocation === null) throw new Error(`rung ${String(rung)} has no script`);
  const result = await pool.run(target, buildInterpreterCommand(shell), {
    stdin: script,
    timeoutMs: invocation.timeoutSec * 1000,
  });
  expect(result.stderr, `${shell}, rung ${String(rung)}`).toBe("");
  const parsed = parseActionOutput(result.stdout);
  expect(parsed.errors, result.stdout).toEqual([]);
  return { rung, shape: shapeOf(result.exitCode, parsed) };
}

/** The broken host read by the probe under each shell: identical readings, each true to the lab. */
async function expectSameReading(state: TScenarioState): Promise<void> {
  const readings = new Map<TShell, ReturnType<typeof readingOf>>();
  for (const shell of SHELLS) {
    const snapshot = await diagnoseWith(shell);
    expectSnapshotMatchesLab(snapshot, state);
    expect(snapshot.probe.complete, shell).toBe(true);
    readings.set(shell, readingOf(snapshot));
  }
  for (const shell of SHELLS) expect(readings.get(shell), shell).toEqual(readings.get("dash"));
}

/**
 * Breaks the instance once per shell and recovers it with the same rungs under that shell; the
 * first break is also read by the probe under every shell. Returns dash's runs.
 */
async function expectSameRecovery(
  scenario: TScenario,
  steps: readonly TStepSpec[],
): Promise<TStepRun[]> {
  const runs = new Map<TShell, TStepRun[]>();
  for (const shell of SHELLS) {
    const state = await lab.breakInstance(instance, scenario);
    if (shell === "dash" && scenario !== "healthy") await expectSameReading(state);
    const done: TStepRun[] = [];
    let plan: TLadderPlan | null = null;
    for (const { rung, options, samePlan } of steps) {
      if (plan === null || samePlan !== true) {
        plan = planLadder(await diagnoseWith(shell), { ...params(), ...options });
      }
      done.push(await runRung(shell, plan, rung));
    }
    expect((await diagnoseWith(shell)).verdict.code, shell).toBe("healthy");
    runs.set(shell, done);
  }
  for (const shell of SHELLS) expect(runs.get(shell), shell).toEqual(runs.get("dash"));
  return runs.get("dash") ?? [];
}

const exitsOf = (runs: readonly TStepRun[]) =>
  runs.map((r) => [r.rung, r.shape.exitCode, r.shape.status]);
const OK = [ACTION_EXIT.ok, "ok"] as const;

it("each interpreter of the allow-list is the shell that reads the script", async () => {
  const binaries: string[] = [];
  for (const shell of SHELLS) {
    const run = await pool.run(target, buildInterpreterCommand(shell), {
      stdin: "readlink /proc/$$/exe\n",
    });
    binaries.push(run.stdout.trim());
  }
  expect(binaries).toEqual(["/usr/bin/dash", "/usr/bin/bash", "/usr/bin/busybox"]);
});

it("zombies: the same reading under every shell; rung 1 times out on the stopped postmaster, rung 0 resumes it and it shuts down, rung 4 starts", async () => {
  const runs = await expectSameRecovery("zombies", [
    { rung: 1, options: { stopTimeoutSec: 1 } },
    // From the same diagnosis: the host is as it was, plus the SIGINT now pending on the postmaster.
    { rung: 0, samePlan: true },
    { rung: 4 },
  ]);
  expect(exitsOf(runs)).toEqual([
    [1, ACTION_EXIT.failed, "failed"],
    [0, ...OK],
    [4, ...OK],
  ]);
  expect(runs[1]?.shape.notices).toEqual([
    { pid: "N", reason: "pending-signals", signals: "SIGINT" },
  ]);
});

it("orphan-attached: the same reading under every shell; rung 3 kills the orphan holding the segment, rung 4 starts", async () => {
  const runs = await expectSameRecovery("orphan-attached", [{ rung: 3 }, { rung: 4 }]);
  expect(exitsOf(runs)).toEqual([
    [3, ...OK],
    [4, ...OK],
  ]);
  expect(runs[0]?.shape.actions.map((a) => `${a.verb} ${a.result}`)).toContain("kill ok");
});

it("stale-pidfile: the same reading under every shell; rung 3 removes the unattached segment (on request), rung 4 starts", async () => {
  const runs = await expectSameRecovery("stale-pidfile", [
    { rung: 3, options: { cleanup: { sharedMemory: true } } },
    { rung: 4 },
  ]);
  expect(exitsOf(runs)).toEqual([
    [3, ...OK],
    [4, ...OK],
  ]);
  expect(runs[0]?.shape.actions).toEqual([{ verb: "ipcrm", result: "ok", rc: 0 }]);
});

it("healthy: rung 2 stops the instance at once and rung 4 starts it, the same under every shell", async () => {
  const runs = await expectSameRecovery("healthy", [{ rung: 2 }, { rung: 4 }]);
  expect(exitsOf(runs)).toEqual([
    [2, ...OK],
    [4, ...OK],
  ]);
  expect(runs[1]?.shape.verifications).toEqual(["pg_isready ok 0", "psql ok 0"]);
});
