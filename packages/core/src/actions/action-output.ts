// Parser of action script output: refusals, actions, waits and verifications as stored data. Pure and total.
import { z } from "zod";
import { SCRIPT_MARKER } from "../scripts/prelude.ts";
import { ACTION_EXIT, ACTION_STATUS_BY_EXIT, ACTION_VERSION } from "./action-protocol.ts";

const MARKER = SCRIPT_MARKER;
const BEGIN = `${MARKER}begin action`;
const CR = 0x0d;

const ZFields = z.record(z.string(), z.string());
export type TFields = z.infer<typeof ZFields>;

const int = z.number().int();

export const ZActionRefusal = z.object({
  phase: z.string(),
  reason: z.string(),
  pid: int.nullable(),
  object: z.string().nullable(),
  expected: z.string().nullable(),
  found: z.string().nullable(),
  /** The human sentence printed after the line. */
  message: z.string().nullable(),
  fields: ZFields,
});
export type TActionRefusal = z.infer<typeof ZActionRefusal>;

export const ZActionRecord = z.object({
  /** kill, ipcrm, mv, rm, pg_ctl */
  verb: z.string(),
  result: z.enum(["ok", "failed", "gone"]),
  rc: int.nullable(),
  fields: ZFields,
  /** The command's own output (stdout and stderr), unquoted. */
  output: z.array(z.string()),
});
export type TActionRecord = z.infer<typeof ZActionRecord>;

export const ZActionWait = z.object({
  pid: int,
  outcome: z.enum(["gone", "exited", "survived"]),
  state: z.string().nullable(),
  wchan: z.string().nullable(),
});

export const ZActionReap = z.object({
  pid: int,
  outcome: z.enum(["reaped", "not-reaped"]),
  ppid: int.nullable(),
});

export const ZActionVerification = z.object({
  tool: z.string(),
  result: z.enum(["ok", "failed", "skipped"]),
  rc: int.nullable(),
  fields: ZFields,
  output: z.array(z.string()),
});

export type TActionVerification = z.infer<typeof ZActionVerification>;

export const ZActionOutput = z.object({
  begun: z.boolean(),
  ended: z.boolean(),
  version: z.string().nullable(),
  rung: int.nullable(),
  /** From the end line: ok, unable, refused, failed, survivors, unverified. */
  status: z.enum(["ok", "unable", "refused", "failed", "survivors", "unverified"]).nullable(),
  exitCode: int.nullable(),
  /** Every re-verification passed and the act phase began. */
  verified: z.boolean(),
  /** True when the script provably changed nothing: it stopped before acting and ran no action. */
  changedNothing: z.boolean(),
  checks: z.array(ZFields),
  /** `run` lines: a state-changing command about to start (its `action` line follows when it ends). */
  started: z.array(z.object({ verb: z.string(), fields: ZFields })),
  /** A command that started but never reported its end (the script was killed meanwhile). */
  interrupted: z.object({ verb: z.string(), fields: ZFields }).nullable(),
  refusals: z.array(ZActionRefusal),
  unable: z.array(ZActionRefusal),
  notices: z.array(z.object({ fields: ZFields, message: z.string().nullable() })),
  actions: z.array(ZActionRecord),
  waits: z.array(ZActionWait),
  reaps: z.array(ZActionReap),
  observations: z.array(z.object({ pid: int, state: z.string() })),
  verifications: z.array(ZActionVerification),
  skips: z.array(ZFields),
  logTail: z.object({ file: z.string(), lines: z.array(z.string()) }).nullable(),
  /** Human lines, in order. */
  messages: z.array(z.string()),
  errors: z.array(z.string()),
});
export type TActionOutput = z.infer<typeof ZActionOutput>;

/** Undo the script's value encoding (`%25` `%20` `%09` `%0A`). */
export function decodeActionValue(value: string): string {
  return value.replace(/%(25|20|09|0A)/g, (_m, code: string) =>
    code === "25" ? "%" : code === "20" ? " " : code === "09" ? "\t" : "\n",
  );
}

function parseFields(words: readonly string[]): TFields {
  const fields: TFields = {};
  for (const word of words) {
    const at = word.indexOf("=");
    if (at <= 0) continue;
    fields[word.slice(0, at)] = decodeActionValue(word.slice(at + 1));
  }
  return fields;
}

function toInt(text: string | undefined): number | null {
  return text !== undefined && /^-?\d{1,15}$/.test(text) ? Number(text) : null;
}

function toRefusal(fields: TFields): TActionRefusal {
  return {
    phase: fields.phase ?? "",
    reason: fields.reason ?? "unknown",
    pid: toInt(fields.pid),
    object: fields.object ?? null,
    expected: fields.expected ?? null,
    found: fields.found ?? null,
    message: null,
    fields,
  };
}

const STATUSES = ["ok", "unable", "refused", "failed", "survivors", "unverified"] as const;
type TStatus = (typeof STATUSES)[number];

function toStatus(text: string | undefined): TStatus | null {
  return STATUSES.find((s) => s === text) ?? null;
}

/**
 * Parse an action script's stdout. Lines starting with `@@pgrescue:` are the script's own; lines
 * starting with `|` are a tool's output attached to the preceding action/verify/log line; every other
 * line is a human message (a refusal's message is also attached to that refusal). Never throws.
 */
export function parseActionOutput(stdout: string): TActionOutput {
  const out: TActionOutput = {
    begun: false,
    ended: false,
    version: null,
    rung: null,
    status: null,
    exitCode: null,
    verified: false,
    changedNothing: false,
    checks: [],
    started: [],
    interrupted: null,
    refusals: [],
    unable: [],
    notices: [],
    actions: [],
    waits: [],
    reaps: [],
    observations: [],
    verifications: [],
    skips: [],
    logTail: null,
    messages: [],
    errors: [],
  };
  // Where quoted tool output and the next human message go.
  let outputSink: string[] | null = null;
  let messageSink: { message: string | null } | null = null;

  // Lines are read in place rather than split: the lines before the begin line (a login banner can be long) are
  // skipped without becoming strings. `start <= stdout.length` keeps the empty piece after a final newline, as
  // `split("\n")` does.
  for (let start = 0, next = 0; start <= stdout.length; start = next) {
    const newline = stdout.indexOf("\n", start);
    const end = newline < 0 ? stdout.length : newline;
    next = end + 1;
    if (!out.begun && !stdout.startsWith(BEGIN, start)) continue;
    // CRLF output: the CR is not part of the line.
    const line = stdout.slice(
      start,
      end > start && stdout.charCodeAt(end - 1) === CR ? end - 1 : end,
    );
    if (!out.begun) {
      const fields = parseFields(line.split(" ").slice(2));
      out.begun = true;
      out.version = fields.v ?? null;
      out.rung = toInt(fields.rung);
      if (out.version !== ACTION_VERSION)
        out.errors.push(`action output version ${String(out.version)} is not ${ACTION_VERSION}`);
      continue;
    }
    if (out.ended) {
      if (line.trim() !== "") out.errors.push("output after the end line");
      continue;
    }
    if (line.startsWith("|")) {
      if (outputSink) outputSink.push(line.slice(1));
      continue;
    }
    if (!line.startsWith(MARKER)) {
      if (line.trim() === "") continue;
      out.messages.push(line);
      if (messageSink && messageSink.message === null) messageSink.message = line;
      messageSink = null;
      continue;
    }
    const words = line.slice(MARKER.length).split(" ");
    const kind = words[0] ?? "";
    const fields = parseFields(words.slice(1));
    outputSink = null;
    messageSink = null;
    switch (kind) {
      case "check":
        out.checks.push(fields);
        break;
      case "refuse": {
        const refusal = toRefusal(fields);
        out.refusals.push(refusal);
        messageSink = refusal;
        break;
      }
      case "unable": {
        const refusal = toRefusal(fields);
        out.unable.push(refusal);
        messageSink = refusal;
        break;
      }
      case "notice": {
        const notice = { fields, message: null };
        out.notices.push(notice);
        messageSink = notice;
        break;
      }
      case "verified":
        out.verified = true;
        break;
      case "run":
        out.started.push({ verb: words[1] ?? "", fields });
        break;
      case "action": {
        const result = fields.result;
        const record: TActionRecord = {
          verb: words[1] ?? "",
          result: result === "ok" || result === "gone" ? result : "failed",
          rc: toInt(fields.rc),
          fields,
          output: [],
        };
        out.actions.push(record);
        outputSink = record.output;
        break;
      }
      case "wait": {
        const pid = toInt(fields.pid);
        const outcome = fields.outcome;
        if (
          pid === null ||
          (outcome !== "gone" && outcome !== "exited" && outcome !== "survived")
        ) {
          out.errors.push(`unreadable wait line: ${line}`);
          break;
        }
        out.waits.push({ pid, outcome, state: fields.state ?? null, wchan: fields.wchan ?? null });
        break;
      }
      case "reap": {
        const pid = toInt(fields.pid);
        if (pid === null) break;
        out.reaps.push({
          pid,
          outcome: fields.outcome === "reaped" ? "reaped" : "not-reaped",
          ppid: toInt(fields.ppid),
        });
        break;
      }
      case "observe": {
        const pid = toInt(fields.pid);
        if (pid !== null) out.observations.push({ pid, state: fields.state ?? "" });
        break;
      }
      case "verify": {
        const result = fields.result;
        const verification: TActionVerification = {
          tool: fields.tool ?? "",
          result: result === "ok" || result === "skipped" ? result : "failed",
          rc: toInt(fields.rc),
          fields,
          output: [],
        };
        out.verifications.push(verification);
        outputSink = verification.output;
        break;
      }
      case "skip":
        out.skips.push(fields);
        break;
      case "log": {
        const tail = { file: fields.file ?? "", lines: [] as string[] };
        out.logTail = tail;
        outputSink = tail.lines;
        break;
      }
      case "end": {
        out.ended = true;
        out.status = toStatus(fields.status);
        out.exitCode = toInt(fields.exit);
        break;
      }
      default:
        out.errors.push(`unknown line: ${line}`);
    }
  }
  if (!out.begun) out.errors.push("no action output (the script did not start)");
  else if (!out.ended) out.errors.push("the output ends before the end line (cut off or killed)");
  if (
    out.exitCode !== null &&
    out.status !== null &&
    ACTION_STATUS_BY_EXIT[out.exitCode] !== out.status
  ) {
    out.errors.push(`end line: status ${out.status} does not match exit ${out.exitCode}`);
  }
  const last = out.started.at(-1);
  if (last !== undefined && out.started.length > out.actions.length) out.interrupted = last;
  // The verify phase only reads; nothing changes before the first `run` line. Only an output that arrived complete
  // and clean shows that: one cut short or garbled may have lost the lines that say otherwise.
  out.changedNothing =
    out.begun &&
    out.ended &&
    out.errors.length === 0 &&
    !out.verified &&
    out.started.length === 0 &&
    out.actions.length === 0;
  return out;
}

/** True when an exit code promises that the host was left unchanged. */
export function isNothingChangedExit(exitCode: number | null): boolean {
  return exitCode === ACTION_EXIT.refused || exitCode === ACTION_EXIT.unable;
}
