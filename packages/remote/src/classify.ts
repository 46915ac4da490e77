// Reads a finished command's exit code and stderr for the failures that have their own error: missing command, sudo refusal.
import {
  CommandMissingError,
  SudoError,
  type TEndpoint,
  type RemoteError,
  type TSudoProblem,
} from "./errors.ts";
import type { TRunResult } from "./types.ts";

export type TFinishedContext = {
  endpoint: TEndpoint;
  become: string | undefined;
  markerSeen: boolean;
};

/**
 * The failures callers must not mistake for the command's own answer. A sudo refusal is recognised only when the
 * wrapper never started (no marker), so a command that merely prints "sudo:" is not misread.
 */
export function classifyFinishedCommand(
  result: TRunResult,
  context: TFinishedContext,
): RemoteError | undefined {
  if (context.become !== undefined && !context.markerSeen && result.exitCode === 1) {
    const problem = detectSudoProblem(result.stderr);
    if (problem !== undefined)
      return new SudoError(context.endpoint, context.become, problem, result.stderr);
  }
  if (result.exitCode === 127)
    return new CommandMissingError(findMissingCommand(result.stderr), result.stderr);
  return undefined;
}

const missingCommandPatterns: readonly RegExp[] = [
  /^(?:\S*sh): (?:\d+: )?(?:exec: )?(\S+): not found$/, // dash: `sh: 1: foo: not found`, `sh: 1: exec: foo: not found`
  /^\S+: (?:line \d+: )?(\S+): command not found$/, // bash, sudo: `bash: line 1: foo: command not found`, `sudo: foo: command not found`
  /^\S+:\d+: command not found: (\S+)$/, // zsh
  /^env: '?([^':]+)'?: No such file or directory$/, // env
  /^timeout: failed to run command '([^']+)': No such file or directory$/, // coreutils timeout
];

/** The name of the command the shell could not find (last one reported), or "" if stderr does not say. */
export function findMissingCommand(stderr: string): string {
  let found = "";
  for (const line of stderr.split("\n")) {
    for (const pattern of missingCommandPatterns) {
      const name = pattern.exec(line.trim())?.[1];
      if (name !== undefined) {
        found = name;
        break;
      }
    }
  }
  return found;
}

/** sudo's own refusal, recognised from its (LC_ALL-independent, since sudo runs before env) messages. */
export function detectSudoProblem(stderr: string): TSudoProblem | undefined {
  if (/^sudo: (?:a password is required|a terminal is required)/m.test(stderr))
    return "password-required";
  if (
    /is not allowed to execute|is not in the sudoers file|may not run sudo|not allowed to run sudo/m.test(
      stderr,
    )
  )
    return "not-allowed";
  if (/^sudo: unknown user/m.test(stderr)) return "unknown-user";
  if (/^sudo: /m.test(stderr)) return "other";
  return undefined;
}
