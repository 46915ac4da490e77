// The only text TypeScript puts in front of the host scripts (src/scripts/*.sh): variable assignments from validated values.
import { ShellValueError, requireUnsignedInt, shellQuote } from "../shell/quote.ts";

/** Every structural line of the probe's and the actions' output starts with this; content lines never do. */
export const SCRIPT_MARKER = "@@pgrescue:";

/** The hard limit (seconds) lib.sh's pgr_bounded puts around tools that can hang. */
export const TOOL_HARD_TIMEOUT_SEC = 10;

/**
 * A prelude value: a number is written in decimal (a validated unsigned integer), a string
 * single-quoted. Nothing else can be rendered, so no value ever reaches the shell unquoted.
 */
export type TPreludeValue = number | string;
export type TPreludeEntry = readonly [name: string, value: TPreludeValue];

/**
 * The limit (seconds) supervisor.sh puts around each systemctl, sudo -l and HTTP call: they answer in
 * milliseconds when healthy, and a wedged D-Bus or REST API must not hold the diagnosis up.
 */
export const SUPERVISOR_TIMEOUT_SEC = 3;

/** Parameter names: the uppercase PGR_ namespace (the scripts' own variables are lowercase pgr_). */
const PARAMETER_NAME = /^PGR_[A-Z][A-Z0-9_]*$/;

/** The parameters lib.sh reads, the same in every script. */
export function buildLibPrelude(): TPreludeEntry[] {
  return [
    ["PGR_M", SCRIPT_MARKER],
    ["PGR_TOOL_TIMEOUT", TOOL_HARD_TIMEOUT_SEC],
  ];
}

/** The parameters supervisor.sh reads (the probe's and the supervisor actions'). */
export function buildSupervisorPrelude(): TPreludeEntry[] {
  return [["PGR_SV_TIMEOUT", SUPERVISOR_TIMEOUT_SEC]];
}

/** `NAME=value` lines, one per entry, in order. Throws ShellValueError on a bad name, a duplicate or a bad number. */
export function renderPrelude(entries: readonly TPreludeEntry[]): string[] {
  const seen = new Set<string>();
  return entries.map(([name, value]) => {
    if (!PARAMETER_NAME.test(name)) {
      throw new ShellValueError("prelude", `${name} is not a PGR_ parameter name`);
    }
    if (seen.has(name)) throw new ShellValueError("prelude", `${name} is set twice`);
    seen.add(name);
    const text =
      typeof value === "number"
        ? requireUnsignedInt(value, name, Number.MAX_SAFE_INTEGER)
        : shellQuote(value);
    return `${name}=${text}`;
  });
}
