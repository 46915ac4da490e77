// How guessable a new password is: zxcvbn-ts (dictionaries of common passwords, names and words, keyboard patterns,
// repeats, sequences, l33t), told who the password is for, plus a plain refusal of the e-mail address itself.
import { ZxcvbnFactory, type ZxcvbnResult } from "@zxcvbn-ts/core";
import * as zxcvbnCommon from "@zxcvbn-ts/language-common";
import * as zxcvbnEn from "@zxcvbn-ts/language-en";
import { ServiceError } from "./service-error.ts";

/** zxcvbn's score 3 of 4: "safely unguessable: moderate protection from offline slow-hash scenario" (~10^8 guesses). */
export const MIN_PASSWORD_SCORE = 3;

let factory: ZxcvbnFactory | null = null;

/**
 * The estimator, built once (its dictionaries take ~150 ms to load). Its matching grows steeply with length and with
 * l33t-like symbols (a 72-character line of punctuation took 1.7 s with the defaults), so it reads the first 64
 * characters — a password whose first 64 characters are guessable is refused, one longer than that is judged by them —
 * and tries at most 16 l33t substitutions.
 */
function estimator(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    maxLength: 64,
    l33tMaxSubstitutions: 16,
  });
  return factory;
}

/** The words of a person's e-mail and name, which their password must not lean on. */
function personalWords(person: {
  email?: string | undefined;
  name?: string | undefined;
}): string[] {
  const email = person.email?.trim().toLowerCase() ?? "";
  const words = [email, ...email.split(/[@.+_-]+/), ...(person.name ?? "").split(/\s+/)];
  return [...new Set(words.map((word) => word.trim()).filter((word) => word.length >= 3))];
}

export type TPasswordVerdict = { ok: true } | { ok: false; reason: string };

/** Whether `password` may protect the account of `person`; the reason says what to change when not. */
export function judgePassword(
  password: string,
  person: { email?: string | undefined; name?: string | undefined },
): TPasswordVerdict {
  const email = person.email?.trim().toLowerCase();
  const squashed = password.toLowerCase().replace(/\s+/g, "");
  if (email !== undefined && email !== "" && squashed.includes(email))
    return { ok: false, reason: "a password cannot contain your e-mail address" };
  const result: ZxcvbnResult = estimator().check(password, personalWords(person));
  if (result.score >= MIN_PASSWORD_SCORE) return { ok: true };
  const hints = [result.feedback.warning, ...result.feedback.suggestions]
    .filter((hint): hint is string => typeof hint === "string" && hint !== "")
    .join(" ");
  return {
    ok: false,
    reason: `this password is too easy to guess${hints === "" ? "" : `: ${hints}`} — a few unrelated words make a strong one`,
  };
}

/** Refuses a guessable password for `person`, naming the field it came in. */
export function requireStrongPassword(
  field: string,
  password: string,
  person: { email?: string | undefined; name?: string | undefined },
): void {
  const verdict = judgePassword(password, person);
  if (!verdict.ok) throw new ServiceError("BAD_REQUEST", `${field}: ${verdict.reason}`);
}
