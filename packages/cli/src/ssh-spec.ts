// Parsing of the CLI's `--ssh USER@HOST[:PORT]` argument.
import { quoteForDisplay } from "@pgrescue/core";
import { InvalidTargetError, validateHost, validatePort, validateUserName } from "@pgrescue/remote";

export type TSshSpec = { username: string; host: string; port: number };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `user@host`, `user@host:2222`, `user@[::1]:2222`; the port defaults to 22. */
export function parseSshSpec(value: string): TSshSpec {
  const at = value.lastIndexOf("@");
  if (at <= 0)
    throw new UsageError(`--ssh must be USER@HOST[:PORT], got ${quoteForDisplay(value)}`);
  const username = value.slice(0, at);
  const rest = value.slice(at + 1);
  let host = rest;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed !== null) {
    host = bracketed[1] ?? "";
    portText = bracketed[2];
  } else if (rest.split(":").length === 2) {
    [host, portText] = rest.split(":") as [string, string];
  }
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) {
    throw new UsageError(
      `--ssh: the port must be a number from 1 to 65535, got ${quoteForDisplay(portText)}`,
    );
  }
  try {
    const port = validatePort(portText === undefined ? 22 : Number(portText));
    validateUserName("username", username);
    return { username, host: validateHost(host).address, port };
  } catch (error) {
    if (error instanceof InvalidTargetError) throw new UsageError(`--ssh: ${error.message}`);
    throw error;
  }
}
