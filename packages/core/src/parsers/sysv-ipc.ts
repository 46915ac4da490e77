// Parsers for /proc/sysvipc/shm, /proc/sysvipc/sem and `ipcs -s -i SEMID` (LC_ALL=C).
import { normalizeShmKey } from "./pid-file.ts";
import { hasWord, indexWords, readWords } from "./words.ts";

export type TSysvShmRow = {
  /** Key normalized to 0..2^32-1 (the kernel prints it as a signed int). */
  key: number;
  shmid: number;
  perms: string;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
  gid: number;
  cuid: number;
  ctime: number;
};

export type TSysvSemRow = {
  key: number;
  semid: number;
  perms: string;
  nsems: number;
  uid: number;
  gid: number;
  cuid: number;
  otime: number;
  ctime: number;
};

export type TTableParse<T> = { rows: T[]; errors: string[] };

/** Where each column the parser reads sits in a row (a name the header repeats: its last position). */
type TColumns = Map<string, number>;

function readHeader(lines: readonly string[]): { header: string; start: number } | null {
  const index = lines.findIndex((l) => l.trim() !== "");
  const header = lines[index];
  return header === undefined ? null : { header, start: index + 1 };
}

function pick(cells: readonly string[], columns: TColumns, name: string): string | undefined {
  const at = columns.get(name);
  return at === undefined ? undefined : cells[at];
}

function pickInt(cells: readonly string[], columns: TColumns, name: string): number | null {
  const text = pick(cells, columns, name);
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : null;
}

function parseTable<T>(
  lines: readonly string[],
  source: string,
  columnNames: { required: readonly string[]; optional: readonly string[] },
  build: (cells: string[], columns: TColumns) => T | null,
): TTableParse<T> {
  const errors: string[] = [];
  const head = readHeader(lines);
  if (!head) return { rows: [], errors: [`${source}: empty`] };
  // Checked before the columns are counted: a garbage "header" lacks them and is refused after a native search.
  const missing = columnNames.required.filter((name) => !hasWord(head.header, name));
  if (missing.length > 0) {
    return { rows: [], errors: [`${source}: header lacks ${missing.join(", ")}`] };
  }
  const columns = indexWords(head.header, [...columnNames.required, ...columnNames.optional]);
  // Cells right of the last column read are never looked at: a row is split no further.
  const width = Math.max(...columns.values()) + 1;
  const rows: T[] = [];
  for (const line of lines.slice(head.start)) {
    if (line.trim() === "") continue;
    const row = build(readWords(line, width), columns);
    if (row) rows.push(row);
    else errors.push(`${source}: unparsable row ${JSON.stringify(line.slice(0, 80))}`);
  }
  return { rows, errors };
}

/** Parse /proc/sysvipc/shm (columns located by header, so older kernels' layouts work). */
export function parseSysvShm(lines: readonly string[]): TTableParse<TSysvShmRow> {
  const required = ["key", "shmid", "perms", "size", "cpid", "lpid", "nattch", "uid"];
  const optional = ["gid", "cuid", "ctime"];
  return parseTable(lines, "/proc/sysvipc/shm", { required, optional }, (cells, columns) => {
    const keyText = pick(cells, columns, "key");
    const key = keyText === undefined ? null : normalizeShmKey(keyText);
    const shmid = pickInt(cells, columns, "shmid");
    const size = pickInt(cells, columns, "size");
    const cpid = pickInt(cells, columns, "cpid");
    const lpid = pickInt(cells, columns, "lpid");
    const nattch = pickInt(cells, columns, "nattch");
    const uid = pickInt(cells, columns, "uid");
    if (
      key === null ||
      shmid === null ||
      size === null ||
      cpid === null ||
      lpid === null ||
      nattch === null ||
      uid === null
    ) {
      return null;
    }
    return {
      key,
      shmid,
      perms: pick(cells, columns, "perms") ?? "",
      size,
      cpid,
      lpid,
      nattch,
      uid,
      gid: pickInt(cells, columns, "gid") ?? -1,
      cuid: pickInt(cells, columns, "cuid") ?? -1,
      ctime: pickInt(cells, columns, "ctime") ?? 0,
    };
  });
}

/** Parse /proc/sysvipc/sem. */
export function parseSysvSem(lines: readonly string[]): TTableParse<TSysvSemRow> {
  const required = ["key", "semid", "perms", "nsems", "uid"];
  const optional = ["gid", "cuid", "otime", "ctime"];
  return parseTable(lines, "/proc/sysvipc/sem", { required, optional }, (cells, columns) => {
    const keyText = pick(cells, columns, "key");
    const key = keyText === undefined ? null : normalizeShmKey(keyText);
    const semid = pickInt(cells, columns, "semid");
    const nsems = pickInt(cells, columns, "nsems");
    const uid = pickInt(cells, columns, "uid");
    if (key === null || semid === null || nsems === null || uid === null) return null;
    return {
      key,
      semid,
      perms: pick(cells, columns, "perms") ?? "",
      nsems,
      uid,
      gid: pickInt(cells, columns, "gid") ?? -1,
      cuid: pickInt(cells, columns, "cuid") ?? -1,
      otime: pickInt(cells, columns, "otime") ?? 0,
      ctime: pickInt(cells, columns, "ctime") ?? 0,
    };
  });
}

export type TSemaphoreValue = {
  semnum: number;
  value: number;
  ncount: number;
  zcount: number;
  /** sempid: PID of the last process that changed this semaphore (SETVAL or semop). */
  pid: number;
};

export type TIpcsSemInfo = {
  semid: number | null;
  uid: number | null;
  nsems: number | null;
  semaphores: TSemaphoreValue[];
  errors: string[];
};

/**
 * Parse `ipcs -s -i SEMID` from util-linux under LC_ALL=C:
 * a `Semaphore Array semid=N` block, `uid=…`, `nsems = N`, then a
 * `semnum value ncount zcount pid` table.
 */
export function parseIpcsSemInfo(text: string): TIpcsSemInfo {
  const result: TIpcsSemInfo = { semid: null, uid: null, nsems: null, semaphores: [], errors: [] };
  const lines = text.split("\n");
  let inTable = false;
  for (const line of lines) {
    const trimmed = line.trim();
    // Whole words of at most 10 digits: never the first digits of a longer number or of `0x10`.
    const semid = /semid=(\d{1,10})\b/.exec(trimmed);
    if (semid?.[1] !== undefined && result.semid === null) result.semid = Number(semid[1]);
    const uid = /^uid=(\d{1,10})\b/.exec(trimmed);
    if (uid?.[1] !== undefined) result.uid = Number(uid[1]);
    const nsems = /^nsems\s*=\s*(\d{1,10})\b/.exec(trimmed);
    if (nsems?.[1] !== undefined) result.nsems = Number(nsems[1]);
    if (/^semnum\s+value\s+ncount\s+zcount\s+pid\b/.test(trimmed)) {
      inTable = true;
      continue;
    }
    if (!inTable || trimmed === "") continue;
    // Six words at most: a sixth already makes the line unexpected.
    const cells = readWords(trimmed, 6);
    if (cells.length === 5 && cells.every((c) => /^\d{1,10}$/.test(c))) {
      const [semnum, value, ncount, zcount, pid] = cells.map(Number);
      if (
        semnum !== undefined &&
        value !== undefined &&
        ncount !== undefined &&
        zcount !== undefined &&
        pid !== undefined
      ) {
        result.semaphores.push({ semnum, value, ncount, zcount, pid });
      }
    } else {
      result.errors.push(
        `unexpected line in semaphore table: ${JSON.stringify(trimmed.slice(0, 80))}`,
      );
    }
  }
  if (!inTable) {
    const first = lines.find((l) => l.trim() !== "")?.trim() ?? "(no output)";
    result.errors.push(`no semaphore table: ${first.slice(0, 120)}`);
  }
  return result;
}
