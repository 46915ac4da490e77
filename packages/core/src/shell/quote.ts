// Shell quoting and validation of every value interpolated into a command template.

export class ShellValueError extends Error {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`${label}: ${reason}`);
    this.name = "ShellValueError";
  }
}

export type TValidation = { ok: true; value: string } | { ok: false; error: string };

/** Longest path accepted in a template (PATH_MAX is 4096; real data directories are short). */
export const MAX_PATH_LENGTH = 1024;

// Letters and digits of any script, plus a conservative set of punctuation. Quotes, `$`,
// backslash, globs, `;&|<>` and control characters are refused although shellQuote would make
// them safe: a data directory containing them is a typo or an attack, and refusing keeps every
// later template (including the ones that remove files) trivially auditable.
const PATH_CHARS = /^[\p{L}\p{N}._/+@%,:=~ -]+$/u;

/**
 * Quote a value as one single-quoted POSIX shell word. Safe for any byte string except NUL,
 * which no shell argument can carry.
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new ShellValueError("value", "contains a NUL byte");
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A value inside a message for a terminal or a log: JSON-quoted with every control character escaped — C0 as JSON
 * does, and DEL and C1 (CSI starts escape sequences too), which JSON leaves raw — and cut at `max` characters.
 */
export function quoteForDisplay(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Check an absolute, normalized path (no `.`/`..` segments, no `//`, no trailing `/`). */
export function validateAbsolutePath(value: string): TValidation {
  if (value.length === 0) return { ok: false, error: "is empty" };
  if (value.length > MAX_PATH_LENGTH) {
    return { ok: false, error: `is longer than ${MAX_PATH_LENGTH} characters` };
  }
  if (value.includes("\0")) return { ok: false, error: "contains a NUL byte" };
  if (/[\n\r]/.test(value)) return { ok: false, error: "contains a line break" };
  if (!value.startsWith("/")) return { ok: false, error: "is not an absolute path" };
  if (!PATH_CHARS.test(value)) {
    return {
      ok: false,
      error: "contains characters outside letters, digits, space and ._/+@%,:=~-",
    };
  }
  if (value !== "/" && value.endsWith("/")) return { ok: false, error: "ends with '/'" };
  if (value.includes("//")) return { ok: false, error: "contains '//'" };
  const segments = value.split("/").slice(1);
  if (segments.some((s) => s === "." || s === "..")) {
    return { ok: false, error: "contains a '.' or '..' segment" };
  }
  if (segments.some((s) => s.startsWith("-"))) {
    return { ok: false, error: "has a segment starting with '-'" };
  }
  return { ok: true, value };
}

/** Validate an absolute path or throw a ShellValueError naming the parameter. */
export function requireAbsolutePath(value: string, label: string): string {
  const result = validateAbsolutePath(value);
  if (!result.ok) throw new ShellValueError(label, result.error);
  return result.value;
}

/** Validate and quote an absolute path in one step. */
export function quoteAbsolutePath(value: string, label: string): string {
  return shellQuote(requireAbsolutePath(value, label));
}

/** A PID as it may appear in a command: a positive integer below the kernel's 2^22 limit. */
export function requirePid(value: number, label: string): string {
  if (!Number.isSafeInteger(value) || value < 1 || value > 4_194_304) {
    throw new ShellValueError(label, `is not a valid PID (${String(value)})`);
  }
  return String(value);
}

/** A non-negative integer (IPC id, key, port, timeout) rendered in decimal. */
export function requireUnsignedInt(value: number, label: string, max = 0xffff_ffff): string {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ShellValueError(label, `is not an integer in 0..${max} (${String(value)})`);
  }
  return String(value);
}
