// Framing of the probe's output: splits raw stdout into sections, tolerating garbage and truncation.
import { PROBE_MARKER, PROBE_VERSION } from "./probe-script.ts";

export type TProbeSection = {
  name: string;
  /** `key=value` words after the section name, e.g. `semid=5` of `sem_info`. */
  args: Record<string, string>;
  /** `key=value` lines written by the script itself (first occurrence wins; see `allFields`). */
  fields: Record<string, string>;
  allFields: [string, string][];
  /** Quoted content lines (`|…`), prefix removed: raw text from files and tools. */
  content: string[];
  /** Structured lines that are neither fields nor content (e.g. `P …` process records). */
  records: string[];
  /** Exit code reported with `@@pgrescue:rc N`, when the section ran a tool. */
  rc: number | null;
  /** False when the output ended inside this section. */
  complete: boolean;
};

export type TProbeOutput = {
  version: string | null;
  /** A `begin` marker was found. */
  begun: boolean;
  /** The `end` marker was found: the script ran to completion. */
  ended: boolean;
  sections: TProbeSection[];
  /** `@@pgrescue:warn` lines, in order. */
  warnings: string[];
  /** Problems found while framing (unknown markers, lines outside sections, …). */
  errors: string[];
  /** Lines before the begin marker (login banners, shell noise). */
  preambleLines: number;
};

const KEY_VALUE = /^([a-z][a-z0-9_]*)=(.*)$/;
const BEGIN_MARKER = `${PROBE_MARKER}begin`;
const CR = 0x0d;
const PIPE = 0x7c;

function parseArgs(words: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const word of words) {
    const m = KEY_VALUE.exec(word);
    if (m?.[1] !== undefined && m[2] !== undefined) args[m[1]] = m[2];
  }
  return args;
}

function createSection(name: string, args: Record<string, string>): TProbeSection {
  return {
    name,
    args,
    fields: {},
    allFields: [],
    content: [],
    records: [],
    rc: null,
    complete: true,
  };
}

/** Split raw probe stdout into sections. Never throws; problems land in `errors`. */
export function parseProbeOutput(raw: string): TProbeOutput {
  const result: TProbeOutput = {
    version: null,
    begun: false,
    ended: false,
    sections: [],
    warnings: [],
    errors: [],
    preambleLines: 0,
  };
  let current: TProbeSection | null = null;
  let strayLines = 0;
  let afterEnd = 0;

  // Lines are read in place rather than split: a quoted line becomes one string (its text) instead of two, and lines
  // before the begin or after the end marker none. Stopping at `start < raw.length` drops the empty piece after a
  // final newline, as `split("\n")` then `pop()` would.
  for (let start = 0, next = 0; start < raw.length; start = next) {
    const newline = raw.indexOf("\n", start);
    const end = newline < 0 ? raw.length : newline;
    next = end + 1;
    // CRLF output: the CR is not part of the line.
    const stop = end > start && raw.charCodeAt(end - 1) === CR ? end - 1 : end;
    if (!result.begun) {
      if (raw.startsWith(BEGIN_MARKER, start)) {
        const line = raw.slice(start, stop);
        result.begun = true;
        result.version = parseArgs(line.slice(PROBE_MARKER.length).split(" ").slice(1)).v ?? null;
      } else {
        result.preambleLines++;
      }
      continue;
    }
    if (result.ended) {
      afterEnd++;
      continue;
    }
    if (current !== null && raw.charCodeAt(start) === PIPE) {
      current.content.push(raw.slice(start + 1, stop));
      continue;
    }
    const line = raw.slice(start, stop);
    if (line.startsWith(PROBE_MARKER)) {
      // `VERB[ REST]`: only a section's REST is split into words (its arguments); a long marker line is not.
      const marker = line.slice(PROBE_MARKER.length);
      const space = marker.indexOf(" ");
      const verb = space < 0 ? marker : marker.slice(0, space);
      const rest = space < 0 ? null : marker.slice(space + 1);
      if (verb === "section") {
        const words = rest === null ? [] : rest.split(" ");
        current = createSection(words[0] ?? "", parseArgs(words.slice(1)));
        result.sections.push(current);
      } else if (verb === "rc") {
        // One word of at most 3 digits, nothing after it.
        const code = rest !== null && /^\d{1,3}$/.test(rest) ? Number(rest) : null;
        if (current && code !== null && code <= 255) current.rc = code;
        else result.errors.push(`malformed rc marker: ${line.slice(0, 80)}`);
      } else if (verb === "warn") {
        result.warnings.push(rest ?? "");
      } else if (verb === "end") {
        result.ended = true;
      } else if (verb === "begin") {
        result.errors.push("a second begin marker appeared; ignored");
      } else {
        result.errors.push(`unknown marker: ${line.slice(0, 80)}`);
      }
      continue;
    }
    if (!current) {
      strayLines++;
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv?.[1] !== undefined && kv[2] !== undefined) {
      current.allFields.push([kv[1], kv[2]]);
      if (!(kv[1] in current.fields)) current.fields[kv[1]] = kv[2];
      continue;
    }
    current.records.push(line);
  }

  if (!result.begun) {
    result.errors.push("no probe output: the begin marker is missing");
    return result;
  }
  if (result.version !== PROBE_VERSION) {
    result.errors.push(
      `probe version ${result.version ?? "(none)"} is not the supported version ${PROBE_VERSION}`,
    );
  }
  if (!result.ended) {
    result.errors.push("output is truncated: the end marker is missing");
    const last = result.sections.at(-1);
    if (last) last.complete = false;
  }
  if (strayLines > 0) result.errors.push(`${strayLines} line(s) outside any section ignored`);
  if (afterEnd > 0) result.errors.push(`${afterEnd} line(s) after the end marker ignored`);
  return result;
}

/** The first section with this name, if any. */
export function findSection(output: TProbeOutput, name: string): TProbeSection | undefined {
  return output.sections.find((s) => s.name === name);
}
