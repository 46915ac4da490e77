// Host keys: OpenSSH SHA256 fingerprints of the raw key blob and the pin / trust-on-first-use decision.
import { createHash } from "node:crypto";
import type { ServerHostKeyAlgorithm } from "ssh2";
import { listPinnedKeys } from "./validate.ts";
import type { THostKeyPolicy, TPresentedHostKey } from "./types.ts";

/** `SHA256:<base64 without padding>` of a key blob, exactly as `ssh-keygen -lf` prints it. */
export function fingerprintKeyBlob(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type is the first SSH string of the blob (uint32 length + bytes). */
export function readKeyAlgorithm(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return "unknown";
  const name = blob.subarray(4, 4 + length).toString("latin1");
  return /^[a-z0-9@.-]+$/i.test(name) ? name : "unknown";
}

export function describeHostKey(blob: Buffer): TPresentedHostKey {
  return {
    algorithm: readKeyAlgorithm(blob),
    fingerprint: fingerprintKeyBlob(blob),
    base64: blob.toString("base64"),
  };
}

export type THostKeyVerdict =
  | { kind: "pinned" }
  | { kind: "accepted-new" }
  | { kind: "mismatch"; expected: readonly string[] }
  | { kind: "unknown" };

/** Pinned keys are exact; acceptNew only applies when nothing is pinned. */
export function judgeHostKey(
  policy: THostKeyPolicy,
  presented: TPresentedHostKey,
): THostKeyVerdict {
  const pins = listPinnedKeys(policy);
  if (pins.length > 0) {
    if (pins.some((pin) => pin.fingerprint === presented.fingerprint)) return { kind: "pinned" };
    return { kind: "mismatch", expected: pins.map((pin) => pin.fingerprint) };
  }
  return policy.acceptNew === true ? { kind: "accepted-new" } : { kind: "unknown" };
}

const signatureAlgorithms: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
};

/**
 * Host-key algorithms to ask for first, so that a server with several host keys presents the pinned one
 * (like OpenSSH's preference for types already in known_hosts). Others stay allowed: a server that lost the
 * pinned key then presents another one and the connection stops with a mismatch naming both.
 */
export function listPreferredHostKeyAlgorithms(policy: THostKeyPolicy): ServerHostKeyAlgorithm[] {
  const preferred = new Set<ServerHostKeyAlgorithm>();
  for (const pin of listPinnedKeys(policy)) {
    for (const algorithm of signatureAlgorithms[pin.algorithm ?? ""] ?? [])
      preferred.add(algorithm);
  }
  return [...preferred];
}
