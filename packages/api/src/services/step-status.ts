// How a finished run becomes the step's record: its status, exit code, the script's report and the error shown. Pure.
import {
  ACTION_EXIT,
  isNothingChangedExit,
  parseActionOutput,
  type TActionOutput,
} from "@pgrescue/core";
import type { StepStatus } from "@pgrescue/db";
import { RemoteError } from "@pgrescue/remote";

/** What came back from the host: the script's exit and report, or why the run ended without one. */
export type TActionRunEnd =
  | { kind: "exited"; exitCode: number | null; report: TActionOutput }
  /** The connection or the executor's timeout ended the run: the script's outcome is not known. */
  | { kind: "failed"; failure: string };

export type TFinishedStep = {
  status: Extract<StepStatus, "SUCCEEDED" | "REFUSED" | "FAILED">;
  exitCode: number | null;
  result: TActionOutput;
  error: string | null;
};

/**
 * Exit 0 succeeded; 2 and 3 mean the script changed nothing (unable / refused by its re-verification); anything
 * else, a death by signal included, failed — with the script's own words as the error where it gave any.
 */
export function describeFinishedStep(end: TActionRunEnd): TFinishedStep {
  if (end.kind === "failed") {
    return {
      status: "FAILED",
      exitCode: null,
      result: parseActionOutput(""),
      error: end.failure,
    };
  }
  const { exitCode, report } = end;
  const status =
    exitCode === ACTION_EXIT.ok
      ? "SUCCEEDED"
      : isNothingChangedExit(exitCode)
        ? "REFUSED"
        : "FAILED";
  const problems = [
    ...report.refusals.map((refusal) => refusal.message ?? refusal.reason),
    ...report.unable.map((unable) => unable.message ?? unable.reason),
    ...report.errors,
  ];
  return {
    status,
    exitCode,
    result: report,
    error: status === "SUCCEEDED" ? null : problems.join("\n") || `exit code ${String(exitCode)}`,
  };
}

/** One line for a run that ended without the script's answer: the remote error's code and message. */
export function describeRunFailure(error: unknown): string {
  if (error instanceof RemoteError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
