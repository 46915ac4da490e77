// Input building blocks the routers' and services' schemas share: record ids, data directories to look up, date
// bounds, searches, and free text that the store can keep and that reads as it displays. Each refusal says which
// rule the value broke.
import { validateAbsolutePath } from "@pgrescue/core";
import { z } from "zod";

/** A record id as the console shows it (cuid): anything else cannot name a record, so it is refused before any lookup. */
export const ZId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    "an id is 1–64 letters, digits, '_' or '-', starting with a letter or digit, as the console shows it",
  );

/** A data directory to look an instance up by: the same rules as when it was added (absolute, normalized, no shell syntax). */
export const ZDataDirRef = z.string().superRefine((value, ctx) => {
  const check = validateAbsolutePath(value);
  if (!check.ok) ctx.addIssue({ code: "custom", message: `pgdata ${check.error}` });
});

// PostgreSQL's timestamp range is wider; these bounds keep dates a DBA could mean and refuse the rest clearly.
const EARLIEST = new Date("1970-01-01T00:00:00Z");
const LATEST = new Date("9999-12-31T23:59:59Z");

/** A date filter between 1970 and 9999. */
export const ZDateFilter = z
  .date({ error: "a date is expected" })
  .min(EARLIEST, "a date before 1970 cannot match anything")
  .max(LATEST, "a date after the year 9999 cannot match anything");

const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /\p{Cs}/u;

/** C0 controls except tab, LF and CR; DEL; C1 controls (terminal escape sequences start with ESC or CSI). */
function hasControlCharacter(text: string): boolean {
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      (code >= 0x7f && code <= 0x9f)
    )
      return true;
  }
  return false;
}

/**
 * Why a text cannot be kept as written, or null. Any script, emoji, quotes and shell syntax are text like any other
 * (a summary quotes the commands that were typed); refused are what the store cannot hold (NUL, ill-formed UTF-16),
 * what rewrites a terminal (control characters), and what makes a record display in another order than it reads
 * (bidirectional overrides, the "Trojan Source" trick).
 */
export function findTextProblem(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character, which cannot be stored";
  if (LONE_SURROGATE.test(text))
    return "is not valid Unicode (a lone surrogate, as left by undecodable bytes)";
  if (hasControlCharacter(text))
    return "contains control characters (terminal escapes, backspace, …): only tabs and line breaks are kept";
  if (BIDI_CONTROL.test(text)) {
    return "contains bidirectional override characters (U+202A–U+202E, U+2066–U+2069), which make text display in another order than it reads";
  }
  return null;
}

function refineText(value: string, ctx: z.RefinementCtx): void {
  const problem = findTextProblem(value);
  if (problem !== null) ctx.addIssue({ code: "custom", message: `the text ${problem}` });
}

/** Free text written by a person (a summary, a reason): trimmed, 1..max characters, kept exactly as written. */
export function createFreeText(max: number) {
  return z
    .string()
    .trim()
    .min(1, "write something: it is recorded")
    .max(max, `at most ${String(max)} characters`)
    .superRefine(refineText);
}

/**
 * A search: any text is searched for literally (services escape LIKE wildcards), blank searches nothing; NUL and
 * ill-formed UTF-16 cannot be searched for.
 */
export function createSearchText(max: number) {
  return z
    .string()
    .max(max, `at most ${String(max)} characters`)
    .superRefine((value, ctx) => {
      if (value.includes("\u0000"))
        ctx.addIssue({ code: "custom", message: "a search cannot contain a NUL character" });
      else if (LONE_SURROGATE.test(value))
        ctx.addIssue({
          code: "custom",
          message: "the search is not valid Unicode (a lone surrogate)",
        });
    });
}

/** Optional free text: like createFreeText, but may be empty (the service decides whether it is needed). */
export function createOptionalText(max: number) {
  return z
    .string()
    .max(max, `at most ${String(max)} characters`)
    .superRefine(refineText);
}
