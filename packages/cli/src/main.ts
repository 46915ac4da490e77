// pgrescue CLI entry: dispatches subcommands, prints their result, maps errors to exit code 2.
import { RemoteError } from "@pgrescue/remote";
import { DIAGNOSE_USAGE, isUsageProblem, runDiagnoseCommand } from "./diagnose-command.ts";
import { readCliEnv, type TCliEnv } from "./env.ts";
import { LOGIN_USAGE, runLoginCommand, runLogoutCommand } from "./login-command.ts";
import { EXIT, type TCommandResult } from "./exit.ts";
import { describeServerError, isConnectionFailure } from "./server-client.ts";
import { runServerCommand, SERVER_USAGE } from "./server-commands.ts";

const USAGE = `Usage: pgrescue <command> [options]

Commands:
  diagnose   read-only diagnosis of one instance over SSH (no server needed)
  login, logout                        sign in to a console (see below)
  hosts, instances, incidents, steps   the console's API (see below)

Exit codes: 0 done (healthy / step succeeded), 1 a problem (diagnosed, or the console refused), 2 usage or connection error.

${DIAGNOSE_USAGE}

${LOGIN_USAGE}

${SERVER_USAGE}`;

export async function runCli(argv: string[], env?: TCliEnv): Promise<TCommandResult> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "diagnose":
        return await runDiagnoseCommand(rest, env ?? readCliEnv());
      case "login":
        return await runLoginCommand(rest, env ?? readCliEnv());
      case "logout":
        return await runLogoutCommand(rest, env ?? readCliEnv());
      case "hosts":
      case "instances":
      case "incidents":
      case "steps":
        return await runServerCommand(command, rest, env ?? readCliEnv());
      case undefined:
      case "help":
      case "--help":
      case "-h":
        return { exitCode: command === undefined ? EXIT.usage : EXIT.ok, stdout: `${USAGE}\n` };
      default:
        return {
          exitCode: EXIT.usage,
          stdout: "",
          stderr: `pgrescue: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`,
        };
    }
  } catch (error) {
    const refused = describeServerError(error);
    if (refused !== null && !isConnectionFailure(error))
      return { exitCode: EXIT.problem, stdout: "", stderr: `pgrescue: ${refused}\n` };
    return {
      exitCode: EXIT.usage,
      stdout: "",
      stderr: `pgrescue: ${refused ?? describeError(error)}\n`,
    };
  }
}

function describeError(error: unknown): string {
  if (error instanceof RemoteError) return `${error.code}: ${error.message}`;
  if (isUsageProblem(error)) return error instanceof Error ? error.message : String(error);
  // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS_* code.
  if (
    error instanceof Error &&
    "code" in error &&
    String(error.code).startsWith("ERR_PARSE_ARGS")
  ) {
    return error.message;
  }
  return error instanceof Error
    ? `unexpected error: ${error.stack ?? error.message}`
    : String(error);
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const result = await runCli(process.argv.slice(2));
  process.stdout.write(result.stdout);
  if (result.stderr !== undefined) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
