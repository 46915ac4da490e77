// One planned action over SSH: the step's script in a single exec (POSIX sh on stdin), output streamed as it
// arrives, parsed by core. The action counterpart of diagnose.ts; the caller decides what the outcome means.
import {
  parseActionOutput,
  type TActionOutput,
  type TLadderStep,
  type TRung,
} from "@pgrescue/core";
import type { TSshPool } from "./pool.ts";
import type { THostKeyStatus, TOutputChunk, TPresentedHostKey, TSshTarget } from "./types.ts";

/**
 * Headroom of the executor's limit over the step's own bound (`invocation.timeoutSec`, which already covers the
 * script's waits): the script ends by itself first, and the remote `timeout` only catches a script that hangs.
 */
export const ACTION_TIMEOUT_MARGIN_SEC = 15;

/** A planned step that can run: its exact script and how to invoke it. */
export type TRunnableAction = {
  rung: TRung;
  script: string;
  invocation: NonNullable<TLadderStep["invocation"]>;
};

/** The step as a runnable action, or null when the plan gives it no script (it cannot run at all). */
export function toRunnableAction(step: TLadderStep): TRunnableAction | null {
  if (step.script === null || step.invocation === null) return null;
  return { rung: step.rung, script: step.script, invocation: step.invocation };
}

export type TActionRunOptions = {
  onStdout?: (chunk: TOutputChunk) => void;
  onStderr?: (chunk: TOutputChunk) => void;
  signal?: AbortSignal;
};

export type TActionRun = {
  /** Null when the script died from a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The script's own report: actions, refusals, waits, verifications, status. */
  report: TActionOutput;
  durationMs: number;
  wrappedCommand: string;
  hostKey: TPresentedHostKey;
  hostKeyStatus: THostKeyStatus;
};

/**
 * Runs one action script and parses its report. A non-zero exit code is the script's answer (refused, failed…),
 * not an error; connection problems and the executor's timeout throw typed RemoteErrors.
 */
export async function runActionOverSsh(
  pool: TSshPool,
  target: TSshTarget,
  action: TRunnableAction,
  options: TActionRunOptions = {},
): Promise<TActionRun> {
  const result = await pool.run(target, action.invocation.command, {
    stdin: action.script,
    timeoutMs: (action.invocation.timeoutSec + ACTION_TIMEOUT_MARGIN_SEC) * 1000,
    onStdout: options.onStdout,
    onStderr: options.onStderr,
    signal: options.signal,
  });
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    report: parseActionOutput(result.stdout),
    durationMs: result.durationMs,
    wrappedCommand: result.wrappedCommand,
    hostKey: result.hostKey,
    hostKeyStatus: result.hostKeyStatus,
  };
}
