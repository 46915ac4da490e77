// What a benchmark is to `pnpm bench`: a name, a title, and a run — on a lab host the runner starts and always stops,
// or on this machine alone when the benchmark needs no host (labHost: false).
import type { TLabHost } from "@pgrescue/lab";

/** What every run gets. */
export type TLocalBenchContext = {
  rounds: number;
  warmUpRounds: number;
  /** Aborted on SIGINT/SIGTERM: pass it to every long operation. */
  signal: AbortSignal;
  /** Progress for humans, on stderr. */
  log: (line: string) => void;
};

export type TBenchContext = TLocalBenchContext & {
  /** A fresh lab host, stopped by the runner afterwards (also on SIGINT/SIGTERM). */
  lab: TLabHost;
};

export type TBenchOutcome = {
  /** Markdown tables (printed to stdout and written to results/<name>.md below the header). */
  markdown: string;
  /** Machine-readable results (`--json`, results/<name>.json). */
  data: object;
};

export type TBenchmark = {
  /** kebab-case; names the lab host (`bench-<name>`) and the results files. */
  name: string;
  title: string;
} & (
  | { labHost?: true; run: (context: TBenchContext) => Promise<TBenchOutcome> }
  | { labHost: false; run: (context: TLocalBenchContext) => Promise<TBenchOutcome> }
);
