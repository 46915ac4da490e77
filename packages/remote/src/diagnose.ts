// One read-only diagnosis over SSH: the probe script in a single exec, parsed by core into a Snapshot.
import {
  buildProbeScript,
  diagnose,
  PROBE_INVOCATION,
  type TProbeParams,
  type TSnapshot,
} from "@pgrescue/core";
import { buildInterpreterCommand, type TScriptInterpreter } from "./interpreter.ts";
import type { TSshPool } from "./pool.ts";
import type { TPresentedHostKey, THostKeyStatus, TSshTarget } from "./types.ts";

export const DIAGNOSIS_TIMEOUT_MS = PROBE_INVOCATION.suggestedTimeoutSec * 1000;

export type TDiagnosisTimings = {
  /** When the diagnosis began and ended (epoch milliseconds, this machine's clock). */
  startedAt: number;
  finishedAt: number;
  /** Wall time including connecting (when the pool had no connection yet) and parsing. */
  totalMs: number;
  /** The probe's exec, from channel open to exit. */
  execMs: number;
  parseMs: number;
};

export type TDiagnosisRun = {
  snapshot: TSnapshot;
  /** The probe's raw output, kept as evidence. */
  raw: { stdout: string; stderr: string; exitCode: number | null; truncated: boolean };
  /** The script sent on stdin and the command line that ran it. */
  script: string;
  wrappedCommand: string;
  timings: TDiagnosisTimings;
  /** Remote executions this diagnosis used: always one. */
  sshExecs: 1;
  hostKey: TPresentedHostKey;
  hostKeyStatus: THostKeyStatus;
};

export type TDiagnosisOptions = {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The shell that reads the probe (an allow-list; tests use it to run the probe under each). Default /bin/sh. */
  interpreter?: TScriptInterpreter;
};

/** Run the read-only probe for one instance and diagnose it. Connection and timeout problems throw typed RemoteErrors. */
export async function diagnoseOverSsh(
  pool: TSshPool,
  target: TSshTarget,
  params: TProbeParams,
  options: TDiagnosisOptions = {},
): Promise<TDiagnosisRun> {
  // Built (and validated) before anything is sent.
  const script = buildProbeScript(params);
  const command = buildInterpreterCommand(options.interpreter);
  const startedAt = Date.now();
  const started = performance.now();
  const result = await pool.run(target, command, {
    stdin: script,
    timeoutMs: options.timeoutMs ?? DIAGNOSIS_TIMEOUT_MS,
    signal: options.signal,
  });
  const parseStarted = performance.now();
  const snapshot = diagnose(result.stdout, { pgdata: params.pgdata });
  const finished = performance.now();
  return {
    snapshot,
    raw: {
      stdout: result.stdout,
      stderr: result.stderr,
      exitCode: result.exitCode,
      truncated: result.truncated.stdout || result.truncated.stderr,
    },
    script,
    wrappedCommand: result.wrappedCommand,
    timings: {
      startedAt,
      finishedAt: startedAt + Math.round(finished - started),
      totalMs: round(finished - started),
      execMs: round(result.durationMs),
      parseMs: round(finished - parseStarted),
    },
    sshExecs: 1,
    hostKey: result.hostKey,
    hostKeyStatus: result.hostKeyStatus,
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
