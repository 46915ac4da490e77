// Runs programs on the machine itself (not inside a lab host) and reads /proc facts about machine PIDs.
import { spawn } from "node:child_process";
import { readFile, readlink } from "node:fs/promises";

export type TRunResult = { stdout: string; stderr: string; code: number };

export class LabCommandError extends Error {
  override name = "LabCommandError";
  constructor(
    message: string,
    readonly result?: TRunResult,
  ) {
    super(message);
  }
}

export class LabTimeoutError extends Error {
  override name = "LabTimeoutError";
}

export type TRunOptions = {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
};

/**
 * Runs a program and collects its output. On timeout the whole process group is killed
 * (the program runs in its own group) and LabTimeoutError is thrown.
 */
export function run(
  file: string,
  args: readonly string[],
  opts: TRunOptions = {},
): Promise<TRunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? "/",
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new LabCommandError(`cannot run ${file}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? 128 + signalNumber(signal),
      };
      if (timedOut)
        reject(
          new LabTimeoutError(
            `${file} ${args.join(" ").slice(0, 200)} timed out after ${String(timeoutMs)} ms`,
          ),
        );
      else resolve(result);
    });
    child.stdin.on("error", () => {
      // the program may exit without reading its input; that is its answer, not our error
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs a program and throws LabCommandError with its stderr when it exits non-zero. */
export async function runChecked(
  file: string,
  args: readonly string[],
  opts: TRunOptions = {},
): Promise<TRunResult> {
  const result = await run(file, args, opts);
  if (result.code !== 0) {
    throw new LabCommandError(
      `${file} ${args.join(" ").slice(0, 300)} failed (exit ${String(result.code)}): ${(result.stderr || result.stdout).trim()}`,
      result,
    );
  }
  return result;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (SIGNALS[signal] ?? 0);
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null when the PID does not exist. */
export async function readStartTime(pid: number): Promise<number | null> {
  try {
    return parseStatStartTime(await readFile(`/proc/${String(pid)}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** Parses /proc/PID/stat: the command name may contain spaces and parentheses, so fields count from the last ')'. */
export function parseStatStartTime(stat: string): number | null {
  const fields = parseStatFields(stat);
  const value = fields?.[19];
  return value === undefined ? null : Number(value);
}

/** Fields 3.. of /proc/PID/stat (state first), split after the command name. */
export function parseStatFields(stat: string): string[] | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  return stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
}

/** True when a process with this PID exists and (if given) has this start time; zombies count as gone. */
export async function isProcessAlive(pid: number, startTime?: number | null): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${String(pid)}/stat`, "utf8");
    const fields = parseStatFields(stat);
    if (fields === null || fields[0] === "Z" || fields[0] === "X") return false;
    return startTime === undefined || startTime === null || Number(fields[19]) === startTime;
  } catch {
    return false;
  }
}

/** The PID namespace of a machine PID, as "pid:[4026531836]", or null. */
export async function readPidNamespace(pid: number): Promise<string | null> {
  try {
    return await readlink(`/proc/${String(pid)}/ns/pid`);
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or throws `describe()` after timeoutMs. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new LabCommandError(await describe());
    await sleep(intervalMs);
  }
}
