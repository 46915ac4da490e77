// Benchmark 4 ("parsers"): every parser of core on the input it reads in a real capture vs. the hostile texts of
// core's testing kit (10 MiB of one line, of spaces, of noise, …, a backtracking bait): median ms and MiB/s.
import { readFile } from "node:fs/promises";
import {
  classifyProcessTitle,
  diagnose,
  explainWchan,
  findSection,
  normalizeShmKey,
  parseActionOutput,
  parseCmdlines,
  parseControlData,
  parseDsmFiles,
  parseIpcsSemInfo,
  parsePgControlHead,
  parsePidFile,
  parsePidText,
  parseProbeOutput,
  parseProcLinks,
  parseProcMaps,
  parseProcRecords,
  parseProcStat,
  parseSysvSem,
  parseSysvShm,
  type TProbeOutput,
} from "@pgrescue/core";
import { buildHostileTexts, type THostileText } from "@pgrescue/core/testing";
import type { TLocalBenchContext, TBenchmark, TBenchOutcome } from "./benchmark.ts";
import { runInterleaved, type TVariant } from "./harness.ts";
import { formatMarkdownTable, formatMs, summarize, type TSummary } from "./stats.ts";

/** The captures the "captured" column reads: a probe of PostgreSQL 15 with every section filled, and a rung 3 run. */
const PROBE_CAPTURE = "legacy-semaphores.pg15";
const ACTION_CAPTURE = "rung3-zombies.pg15";
const PROBE_DIR = new URL("../../packages/core/src/__fixtures__/probe/", import.meta.url);
const ACTION_DIR = new URL("../../packages/core/src/actions/__fixtures__/", import.meta.url);
/** Small inputs are called this many times per timed run at least, so that one run lasts a few milliseconds. */
const MIN_RUN_MS = 5;
const MIB = 1024 * 1024;
const CAPTURED = "captured";

type TCapture = { probeText: string; probe: TProbeOutput; pgdata: string; actionText: string };

/** One call of a parser on prepared input; returns true when the parser found something in it. */
type TCall = { bytes: number; run: () => boolean };

type TParserCase = {
  name: string;
  /** What the parser reads in the real capture (split into lines, picked from sections: untimed). */
  fromCapture: (capture: TCapture) => TCall;
  /** The parser on a whole hostile text, fed the way the probe's framing feeds it (lines where it takes lines). */
  fromText: (text: string) => TCall;
};

const encoder = new TextEncoder();

function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

function linesCall(lines: readonly string[], parse: (lines: readonly string[]) => boolean): TCall {
  return { bytes: utf8Bytes(lines.join("\n")), run: () => parse(lines) };
}

/** Lines of each hostile text, split once: the parsers only read them, and a split 10 MiB text is large. */
const linesOf = new Map<string, readonly string[]>();

function splitLines(text: string): readonly string[] {
  const known = linesOf.get(text);
  if (known !== undefined) return known;
  const lines = text.split("\n");
  linesOf.set(text, lines);
  return lines;
}

/** A parser of one value, called on each value of the capture: found something in at least one. */
function itemsCall(items: readonly string[], parse: (item: string) => boolean): TCall {
  if (items.length === 0) throw new Error("the capture has no values for this parser");
  return {
    bytes: items.reduce((total, item) => total + utf8Bytes(item), 0),
    run: () => {
      let found = false;
      for (const item of items) if (parse(item)) found = true;
      return found;
    },
  };
}

/** A parser of the lines of one probe section. */
function sectionCase(
  name: string,
  section: string,
  parse: (lines: readonly string[]) => boolean,
): TParserCase {
  return {
    name,
    fromCapture: (capture) => linesCall(requireSection(capture.probe, section).content, parse),
    fromText: (text) => linesCall(splitLines(text), parse),
  };
}

function requireSection(
  probe: TProbeOutput,
  name: string,
): { content: string[]; records: string[] } {
  const section = findSection(probe, name);
  if (section === undefined) throw new Error(`the capture has no ${name} section`);
  return section;
}

/** The stat part (after `P uid wchan `) of each process record of the capture. */
function statLines(capture: TCapture): string[] {
  return requireSection(capture.probe, "procs").records.map((record) =>
    record.split(" ").slice(3).join(" "),
  );
}

const PARSER_CASES: readonly TParserCase[] = [
  sectionCase("parsePidFile", "pidfile", (lines) => {
    const r = parsePidFile(lines);
    return r.pid !== null || r.shmKey !== null || r.errors.length === 0;
  }),
  {
    name: "normalizeShmKey",
    fromCapture: (capture) =>
      itemsCall(
        requireSection(capture.probe, "sysv_shm")
          .content.slice(1)
          .map((line) => line.trim().split(/\s+/)[0] ?? ""),
        (key) => normalizeShmKey(key) !== null,
      ),
    fromText: (text) => itemsCall([text], (key) => normalizeShmKey(key) !== null),
  },
  {
    name: "parseProcStat",
    fromCapture: (capture) => itemsCall(statLines(capture), (line) => parseProcStat(line).ok),
    fromText: (text) => itemsCall([text], (line) => parseProcStat(line).ok),
  },
  {
    name: "parsePidText",
    fromCapture: (capture) =>
      itemsCall(
        statLines(capture).map((line) => line.split(" ")[0] ?? ""),
        (pid) => parsePidText(pid) !== null,
      ),
    fromText: (text) => itemsCall([text], (pid) => parsePidText(pid) !== null),
  },
  {
    name: "parseProcRecords",
    fromCapture: (capture) => {
      const section = findSection(capture.probe, "procs");
      if (section === undefined) throw new Error("the capture has no procs section");
      return linesCall(section.records, (records) => {
        const r = parseProcRecords(records, section.fields);
        return r.records.length > 0 || r.total !== null || r.selected !== null;
      });
    },
    // As in core's hostile test: the text is also every field the parser reads.
    fromText: (text) =>
      linesCall(splitLines(text), (records) => {
        const r = parseProcRecords(records, { total: text, selected: text });
        return r.records.length > 0 || r.total !== null || r.selected !== null;
      }),
  },
  sectionCase("parseCmdlines", "cmdline", (lines) => parseCmdlines(lines).size > 0),
  sectionCase("parseProcLinks", "links", (lines) => parseProcLinks(lines).size > 0),
  sectionCase("parseProcMaps", "maps", (lines) => parseProcMaps(lines).size > 0),
  sectionCase("parseDsmFiles", "dsm", (lines) => parseDsmFiles(lines).length > 0),
  {
    name: "classifyProcessTitle",
    fromCapture: (capture) =>
      itemsCall(
        [...parseCmdlines(requireSection(capture.probe, "cmdline").content).values()],
        (title) => classifyProcessTitle(title).role !== "unknown",
      ),
    fromText: (text) =>
      itemsCall([text], (title) => classifyProcessTitle(title).role !== "unknown"),
  },
  {
    name: "explainWchan",
    fromCapture: (capture) =>
      itemsCall(
        requireSection(capture.probe, "procs").records.map((record) => record.split(" ")[2] ?? ""),
        (wchan) => explainWchan(wchan) !== null,
      ),
    fromText: (text) => itemsCall([text], (wchan) => explainWchan(wchan) !== null),
  },
  sectionCase("parseSysvShm", "sysv_shm", (lines) => {
    const r = parseSysvShm(lines);
    return r.rows.length > 0 || r.errors.length === 0;
  }),
  sectionCase("parseSysvSem", "sysv_sem", (lines) => {
    const r = parseSysvSem(lines);
    return r.rows.length > 0 || r.errors.length === 0;
  }),
  {
    name: "parseIpcsSemInfo",
    // Every sem_info section of the capture, each joined as diagnose joins it.
    fromCapture: (capture) =>
      itemsCall(
        capture.probe.sections
          .filter((section) => section.name === "sem_info")
          .map((section) => section.content.join("\n")),
        (text) => understandsSemInfo(text),
      ),
    fromText: (text) => itemsCall([text], (info) => understandsSemInfo(info)),
  },
  sectionCase("parseControlData", "controldata", (lines) => {
    const r = parseControlData(lines);
    return r.clusterState !== null || r.errors.length === 0;
  }),
  sectionCase("parsePgControlHead", "pg_control", (lines) => parsePgControlHead(lines) !== null),
  {
    name: "parseProbeOutput",
    fromCapture: (capture) => textCall(capture.probeText, understandsProbeOutput),
    fromText: (text) => textCall(text, understandsProbeOutput),
  },
  {
    name: "diagnose",
    fromCapture: (capture) => textCall(capture.probeText, (t) => understandsDiagnosis(t, capture)),
    fromText: (text) =>
      textCall(text, (t) => understandsDiagnosis(t, { pgdata: "/var/lib/postgresql/15/main" })),
  },
  {
    name: "parseActionOutput",
    fromCapture: (capture) => textCall(capture.actionText, understandsActionOutput),
    fromText: (text) => textCall(text, understandsActionOutput),
  },
];

function textCall(text: string, parse: (text: string) => boolean): TCall {
  return { bytes: utf8Bytes(text), run: () => parse(text) };
}

function understandsSemInfo(text: string): boolean {
  const r = parseIpcsSemInfo(text);
  return r.semid !== null || r.semaphores.length > 0 || r.errors.length === 0;
}

function understandsProbeOutput(text: string): boolean {
  const r = parseProbeOutput(text);
  return r.begun || r.errors.length === 0;
}

function understandsDiagnosis(text: string, options: { pgdata: string }): boolean {
  const r = diagnose(text, { pgdata: options.pgdata });
  return r.verdict.code !== "unknown" || r.recommendation.rung !== null;
}

function understandsActionOutput(text: string): boolean {
  const r = parseActionOutput(text);
  return r.begun || r.changedNothing || r.exitCode !== null || r.errors.length === 0;
}

export const parsersBenchmark: TBenchmark = {
  name: "parsers",
  title: "parsers on hostile input: each parser on a real capture vs. 10 MiB of garbage",
  labHost: false,
  run: runParsersBenchmark,
};

async function loadCapture(): Promise<TCapture> {
  const probeText = await readFile(new URL(`${PROBE_CAPTURE}.txt`, PROBE_DIR), "utf8");
  const meta: unknown = JSON.parse(
    await readFile(new URL(`${PROBE_CAPTURE}.meta.json`, PROBE_DIR), "utf8"),
  );
  const pgdata =
    typeof meta === "object" && meta !== null && "pgdata" in meta && typeof meta.pgdata === "string"
      ? meta.pgdata
      : null;
  if (pgdata === null) throw new Error(`${PROBE_CAPTURE}.meta.json has no pgdata`);
  const actionText = await readFile(new URL(`${ACTION_CAPTURE}.txt`, ACTION_DIR), "utf8");
  return { probeText, probe: parseProbeOutput(probeText), pgdata, actionText };
}

type TCell = { parser: string; input: string; bytes: number; callsPerRun: number };

export type TCellResult = TCell & {
  summary: TSummary;
  /** The median again in µs: the results file keeps 3 decimals, which is ns here (ms would lose small inputs). */
  medianMicroseconds: number;
  mibPerSecond: number;
};

/**
 * How often to call `call` per timed run so that one run lasts at least MIN_RUN_MS (1 for anything large): after one
 * untimed call (the first one compiles), batches of 1, 2, 4, … calls until a batch lasts that long.
 */
function calibrate(call: TCall): number {
  call.run();
  for (let calls = 1; calls < 100_000; calls *= 2) {
    const started = performance.now();
    for (let i = 0; i < calls; i += 1) call.run();
    if (performance.now() - started >= MIN_RUN_MS) return calls;
  }
  return 100_000;
}

async function runParsersBenchmark(context: TLocalBenchContext): Promise<TBenchOutcome> {
  const { signal, log } = context;
  const capture = await loadCapture();
  log("bench: building the hostile texts (about 100 MB)…");
  const texts: readonly THostileText[] = buildHostileTexts();
  const inputs = [CAPTURED, ...texts.map((text) => text.id)];

  const cells: TCell[] = [];
  const variants: TVariant[] = [];
  for (const parserCase of PARSER_CASES) {
    const calls: { input: string; call: TCall; understood: boolean }[] = [
      { input: CAPTURED, call: parserCase.fromCapture(capture), understood: true },
      ...texts.map((text) => ({
        input: text.id,
        call: parserCase.fromText(text.text),
        understood: false,
      })),
    ];
    for (const { input, call, understood } of calls) {
      const name = `${parserCase.name} · ${input}`;
      const callsPerRun = calibrate(call);
      cells.push({ parser: parserCase.name, input, bytes: call.bytes, callsPerRun });
      variants.push({
        name,
        // The runs are synchronous: give the event loop a turn between them so that Ctrl-C is heard.
        prepare: () =>
          new Promise((resolve) => {
            setImmediate(resolve);
          }),
        run: () => {
          let found = understood;
          for (let i = 0; i < callsPerRun; i += 1) found = call.run();
          return Promise.resolve({
            verify: () => {
              if (found !== understood) {
                throw new Error(
                  understood
                    ? `${parserCase.name} found nothing in the real capture`
                    : `${parserCase.name} claims to have read ${input}`,
                );
              }
            },
          });
        },
      });
    }
  }
  log(
    `bench: ${String(variants.length)} variants (${String(PARSER_CASES.length)} parsers × ${String(inputs.length)} inputs)…`,
  );
  const samples = await runInterleaved({
    variants,
    rounds: context.rounds,
    warmUpRounds: context.warmUpRounds,
    signal,
    onRun: ({ variant, round, warmUp, ms }) => {
      if (ms >= 100)
        log(
          `bench: [${warmUp ? "warm-up" : `round ${String(round - context.warmUpRounds + 1)}/${String(context.rounds)}`}] ${variant}: ${formatMs(ms)} ms`,
        );
    },
  });

  const results: TCellResult[] = cells.map((cell, index) => {
    const totals = samples[index]?.totalMs;
    if (totals === undefined) throw new Error(`no samples for ${cell.parser} · ${cell.input}`);
    const summary = summarize(totals.map((ms) => ms / cell.callsPerRun));
    return {
      ...cell,
      summary,
      medianMicroseconds: summary.median * 1000,
      mibPerSecond: cell.bytes / MIB / (summary.median / 1000),
    };
  });
  return {
    markdown: formatParserTables(results, texts),
    data: {
      probeCapture: PROBE_CAPTURE,
      actionCapture: ACTION_CAPTURE,
      inputs: [
        { id: CAPTURED, description: `${PROBE_CAPTURE} (probe), ${ACTION_CAPTURE} (action)` },
        ...texts.map((text) => ({ id: text.id, bytes: utf8Bytes(text.text) })),
      ],
      results,
    },
  };
}

/** Above this the parser cannot have read the input (it refused it after its first characters): no rate is shown. */
const UNREAD_MIB_PER_SECOND = 100_000;

function formatMibPerSecond(value: number): string {
  if (value >= UNREAD_MIB_PER_SECOND) return "—";
  return value >= 100 ? value.toFixed(0) : value.toPrecision(2);
}

/** Milliseconds with sub-millisecond detail for the small captured inputs. */
function formatCallMs(ms: number): string {
  return ms < 0.1 ? ms.toFixed(4) : ms < 1 ? ms.toFixed(3) : formatMs(ms);
}

export function formatParserTables(
  results: readonly TCellResult[],
  texts: readonly THostileText[],
): string {
  const parsers = [...new Set(results.map((result) => result.parser))];
  const cell = (parser: string, input: string): TCellResult => {
    const found = results.find((result) => result.parser === parser && result.input === input);
    if (found === undefined) throw new Error(`no result for ${parser} · ${input}`);
    return found;
  };
  const summary = formatMarkdownTable(
    [
      { header: "Parser" },
      { header: "captured: bytes", align: "right" },
      { header: "median ms", align: "right" },
      { header: "MiB/s", align: "right" },
      { header: "slowest hostile input" },
      { header: "median ms", align: "right" },
      { header: "MiB/s", align: "right" },
    ],
    parsers.map((parser) => {
      const captured = cell(parser, CAPTURED);
      const slowest = results
        .filter((result) => result.parser === parser && result.input !== CAPTURED)
        .reduce((worst, result) => (result.summary.median > worst.summary.median ? result : worst));
      return [
        parser,
        String(captured.bytes),
        formatCallMs(captured.summary.median),
        formatMibPerSecond(captured.mibPerSecond),
        slowest.input,
        formatCallMs(slowest.summary.median),
        formatMibPerSecond(slowest.mibPerSecond),
      ];
    }),
  );
  const matrix = (format: (result: TCellResult) => string): string =>
    formatMarkdownTable(
      [
        { header: "Parser" },
        ...texts.map((text) => ({ header: text.id, align: "right" as const })),
      ],
      parsers.map((parser) => [parser, ...texts.map((text) => format(cell(parser, text.id)))]),
    );
  const sizes = texts
    .map((text) => `\`${text.id}\` ${formatBytes(utf8Bytes(text.text))}`)
    .join(", ");
  return [
    `Each parser of \`@pgrescue/core\` on what it reads in a real capture (probe \`${PROBE_CAPTURE}\`: the section it parses, or each value of it; action output \`${ACTION_CAPTURE}\`) and on each hostile text of \`buildHostileTexts()\` (\`@pgrescue/core/testing\`), fed as the probe's framing feeds it (split into lines where the parser takes lines; splitting is not timed). Every run is verified: the parser must find what the capture holds and must report every hostile text as unreadable. Per call, median of the counted rounds; small inputs are called repeatedly within one timed run. MiB/s counts UTF-8 bytes of input.`,
    "",
    summary,
    "",
    `Median ms per hostile text (UTF-8 sizes: ${sizes}):`,
    "",
    matrix((result) => formatCallMs(result.summary.median)),
    "",
    `MiB/s per hostile text (—: over ${UNREAD_MIB_PER_SECOND.toLocaleString("en")} MiB/s, that is, refused after its first characters without reading the text):`,
    "",
    matrix((result) => formatMibPerSecond(result.mibPerSecond)),
  ].join("\n");
}

function formatBytes(bytes: number): string {
  return bytes >= MIB
    ? `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`
    : `${String(Math.round(bytes / 1024))} KiB`;
}
