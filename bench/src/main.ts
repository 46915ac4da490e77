// `pnpm bench [name] [--rounds N] [--json]`: runs one benchmark (on a fresh lab host when it needs one), prints its tables and writes results/<name>.{md,json}.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startLabHost } from "@pgrescue/lab";
import type { TBenchmark } from "./benchmark.ts";
import { diagnosisBenchmark } from "./diagnosis.ts";
import { historyBenchmark } from "./history.ts";
import { parsersBenchmark } from "./parsers.ts";
import { recoveryBenchmark } from "./recovery.ts";
import { describeError } from "./harness.ts";
import { collectMachineFacts, finishMachineFacts } from "./machine.ts";
import {
  formatResultsJson,
  formatResultsMarkdown,
  writeResults,
  type TResultsHeader,
} from "./report.ts";

const BENCHMARKS: readonly TBenchmark[] = [
  diagnosisBenchmark,
  recoveryBenchmark,
  historyBenchmark,
  parsersBenchmark,
];
const DEFAULT_ROUNDS = 15;
const MIN_ROUNDS = 10;
const WARM_UP_ROUNDS = 2;
const RESULTS_DIR = fileURLToPath(new URL("../results", import.meta.url));

const USAGE = `usage: pnpm bench [${BENCHMARKS.map((b) => b.name).join("|")}] [--rounds N] [--json]   (no name: all, one after the other)
  --rounds N  counted rounds after ${String(WARM_UP_ROUNDS)} warm-up rounds (default ${String(DEFAULT_ROUNDS)}, at least ${String(MIN_ROUNDS)})
  --json      print the results as JSON instead of Markdown (progress stays on stderr)`;

class UsageError extends Error {}

class InterruptedError extends Error {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
  }
}

type TArgs = { benchmarks: TBenchmark[]; rounds: number; json: boolean };

function parseCommandLine(argv: string[]): TArgs | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rounds: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return "help";
  if (positionals.length > 1) throw new UsageError("one benchmark at a time");
  const name = positionals[0];
  const benchmark = BENCHMARKS.find((candidate) => candidate.name === name);
  if (name !== undefined && benchmark === undefined)
    throw new UsageError(`unknown benchmark "${name}"`);
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS)
    throw new UsageError(`--rounds must be an integer ≥ ${String(MIN_ROUNDS)}`);
  return {
    benchmarks: benchmark === undefined ? [...BENCHMARKS] : [benchmark],
    rounds,
    json: values.json === true,
  };
}

async function main(argv: string[]): Promise<number> {
  let args: TArgs | "help";
  try {
    args = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`bench: ${describeError(error)}\n${USAGE}\n`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  for (const benchmark of args.benchmarks) {
    const code = await runOne(benchmark, args.rounds, args.json);
    if (code !== 0) return code;
  }
  return 0;
}

async function runOne(benchmark: TBenchmark, rounds: number, json: boolean): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const labName = `bench-${benchmark.name}`;

  // The first SIGINT/SIGTERM aborts the run and lets the finally block stop the lab host; a second one gives up.
  const controller = new AbortController();
  const onSignal = (signalName: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log(
        benchmark.labHost === false
          ? `bench: ${signalName} again: exiting`
          : `bench: ${signalName} again: exiting without cleanup; the next \`pnpm bench\` replaces lab host ${labName}, or run \`pnpm lab down --name ${labName}\``,
      );
      process.exit(130);
    }
    log(
      `bench: ${signalName}: stopping${benchmark.labHost === false ? "" : ", cleaning up the lab host"}…`,
    );
    controller.abort(new InterruptedError(signalName));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const machine = await collectMachineFacts();
    const date = new Date().toISOString();
    const context = { rounds, warmUpRounds: WARM_UP_ROUNDS, signal: controller.signal, log };
    let outcome;
    if (benchmark.labHost === false) {
      log(`bench: ${benchmark.name}: on this machine, no lab host…`);
      outcome = await benchmark.run(context);
    } else {
      log(`bench: ${benchmark.name}: starting lab host ${labName}…`);
      const lab = await startLabHost({ name: labName });
      try {
        controller.signal.throwIfAborted();
        outcome = await benchmark.run({ ...context, lab });
      } finally {
        log(`bench: stopping lab host ${labName}…`);
        await lab.stop();
      }
    }
    const header: TResultsHeader = {
      benchmark: benchmark.name,
      title: benchmark.title,
      date,
      rounds,
      warmUpRounds: WARM_UP_ROUNDS,
      machine: finishMachineFacts(machine),
    };
    const files = await writeResults(RESULTS_DIR, header, outcome.markdown, outcome.data);
    process.stdout.write(
      json
        ? formatResultsJson(header, outcome.data)
        : formatResultsMarkdown(header, outcome.markdown),
    );
    log(
      `bench: wrote ${path.relative(process.cwd(), files.markdownFile)} and ${path.relative(process.cwd(), files.jsonFile)}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof InterruptedError || controller.signal.aborted) {
      log(
        `bench: ${controller.signal.reason instanceof InterruptedError ? controller.signal.reason.message : describeError(error)}; ${benchmark.labHost === false ? "" : "lab host stopped, "}nothing written`,
      );
      return 130;
    }
    log(`bench: FAILED: ${describeError(error)}`);
    if (error instanceof Error && error.stack !== undefined) log(error.stack);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const exitCode = await main(process.argv.slice(2));
// Under --conditions=react-server (needed to load the API's server-only modules outside Next.js) something resets
// process.exitCode before exit; set it again at the very end.
process.on("exit", () => {
  process.exitCode = exitCode;
});
process.exitCode = exitCode;
