// OpenSSH known_hosts files: parse, match (plain, wildcard, negated and hashed |1| entries), format, read and append.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fingerprintKeyBlob, readKeyAlgorithm } from "./host-key.ts";
import type { THostKeyPolicy, TPinnedHostKey, TPresentedHostKey, TRunResult } from "./types.ts";

export type TKnownHostEntry = {
  /** 1-based line number in the file. */
  line: number;
  marker: "cert-authority" | "revoked" | undefined;
  /** The raw host field: comma-separated patterns or one `|1|salt|hash`. */
  hosts: string;
  algorithm: string;
  base64: string;
  fingerprint: string;
};

/** Parses every usable line; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): TKnownHostEntry[] {
  const entries: TKnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseKnownHostsLine(raw, index + 1);
    if (entry !== undefined) entries.push(entry);
  });
  return entries;
}

function parseKnownHostsLine(raw: string, line: number): TKnownHostEntry | undefined {
  const fields = raw.trim().split(/[ \t]+/);
  const first = fields[0] ?? "";
  if (first === "" || first.startsWith("#")) return undefined;
  if (first.startsWith("@") && first !== "@cert-authority" && first !== "@revoked")
    return undefined;
  const marker =
    first === "@revoked" ? "revoked" : first === "@cert-authority" ? "cert-authority" : undefined;
  const [hosts, algorithm, base64] = marker === undefined ? fields : fields.slice(1);
  if (
    hosts === undefined ||
    algorithm === undefined ||
    base64 === undefined ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)
  )
    return undefined;
  const blob = Buffer.from(base64, "base64");
  if (readKeyAlgorithm(blob) !== algorithm) return undefined;
  return { line, marker, hosts, algorithm, base64, fingerprint: fingerprintKeyBlob(blob) };
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, else `[host]:port`; names lower-cased. */
export function formatKnownHostName(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return port === 22 ? bare : `[${bare}]:${port}`;
}

export function matchesKnownHostField(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) return matchesHashedHost(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (!matchesWildcard(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as written by `ssh-keygen -H` / HashKnownHosts. */
function matchesHashedHost(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function matchesWildcard(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split("")
    .map((char) =>
      char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`).test(name);
}

/** The plain (non-CA, non-revoked) keys recorded for a host. */
export function findKnownHostKeys(
  entries: readonly TKnownHostEntry[],
  host: string,
  port: number,
): TKnownHostEntry[] {
  const name = formatKnownHostName(host, port);
  return entries.filter(
    (entry) => entry.marker === undefined && matchesKnownHostField(entry.hosts, name),
  );
}

/** Like `ssh -o StrictHostKeyChecking=accept-new`: known keys are pinned, an unknown host is accepted only if asked. */
export function createHostKeyPolicyFromKnownHosts(
  text: string,
  host: string,
  port: number,
  options: { acceptNew: boolean },
): THostKeyPolicy {
  const pinned: TPinnedHostKey[] = findKnownHostKeys(parseKnownHosts(text), host, port).map(
    (entry) => ({
      fingerprint: entry.fingerprint,
      algorithm: entry.algorithm,
    }),
  );
  return pinned.length > 0 ? { pinned } : { acceptNew: options.acceptNew };
}

export function formatKnownHostsLine(
  host: string,
  port: number,
  key: TPresentedHostKey,
  options: { hashed?: boolean } = {},
): string {
  const name = formatKnownHostName(host, port);
  return `${options.hashed === true ? hashKnownHostName(name) : name} ${key.algorithm} ${key.base64}`;
}

export function hashKnownHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac("sha1", salt).update(name).digest("base64");
  return `|1|${salt.toString("base64")}|${hash}`;
}

/** The file's text, or "" when it does not exist yet. */
export async function readKnownHostsFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return "";
    throw error;
  }
}

export async function appendKnownHostsLine(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const existing = await readKnownHostsFile(path);
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  await appendFile(path, `${separator}${line}\n`, { mode: 0o600 });
}

/** After a run with `acceptNew`, records the newly accepted key; pinned keys are left alone. */
export async function recordAcceptedHostKey(
  path: string,
  host: string,
  port: number,
  result: Pick<TRunResult, "hostKey" | "hostKeyStatus">,
  options: { hashed?: boolean } = {},
): Promise<boolean> {
  if (result.hostKeyStatus !== "accepted-new") return false;
  await appendKnownHostsLine(path, formatKnownHostsLine(host, port, result.hostKey, options));
  return true;
}
