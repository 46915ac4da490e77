// Parsers for the probe's per-process sections: procs, cmdline, links, maps and /dev/shm files.
import { normalizeShmKey } from "./pid-file.ts";
import { parsePidText, parseProcStat, type TProcStat } from "./proc-stat.ts";

export type TProcRecord = TProcStat & {
  /** Real uid from /proc/PID/status, null when unreadable. */
  uid: number | null;
  /** Kernel function the process sleeps in; null when unknown or not waiting ("0"). */
  wchan: string | null;
};

export type TProcTable = {
  records: TProcRecord[];
  /** Processes visible in /proc when the probe ran. */
  total: number | null;
  /** Candidates selected by the probe (may exceed records when the cap was hit). */
  selected: number | null;
  errors: string[];
};

/** Parse `P uid wchan <stat fields 1-22>` records of the procs section. */
export function parseProcRecords(
  records: readonly string[],
  fields: Record<string, string>,
): TProcTable {
  const errors: string[] = [];
  const out: TProcRecord[] = [];
  for (const line of records) {
    const m = /^P (\S+) (\S+) (.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) {
      errors.push(`procs: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const stat = parseProcStat(m[3]);
    if (!stat.ok) {
      errors.push(`procs: ${stat.error} in ${JSON.stringify(m[3].slice(0, 80))}`);
      continue;
    }
    out.push({
      ...stat.value,
      uid: /^\d+$/.test(m[1]) ? Number(m[1]) : null,
      wchan: m[2] === "-" || m[2] === "0" ? null : m[2],
    });
  }
  const toInt = (t: string | undefined): number | null =>
    t !== undefined && /^\d{1,15}$/.test(t) ? Number(t) : null;
  return { records: out, total: toInt(fields.total), selected: toInt(fields.selected), errors };
}

/**
 * Parse `grep -a -H '' /proc/PID/cmdline` output (NULs turned into spaces). A command line
 * with embedded newlines comes as several lines with the same prefix; they are joined by a
 * space. Trailing padding (PostgreSQL pads its title with NULs) is trimmed.
 */
export function parseCmdlines(lines: readonly string[]): Map<number, string> {
  const parts = new Map<number, string[]>();
  for (const line of lines) {
    const m = /^\/proc\/(\d+)\/cmdline:(.*)$/.exec(line);
    const pid = parsePidText(m?.[1] ?? "");
    if (pid === null || m?.[2] === undefined) continue;
    const list = parts.get(pid) ?? [];
    list.push(m[2]);
    parts.set(pid, list);
  }
  return new Map([...parts].map(([pid, list]) => [pid, list.join(" ").trimEnd()]));
}

export type TProcLinks = { cwd: string | null; exe: string | null };

/** ` /proc/PID/cwd` or `…/exe` at the end of an `ls -l` line, with ` -> target` when the link was readable. */
const LINK = / \/proc\/(\d+)\/(cwd|exe)(?: -> (.*))?$/;
/** LINK with a target that may hold line terminators: it cannot fail after ` -> `, so it never backtracks. */
const LINK_ANY_TARGET = / \/proc\/(\d+)\/(cwd|exe)(?: -> ([\s\S]*))?$/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * LINK's match in a line, found in linear time. On a whole line, LINK's `(.*)$` fails at a line terminator (CR, LS,
 * PS: `.` matches none) and is retried from every later ` /proc/N/cwd -> `: quadratic (a 64 KiB line took 0.6 s,
 * 1 MiB over a minute). LINK_ANY_TARGET finds the same match unless its target holds a terminator; then LINK's match,
 * if any, lies after the last terminator and LINK runs on that tail only.
 */
function matchLink(line: string): RegExpExecArray | null {
  const m = LINK_ANY_TARGET.exec(line);
  if (m?.[3] === undefined || !LINE_TERMINATOR.test(m[3])) return m;
  const tail =
    Math.max(
      line.lastIndexOf("\n"),
      line.lastIndexOf("\r"),
      line.lastIndexOf("\u2028"),
      line.lastIndexOf("\u2029"),
    ) + 1;
  return LINK.exec(line.slice(tail));
}

/**
 * Parse `ls -l /proc/PID/cwd /proc/PID/exe …`. A link the probe could not read (other
 * user's process, zombie) is listed without ` -> target`: it is null here.
 */
export function parseProcLinks(lines: readonly string[]): Map<number, TProcLinks> {
  const links = new Map<number, TProcLinks>();
  for (const line of lines) {
    const m = matchLink(line);
    const pid = parsePidText(m?.[1] ?? "");
    if (pid === null || m?.[2] === undefined) continue;
    const entry = links.get(pid) ?? { cwd: null, exe: null };
    const target = m[3] ?? null;
    if (m[2] === "cwd") entry.cwd = target;
    else entry.exe = target;
    links.set(pid, entry);
  }
  return links;
}

export type TSysvMapping = { key: number; keyHex: string; shmid: number; deleted: boolean };

export type TProcMaps = { sysv: TSysvMapping[]; dsm: string[] };

/**
 * Parse `grep -H -e /SYSV -e /PostgreSQL. /proc/PID/maps` lines. For SysV segments the
 * inode column of maps is the shmid, and the name is `/SYSV%08x` of the key.
 */
export function parseProcMaps(lines: readonly string[]): Map<number, TProcMaps> {
  const maps = new Map<number, TProcMaps>();
  // What each PID's lists already hold: a list searched per line made 40 000 mappings of one PID take a minute.
  const seen = new Map<number, { shmids: Set<number>; dsm: Set<string> }>();
  for (const line of lines) {
    // The inode column of a SysV mapping is the shmid, an int: at most 10 digits.
    const m = /^\/proc\/(\d+)\/maps:\S+ \S+ \S+ \S+ (\d{1,10})\s+(\S.*)$/.exec(line);
    const pid = parsePidText(m?.[1] ?? "");
    if (pid === null || m?.[2] === undefined || m[3] === undefined) continue;
    const entry = maps.get(pid) ?? { sysv: [], dsm: [] };
    const known = seen.get(pid) ?? { shmids: new Set<number>(), dsm: new Set<string>() };
    const path = m[3];
    const sysv = /^\/SYSV([0-9a-f]{8})( \(deleted\))?$/.exec(path);
    if (sysv?.[1] !== undefined) {
      const key = normalizeShmKey(String(parseInt(sysv[1], 16)));
      const shmid = Number(m[2]);
      if (key !== null && !known.shmids.has(shmid)) {
        known.shmids.add(shmid);
        entry.sysv.push({ key, keyHex: `0x${sysv[1]}`, shmid, deleted: sysv[2] !== undefined });
      }
    } else {
      const dsm = /\/(PostgreSQL\.\d+)(?: \(deleted\))?$/.exec(path);
      if (dsm?.[1] !== undefined && !known.dsm.has(dsm[1])) {
        known.dsm.add(dsm[1]);
        entry.dsm.push(dsm[1]);
      }
    }
    maps.set(pid, entry);
    seen.set(pid, known);
  }
  return maps;
}

export type TDsmFile = { name: string; path: string; uid: number; size: number; mtime: number };

/** Parse `stat -c '%u %s %Y %n' /dev/shm/PostgreSQL.*` lines. */
export function parseDsmFiles(lines: readonly string[]): TDsmFile[] {
  const files: TDsmFile[] = [];
  for (const line of lines) {
    const m = /^(\d+) (\d+) (\d+) (\/\S*\/(PostgreSQL\.\d+))$/.exec(line.trim());
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) continue;
    if (m[4] === undefined || m[5] === undefined) continue;
    files.push({
      uid: Number(m[1]),
      size: Number(m[2]),
      mtime: Number(m[3]),
      path: m[4],
      name: m[5],
    });
  }
  return files;
}
