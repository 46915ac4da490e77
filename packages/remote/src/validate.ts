// Validation of everything that reaches a socket or a command line: hosts, ports, user names, fingerprints.
import { isIPv4, isIPv6 } from "node:net";
import { quoteForDisplay } from "@pgrescue/core";
import { InvalidTargetError } from "./errors.ts";
import type { THostKeyPolicy, TPinnedHostKey, TSshTarget } from "./types.ts";

const labelPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const zonePattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** Portable POSIX user names (useradd's default rule), no leading '-'. */
const userPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A host as given by the operator, checked and split into the forms each consumer needs. */
export type TValidHost = {
  /** What the socket connects to (IPv6 without brackets). */
  address: string;
  kind: "name" | "ipv4" | "ipv6";
};

export function validateHost(input: string): TValidHost {
  if (input.length === 0) throw new InvalidTargetError("host", "it is empty");
  if (/[\s\0]/.test(input)) throw new InvalidTargetError("host", "it contains whitespace or NUL");
  const bracketed = /^\[(.*)\]$/.exec(input);
  const bare = bracketed?.[1] ?? input;
  if (bracketed !== null || bare.includes(":"))
    return { address: validateIPv6(bare), kind: "ipv6" };
  if (isIPv4(bare)) return { address: bare, kind: "ipv4" };
  return { address: validateHostName(bare), kind: "name" };
}

function validateIPv6(input: string): string {
  const [address = "", zone, ...rest] = input.split("%");
  if (rest.length > 0 || !isIPv6(address))
    throw new InvalidTargetError("host", `${quoteForDisplay(input)} is not a valid IPv6 address`);
  if (zone !== undefined && !zonePattern.test(zone))
    throw new InvalidTargetError("host", `${quoteForDisplay(zone)} is not a valid IPv6 zone`);
  return input;
}

/** RFC 1123 host names; an all-numeric last label is refused because resolvers would read it as an address. */
function validateHostName(input: string): string {
  if (input.length > 253) throw new InvalidTargetError("host", "it is longer than 253 characters");
  const labels = input.split(".");
  for (const label of labels) {
    if (!labelPattern.test(label)) {
      throw new InvalidTargetError(
        "host",
        `${quoteForDisplay(input)} is not a host name (letters, digits and '-' in dot-separated labels of 1–63 characters) nor an IP address`,
      );
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? ""))
    throw new InvalidTargetError(
      "host",
      `${quoteForDisplay(input)} is neither a valid IPv4 address nor a host name`,
    );
  return input;
}

export function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidTargetError("port", `${String(port)} is not an integer between 1 and 65535`);
  return port;
}

export function validateUserName(field: "username" | "become", name: string): string {
  if (!userPattern.test(name)) {
    throw new InvalidTargetError(
      field,
      `${quoteForDisplay(name)} is not a valid user name (letters, digits, '_', '.', '-'; not starting with '-' or a digit; at most 32 characters)`,
    );
  }
  return name;
}

export function validateFingerprint(fingerprint: string): string {
  if (!fingerprintPattern.test(fingerprint)) {
    throw new InvalidTargetError(
      "hostKey.pinned",
      `${quoteForDisplay(fingerprint)} is not an OpenSSH SHA256 fingerprint (SHA256: followed by 43 base64 characters)`,
    );
  }
  return fingerprint;
}

export function listPinnedKeys(policy: THostKeyPolicy): readonly TPinnedHostKey[] {
  const pinned = policy.pinned;
  if (pinned === undefined) return [];
  return "fingerprint" in pinned ? [pinned] : pinned;
}

export function validateCommand(command: string): string {
  if (command.trim().length === 0) throw new InvalidTargetError("command", "it is empty");
  if (command.includes("\0")) throw new InvalidTargetError("command", "it contains a NUL byte");
  return command;
}

/** Checks a whole target; returns the socket address. Throws InvalidTargetError. */
export function validateTarget(target: TSshTarget): TValidHost {
  const host = validateHost(target.host);
  validatePort(target.port);
  validateUserName("username", target.username);
  if (target.become !== undefined) validateUserName("become", target.become);
  const pins = listPinnedKeys(target.hostKey);
  if (target.hostKey.pinned !== undefined && pins.length === 0)
    throw new InvalidTargetError("hostKey.pinned", "the list of pinned keys is empty");
  for (const pin of pins) validateFingerprint(pin.fingerprint);
  validateAuth(target);
  return host;
}

function validateAuth(target: TSshTarget): void {
  const auth = target.auth;
  if (auth.kind === "password" && auth.password.length === 0)
    throw new InvalidTargetError("auth.password", "it is empty");
  // SSH carries the password as a C string to the server: OpenSSH drops the connection on a NUL inside it.
  if (auth.kind === "password" && auth.password.includes("\0"))
    throw new InvalidTargetError(
      "auth.password",
      "it contains a NUL character, which no SSH server accepts",
    );
  if (
    auth.kind === "agent" &&
    auth.socket !== undefined &&
    (auth.socket.length === 0 || auth.socket.includes("\0"))
  ) {
    throw new InvalidTargetError("auth.socket", "it is not a usable path");
  }
}
