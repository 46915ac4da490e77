// Meaning of pg_isready's exit status (and of the `timeout` wrapper around it).

export const PG_ISREADY_MEANINGS = [
  "accepting",
  "rejecting",
  "no-response",
  "no-attempt",
  "timed-out",
  "tool-missing",
  "not-run",
  "error",
] as const;

export type TPgIsReadyMeaning = (typeof PG_ISREADY_MEANINGS)[number];

/** Map an exit code to its meaning: 0 accepting, 1 rejecting, 2 no response, 3 no attempt. */
export function interpretPgIsReady(exitCode: number | null): TPgIsReadyMeaning {
  switch (exitCode) {
    case null:
      return "not-run";
    case 0:
      return "accepting";
    case 1:
      return "rejecting";
    case 2:
      return "no-response";
    case 3:
      return "no-attempt";
    case 124:
      return "timed-out";
    case 126:
    case 127:
      return "tool-missing";
    default:
      return "error";
  }
}

/** One line a DBA reads in the evidence list. */
export function describePgIsReady(meaning: TPgIsReadyMeaning): string {
  const text: Record<TPgIsReadyMeaning, string> = {
    accepting: "accepting connections",
    rejecting: "rejecting connections (starting up, shutting down or in crash recovery)",
    "no-response": "no response",
    "no-attempt": "no attempt (bad connection parameters)",
    "timed-out": "no answer before the probe's hard timeout",
    "tool-missing": "pg_isready could not be executed",
    "not-run": "not run",
    error: "failed",
  };
  return text[meaning];
}
