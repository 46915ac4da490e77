// The exact text sent to sshd: LC_ALL=C, optional sudo, a remote time limit, and the process-group marker and kill script.
import { shellQuote } from "@pgrescue/core";
import { InvalidTargetError } from "./errors.ts";
import { validateCommand, validateUserName } from "./validate.ts";

/** Grace between the remote `timeout`'s SIGTERM and its SIGKILL. */
export const remoteKillAfterSeconds = 2;

export type TWrapSpec = {
  command: string;
  become?: string;
  /** Backstop enforced by coreutils `timeout` on the host, even if this process dies or the connection drops. */
  remoteTimeoutSeconds: number;
  /** Random hex that identifies this run's start marker on stderr. */
  nonce: string;
};

/**
 * Wraps a command so that on the host it runs as
 *   [sudo -n -u USER --] env LC_ALL=C /bin/sh -c 'marker; exec timeout -k 2 N /bin/sh -c COMMAND'
 * The marker (one stderr line, stripped before the caller sees it) reports the process group id
 * and its leader's start time; `timeout` makes that group the command's own, so every child
 * that stays in it can be killed at once and identified safely later.
 */
export function wrapCommand(spec: TWrapSpec): string {
  validateCommand(spec.command);
  const nonce = validateNonce(spec.nonce);
  const seconds = validateSeconds(spec.remoteTimeoutSeconds);
  const inner = [
    // /proc/PID/stat after "(comm) ": field 3 is $1, so the start time (field 22) is ${20}.
    "read -r s </proc/$$/stat",
    "s=${s##*) }",
    "set -- $s",
    `printf '\\036pgrescue ${nonce} %s %s\\036\\n' "$$" "\${20}" >&2`,
    `exec timeout -k ${remoteKillAfterSeconds} ${seconds} /bin/sh -c ${shellQuote(spec.command)}`,
  ].join("; ");
  return runAsLoginOrBecome(spec.become, inner);
}

export type TKillSpec = { pgid: number; startTime: string; become?: string };

/** Exit codes of the kill script. */
export const killScriptExit = { gone: 0, stillAlive: 4 } as const;

/**
 * SIGKILLs a recorded process group and every descendant of it — also those that left the group, as
 * coreutils `timeout` does (it puts itself and its command into a group of their own) — then waits up
 * to ~3 s until none of them is alive (zombies excepted). Descendants are collected before the first
 * signal (killing a parent re-parents its children) and each is remembered with its start time, so a
 * PID reused meanwhile is never signalled. The group's number cannot be reused while any member lives,
 * so if its leader PID now shows another start time the group is already gone and nothing is signalled.
 */
export function buildKillCommand(spec: TKillSpec): string {
  const pgid = validatePositiveInteger("process group id", spec.pgid);
  if (!/^[0-9]{1,20}$/.test(spec.startTime))
    throw new InvalidTargetError("start time", `"${spec.startTime}" is not a number`);
  const script = [
    `g=${pgid}; t=${spec.startTime}; n=0; tree=""`,
    `if read -r s 2>/dev/null </proc/$g/stat; then s=\${s##*) }; set -- $s; if [ "\${20}" != "$t" ]; then exit ${killScriptExit.gone}; fi; fi`,
    "while :; do",
    // Fixpoint over /proc: members of the group, then children of anything collected ($2 ppid, $3 pgrp, ${20} start time).
    "  changed=1; passes=0",
    "  while [ $changed = 1 ] && [ $passes -lt 8 ]; do",
    "    changed=0; passes=$((passes+1))",
    "    for f in /proc/[0-9]*/stat; do",
    '      read -r s 2>/dev/null <"$f" || continue',
    "      p=${f#/proc/}; p=${p%/stat}",
    '      case " $tree " in *" $p:"*) continue ;; esac',
    "      s=${s##*) }; set -- $s",
    '      if [ "$3" = "$g" ]; then tree="$tree $p:${20}"; changed=1; continue; fi',
    '      case " $tree " in *" $2:"*) tree="$tree $p:${20}"; changed=1 ;; esac',
    "    done",
    "  done",
    "  kill -s KILL -- -$g 2>/dev/null",
    "  live=0",
    "  for e in $tree; do",
    "    p=${e%%:*}",
    '    read -r s 2>/dev/null <"/proc/$p/stat" || continue',
    "    s=${s##*) }; set -- $s",
    '    if [ "${20}" != "${e#*:}" ] || [ "$1" = Z ]; then continue; fi',
    "    kill -s KILL $p 2>/dev/null; live=1",
    "  done",
    `  if [ $live = 0 ]; then exit ${killScriptExit.gone}; fi`,
    `  n=$((n+1)); if [ $n -ge 30 ]; then exit ${killScriptExit.stillAlive}; fi`,
    "  sleep 0.1",
    "done",
  ].join("\n");
  return runAsLoginOrBecome(spec.become, script);
}

/** `sudo` resets the environment, so LC_ALL is set again by `env` after it (the first one keeps sudo's own messages in English). */
function runAsLoginOrBecome(become: string | undefined, script: string): string {
  const sudo =
    become === undefined
      ? ""
      : `env LC_ALL=C sudo -n -u ${shellQuote(validateUserName("become", become))} -- `;
  return `exec ${sudo}env LC_ALL=C /bin/sh -c ${shellQuote(script)}`;
}

export type TStartMarker = { pgid: number; startTime: string };

/** Finds this run's start marker in stderr read as latin1 (so indices are byte offsets). */
export function findStartMarker(
  latin1: string,
  nonce: string,
): { marker: TStartMarker; start: number; end: number } | undefined {
  const pattern = new RegExp(
    `\\x1epgrescue ${validateNonce(nonce)} ([0-9]{1,10}) ([0-9]{1,20})\\x1e\\n`,
  );
  const match = pattern.exec(latin1);
  if (match === null) return undefined;
  const [whole, pgid = "", startTime = ""] = match;
  return {
    marker: { pgid: Number(pgid), startTime },
    start: match.index,
    end: match.index + whole.length,
  };
}

function validateNonce(nonce: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(nonce))
    throw new InvalidTargetError("nonce", "expected 8–64 lowercase hex digits");
  return nonce;
}

function validateSeconds(seconds: number): number {
  return validatePositiveInteger("remote timeout", seconds);
}

function validatePositiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidTargetError(field, `${String(value)} is not a positive integer`);
  return value;
}
