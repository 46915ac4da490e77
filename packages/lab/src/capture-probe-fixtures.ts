// Captures the diagnosis probe's real output for every lab scenario (PostgreSQL 15 and 18) as core's fixtures,
// and proves each run left the host unchanged. Run: pnpm --filter @pgrescue/lab exec tsx src/capture-probe-fixtures.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
// @pgrescue/lab deliberately does not depend on @pgrescue/core (its tests must not grade core with core);
// this one-off capture script is the only lab file that reaches core, by path.
import { buildProbeScript } from "@pgrescue/core";
import { diffHostStates } from "./capture.ts";
import { REPO_ROOT } from "./env.ts";
import { startLabHost } from "./lab-host.ts";
import type { TLabHost, TLabInstance, TScenario, TScenarioState } from "./types.ts";
import { SCENARIOS } from "./types.ts";

const OUT_DIR = path.join(REPO_ROOT, "packages", "core", "src", "__fixtures__", "probe");
const MAJORS = [15, 18] as const;

type TCapture = {
  stdout: string;
  stderr: string;
  code: number;
  runtimeMs: number;
  hostDiff: string[];
};

/** Runs the probe exactly as the remote executor does: the script on stdin of `sh -s`, as the instance's OS user. */
async function runProbe(host: TLabHost, instance: TLabInstance, env: string): Promise<TCapture> {
  const script = buildProbeScript({
    pgdata: instance.pgdata,
    pgBin: instance.binDir,
    logFile: instance.logFile,
  });
  const before = await host.captureState();
  const started = performance.now();
  const result = await host.exec(`exec env ${env} /bin/sh -s`, {
    user: instance.osUser,
    input: script,
    timeoutMs: 60_000,
  });
  const runtimeMs = Math.round(performance.now() - started);
  const after = await host.captureState();
  return { ...result, runtimeMs, hostDiff: diffHostStates(before, after) };
}

async function writeFixture(
  name: string,
  instance: TLabInstance,
  capture: TCapture,
  how: string,
  state: TScenarioState | null,
): Promise<void> {
  await writeFile(path.join(OUT_DIR, `${name}.txt`), capture.stdout);
  const meta = {
    fixture: `${name}.txt`,
    pgdata: instance.pgdata,
    major: instance.major,
    osUser: instance.osUser,
    capturedAt: new Date().toISOString(),
    how,
    exitCode: capture.code,
    stderr: capture.stderr,
    runtimeMs: capture.runtimeMs,
    bytes: Buffer.byteLength(capture.stdout),
    hostDiffAfterProbe: capture.hostDiff,
    scenario: state,
  };
  await writeFile(path.join(OUT_DIR, `${name}.meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
  const diff =
    capture.hostDiff.length === 0 ? "host unchanged" : `host diff: ${capture.hostDiff.join(" | ")}`;
  console.log(
    `${name}: exit ${String(capture.code)}, ${String(capture.runtimeMs)} ms, ${String(meta.bytes)} bytes; ${diff}`,
  );
}

async function captureScenario(
  host: TLabHost,
  instance: TLabInstance,
  scenario: TScenario,
): Promise<void> {
  // "two-instances" leaves the main instance as it was: make it healthy first, so both answer.
  if (scenario === "two-instances") await host.breakInstance(instance, "healthy");
  const state = await host.breakInstance(instance, scenario);
  const how = `lab host (root mode), breakInstance(${instance.name}, "${scenario}"), probe via host.exec("/bin/sh -s") as ${instance.osUser} with LC_ALL=C`;
  await writeFixture(
    `${scenario}.pg${String(instance.major)}`,
    instance,
    await runProbe(host, instance, "LC_ALL=C"),
    how,
    state,
  );
  if (scenario === "two-instances" && state.twin !== null) {
    const twin = state.twin.instance;
    const twinHow = `lab host, the healthy twin ${twin.name} of "two-instances" next to ${instance.name}, probed as ${twin.osUser}`;
    await writeFixture(
      `two-instances-twin.pg${String(instance.major)}`,
      twin,
      await runProbe(host, twin, "LC_ALL=C"),
      twinHow,
      state,
    );
  }
  if (scenario === "zombies") {
    // The executor forces LC_ALL=C; here the login environment is German and only the probe itself forces C.
    const env = "-u LC_ALL LANG=de_DE.UTF-8 LC_MESSAGES=de_DE.UTF-8 LANGUAGE=de";
    const localeHow = `${how.replace("with LC_ALL=C", "")}with LANG=de_DE.UTF-8 LANGUAGE=de and no LC_ALL`;
    await writeFixture(
      `zombies-env-de.pg${String(instance.major)}`,
      instance,
      await runProbe(host, instance, env),
      localeHow,
      state,
    );
  }
}

async function main(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true });
  const host = await startLabHost({ name: "probe-fixtures" });
  try {
    for (const major of MAJORS) {
      const instance = await host.createInstance({ name: `fx${String(major)}`, major });
      for (const scenario of SCENARIOS) await captureScenario(host, instance, scenario);
    }
  } finally {
    await host.stop();
  }
}

await main();
