// Key material for a lab host: ssh-keygen for host and login keys, fingerprints computed like ssh-keygen -lf.
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { runChecked } from "./run.ts";

export type TKeyPair = { privateKeyPath: string; privateKey: string; publicKey: string };

/** Generates a key pair with ssh-keygen (OpenSSH private-key format), optionally encrypted with a passphrase. */
export async function generateKeyPair(opts: {
  path: string;
  type: "ed25519" | "rsa";
  comment: string;
  passphrase?: string;
}): Promise<TKeyPair> {
  await rm(opts.path, { force: true });
  await rm(`${opts.path}.pub`, { force: true });
  const bits = opts.type === "rsa" ? ["-b", "3072"] : [];
  await runChecked("ssh-keygen", [
    "-q",
    "-t",
    opts.type,
    ...bits,
    "-N",
    opts.passphrase ?? "",
    "-C",
    opts.comment,
    "-f",
    opts.path,
  ]);
  const [privateKey, publicKey] = await Promise.all([
    readFile(opts.path, "utf8"),
    readFile(`${opts.path}.pub`, "utf8"),
  ]);
  return { privateKeyPath: opts.path, privateKey, publicKey: publicKey.trim() };
}

/** "SHA256:…" of an OpenSSH public key line ("ssh-ed25519 AAAA… comment"), exactly as ssh-keygen -lf prints it. */
export function fingerprintPublicKey(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (blob === undefined || !/^[A-Za-z0-9+/]+=*$/.test(blob))
    throw new Error(`not an OpenSSH public key line: ${line.slice(0, 60)}`);
  const digest = createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** The known_hosts line for a server on a non-standard port: "[HOST]:PORT TYPE BLOB". */
export function renderKnownHostsLine(host: string, port: number, publicKeyLine: string): string {
  const [type, blob] = publicKeyLine.trim().split(/\s+/);
  if (type === undefined || blob === undefined) throw new Error("empty public key");
  return `${port === 22 ? host : `[${host}]:${String(port)}`} ${type} ${blob}`;
}
