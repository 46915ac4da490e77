// Parsers for `pg_controldata` output (LC_ALL=C) and the raw head of global/pg_control.
import { readWords } from "./words.ts";

export type TControlData = {
  /** Every `Key: value` line, verbatim. */
  fields: Record<string, string>;
  clusterState: string | null;
  pgControlVersion: number | null;
  catalogVersion: number | null;
  systemIdentifier: string | null;
  lastModified: string | null;
  latestCheckpointLocation: string | null;
  latestCheckpointRedoLocation: string | null;
  latestCheckpointTime: string | null;
  timeline: number | null;
  errors: string[];
};

function toInt(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : null;
}

/** Parse `pg_controldata DATADIR` output. Lines that are not `Key: value` are reported. */
export function parseControlData(lines: readonly string[]): TControlData {
  const fields: Record<string, string> = {};
  const errors: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") continue;
    // Keys contain colons only in `Latest checkpoint's oldestCommitTsXid:0` style (no space).
    const at = line.indexOf(":");
    if (at <= 0) {
      errors.push(line.trim().slice(0, 200));
      continue;
    }
    const key = line.slice(0, at).trim();
    if (!(key in fields)) fields[key] = line.slice(at + 1).trim();
  }
  const get = (key: string): string | null => fields[key] ?? null;
  const known = get("Database cluster state") !== null;
  if (!known) {
    const first =
      lines
        .find((l) => l.trim() !== "")
        ?.trim()
        .slice(0, 200) ?? "(no output)";
    errors.splice(0, errors.length, `no 'Database cluster state' line: ${first}`);
  }
  return {
    fields,
    clusterState: get("Database cluster state"),
    pgControlVersion: toInt(get("pg_control version number") ?? undefined),
    catalogVersion: toInt(get("Catalog version number") ?? undefined),
    systemIdentifier: get("Database system identifier"),
    lastModified: get("pg_control last modified"),
    latestCheckpointLocation: get("Latest checkpoint location"),
    latestCheckpointRedoLocation: get("Latest checkpoint's REDO location"),
    latestCheckpointTime: get("Time of latest checkpoint"),
    timeline: toInt(get("Latest checkpoint's TimeLineID") ?? undefined),
    errors,
  };
}

// DBState in src/include/catalog/pg_control.h, unchanged since 9.0.
const DB_STATES = [
  "starting up",
  "shut down",
  "shut down in recovery",
  "shutting down",
  "in crash recovery",
  "in archive recovery",
  "in production",
] as const;

export type TPgControlHead = {
  pgControlVersion: number;
  catalogVersion: number;
  /** pg_controldata's wording of DBState, so both sources compare equal. */
  clusterState: string | null;
  stateCode: number;
  /** pg_control last modified, epoch seconds (little-endian hosts). */
  lastModified: number | null;
};

/**
 * Decode `od -A n -t u4 -N 32 global/pg_control`: the fixed head of ControlFileData
 * (system_identifier u64, pg_control_version u32, catalog_version_no u32, state u32, pad,
 * time i64). Used when no pg_controldata of the cluster's major version is installed.
 */
export function parsePgControlHead(lines: readonly string[]): TPgControlHead | null {
  // Every word must be decimal digits, that is: nothing but digits and whitespace anywhere. Only the first 8 are read.
  if (lines.some((line) => /[^\s\d]/.test(line))) return null;
  const words = readWords(lines.join(" "), 8);
  if (words.length < 8) return null;
  const [, , version, catalog, state, , timeLow, timeHigh] = words.map(Number);
  if (
    version === undefined ||
    catalog === undefined ||
    state === undefined ||
    timeLow === undefined ||
    timeHigh === undefined
  ) {
    return null;
  }
  // pg_control_version is e.g. 1300 (PG 13–16), 1700, 1800: anything else is not a pg_control.
  if (version < 900 || version > 9999) return null;
  const time = timeHigh * 2 ** 32 + timeLow;
  return {
    pgControlVersion: version,
    catalogVersion: catalog,
    clusterState: DB_STATES[state] ?? null,
    stateCode: state,
    lastModified: time > 0 && time < 2 ** 40 ? time : null,
  };
}

/** True for the states pg_controldata prints after a clean shutdown. */
export function isCleanShutdownState(state: string | null): boolean {
  return state === "shut down" || state === "shut down in recovery";
}
