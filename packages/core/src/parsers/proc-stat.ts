// Parser for /proc/PID/stat lines (fields 1–22) and process-state vocabulary.
import { readWords } from "./words.ts";

export type TProcStat = {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22: start time in clock ticks since boot. With pid, the process identity. */
  startTicks: number;
};

export type TParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** PID_MAX_LIMIT on 64-bit Linux: no PID is larger. */
export const MAX_PID = 4_194_304;

/** A PID written as the kernel writes it: plain decimal digits, 1..MAX_PID (no sign, hex, exponent or padding). */
export function parsePidText(text: string): number | null {
  if (!/^\d{1,7}$/.test(text)) return null;
  const pid = Number(text);
  return pid >= 1 && pid <= MAX_PID ? pid : null;
}

/**
 * Parse a /proc/PID/stat line. comm may contain spaces and parentheses, so the fixed fields
 * are taken after the LAST `)`.
 */
export function parseProcStat(line: string): TParseResult<TProcStat> {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 1 || close < open) return { ok: false, error: "no '(comm)' in stat line" };
  const pid = parsePidText(line.slice(0, open).trimEnd());
  if (pid === null) return { ok: false, error: "bad pid field" };
  // rest[0] is field 3 (state); field N is rest[N - 3]. Fields after 22 are never read, so never split.
  const rest = readWords(line.slice(close + 1), 20);
  if (rest.length < 20) {
    // Counted as split(/\s+/) counts: nothing after the comm is one (empty) field.
    return { ok: false, error: `only ${Math.max(rest.length, 1) + 2} fields` };
  }
  const state = rest[0] ?? "";
  const numbers = [rest[1], rest[2], rest[3], rest[19]].map((t) =>
    t !== undefined && /^-?\d+$/.test(t) ? Number(t) : NaN,
  );
  const [ppid, pgrp, session, startTicks] = numbers;
  if (
    !/^[A-Za-z]$/.test(state) ||
    ppid === undefined ||
    pgrp === undefined ||
    session === undefined ||
    startTicks === undefined ||
    numbers.some((n) => !Number.isSafeInteger(n))
  ) {
    return { ok: false, error: "non-numeric fixed fields" };
  }
  return {
    ok: true,
    value: { pid, comm: line.slice(open + 1, close), state, ppid, pgrp, session, startTicks },
  };
}

const STATE_LABELS: Record<string, string> = {
  R: "running",
  S: "sleeping",
  D: "uninterruptible sleep",
  T: "stopped",
  t: "stopped by a tracer",
  Z: "zombie",
  X: "dead",
  I: "idle",
  P: "parked",
  W: "paging",
};

/** Human label for a /proc state letter. */
export function describeProcessState(state: string): string {
  return STATE_LABELS[state] ?? `state ${state}`;
}

/** Convert a start time in ticks since boot to epoch seconds (two decimals). */
export function convertTicksToEpoch(startTicks: number, btime: number, clkTck: number): number {
  return Math.round((btime + startTicks / clkTck) * 100) / 100;
}

const WCHAN_HINTS: [RegExp, string][] = [
  [
    /pipe_write/,
    "blocked writing to a full pipe: is the program reading its stderr or log (a logger, a pipe) stuck?",
  ],
  [/pipe_read/, "waiting to read from a pipe"],
  [/do_signal_stop/, "stopped by SIGSTOP/SIGTSTP"],
  [/ptrace_stop/, "stopped by a tracer (debugger, strace)"],
  [/nfs|rpc_/, "waiting for an NFS server"],
  [/io_schedule|folio_wait|wait_on_page|blk_|jbd2|xfs_|ext4_|btrfs_/, "waiting for disk I/O"],
  [/futex/, "waiting on a lock (futex)"],
  [/semtimedop|do_semop|sem_/, "waiting on a SysV semaphore"],
  [/do_epoll_wait|poll_schedule|do_select|do_sys_poll/, "idle, waiting for events"],
  [/hrtimer_nanosleep|do_nanosleep/, "sleeping on a timer"],
  [/unix_stream|sk_wait|tcp_|inet_/, "waiting on a socket"],
];

/** Every hint's pattern at once: a wchan that matches none (any garbage) is read once, not once per hint. */
const ANY_WCHAN_HINT = new RegExp(WCHAN_HINTS.map(([pattern]) => pattern.source).join("|"));

/** A DBA-readable hint for a kernel wait channel, when one is known. */
export function explainWchan(wchan: string | null): string | null {
  if (wchan === null || !ANY_WCHAN_HINT.test(wchan)) return null;
  return WCHAN_HINTS.find(([pattern]) => pattern.test(wchan))?.[1] ?? null;
}
