// The shells a host script may be sent to: a fixed allow-list, so that tests can run the probe and the actions under each.
import { PROBE_INVOCATION, quoteForDisplay } from "@pgrescue/core";
import { InvalidTargetError } from "./errors.ts";

/**
 * Each allowed interpreter and the command that reads a script from stdin with it. `/bin/sh` is
 * what production uses (PROBE_INVOCATION and ACTION_INVOCATION); the others exist so that tests
 * prove the scripts behave the same under dash, bash in POSIX mode and busybox sh. No other text
 * can be chosen: the command line is always one of these four strings.
 */
export const SCRIPT_INTERPRETERS = {
  "/bin/sh": PROBE_INVOCATION.command,
  dash: "dash -s",
  "bash --posix": "bash --posix -s",
  "busybox sh": "busybox sh -s",
} as const;

export type TScriptInterpreter = keyof typeof SCRIPT_INTERPRETERS;

export const DEFAULT_SCRIPT_INTERPRETER: TScriptInterpreter = "/bin/sh";

/** The command line for an interpreter of the allow-list; anything else is an InvalidTargetError. */
export function buildInterpreterCommand(
  interpreter: TScriptInterpreter = DEFAULT_SCRIPT_INTERPRETER,
): string {
  // Checked at run time too: callers in plain JS, or values read from elsewhere, get no free text through.
  if (!Object.hasOwn(SCRIPT_INTERPRETERS, interpreter)) {
    throw new InvalidTargetError(
      "interpreter",
      `${quoteForDisplay(interpreter)} is not one of ${Object.keys(SCRIPT_INTERPRETERS).join(", ")}`,
    );
  }
  return SCRIPT_INTERPRETERS[interpreter];
}
