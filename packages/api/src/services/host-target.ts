// A stored host as an SSH target: the row every response may carry, the pinned key as the executor's policy, a
// host-key mismatch as a block on all work, and `withHost`, which records a mismatch met during work.
import type { TDb, Prisma } from "@pgrescue/db";
import {
  HostKeyMismatchError,
  InvalidTargetError,
  validateHost,
  validatePort,
  validateUserName,
  type THostKeyPolicy,
  type TSshTarget,
} from "@pgrescue/remote";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { openStoredAuth, toSshAuth, type THostAuthInput } from "./host-credential.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";

/** Every field a response may carry; credentials never. */
export const hostSelect = {
  id: true,
  name: true,
  address: true,
  port: true,
  sshUser: true,
  becomeUser: true,
  authMethod: true,
  hostKeyAlgorithm: true,
  hostKeyFingerprint: true,
  hostKeyPinnedAt: true,
  hostKeyMismatchAt: true,
  hostKeyMismatchFingerprint: true,
  createdAt: true,
} satisfies Prisma.HostSelect;

export type THostRow = Prisma.HostGetPayload<{ select: typeof hostSelect }>;

/** Where and as whom the console logs in; becomeUser null or undefined means no sudo. */
export type TTargetFields = {
  address: string;
  port: number;
  sshUser: string;
  becomeUser?: string | null | undefined;
};

export function validateTargetFields(input: TTargetFields): void {
  try {
    validateHost(input.address);
    validatePort(input.port);
    validateUserName("username", input.sshUser);
    if (typeof input.becomeUser === "string") validateUserName("become", input.becomeUser);
  } catch (error) {
    if (error instanceof InvalidTargetError) throw new ServiceError("BAD_REQUEST", error.message);
    throw error;
  }
}

export function buildTarget(
  fields: TTargetFields,
  auth: THostAuthInput,
  hostKey: THostKeyPolicy,
): TSshTarget {
  return {
    host: fields.address,
    port: fields.port,
    username: fields.sshUser,
    auth: toSshAuth(auth),
    hostKey,
    become: fields.becomeUser ?? undefined,
  };
}

/** The stored pin as a policy: exactly this key, and its algorithm asked for first. */
export function pinnedPolicy(host: {
  hostKeyFingerprint: string;
  hostKeyAlgorithm: string | null;
}): THostKeyPolicy {
  return {
    pinned: { fingerprint: host.hostKeyFingerprint, algorithm: host.hostKeyAlgorithm ?? undefined },
  };
}

/** A stored host with its sealed credential: only for the host services, never for a response. */
export async function loadHostWithCredential(db: TDb, hostId: string) {
  const host = await db.host.findUnique({
    where: { id: hostId },
    select: { ...hostSelect, credentialId: true, credential: { select: { sealed: true } } },
  });
  if (host === null) throw notFound("host", hostId);
  return host;
}

/** The message every refusal on a mismatch-blocked host carries: both keys, and who can lift the block. */
function describeMismatchBlock(host: THostRow, hostKeyMismatchAt: Date): string {
  return `HOST KEY MISMATCH on ${host.name}: it presented ${host.hostKeyMismatchFingerprint ?? "?"} instead of the pinned ${host.hostKeyFingerprint ?? "?"} (${hostKeyMismatchAt.toISOString()}). All work on this host is blocked until an admin verifies the new key and re-pins it.`;
}

export function requirePin(host: THostRow): {
  hostKeyFingerprint: string;
  hostKeyAlgorithm: string | null;
} {
  if (host.hostKeyMismatchAt !== null)
    throw new ServiceError(
      "PRECONDITION_FAILED",
      describeMismatchBlock(host, host.hostKeyMismatchAt),
    );
  if (host.hostKeyFingerprint === null)
    throw new ServiceError("PRECONDITION_FAILED", `${host.name} has no pinned host key`);
  return { hostKeyFingerprint: host.hostKeyFingerprint, hostKeyAlgorithm: host.hostKeyAlgorithm };
}

/** The stored host as an SSH target with its pinned key; refuses while a host-key mismatch is recorded. */
export async function loadHostTarget(
  db: TDb,
  runtime: TRuntime,
  hostId: string,
): Promise<{ host: THostRow; target: TSshTarget }> {
  const {
    credential,
    credentialId: _credentialId,
    ...host
  } = await loadHostWithCredential(db, hostId);
  const pin = requirePin(host);
  const auth = openStoredAuth(runtime.vault, { ...host, credential });
  return { host, target: buildTarget(host, auth, pinnedPolicy(pin)) };
}

/** Runs work against a host; a host-key mismatch is recorded on the host (blocking it) and audited before it propagates. */
export async function withHost<T>(
  db: TDb,
  actor: TActor,
  host: THostRow,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HostKeyMismatchError) {
      await db.host.update({
        where: { id: host.id },
        data: {
          hostKeyMismatchAt: new Date(),
          hostKeyMismatchFingerprint: error.presentedFingerprint,
        },
        select: { id: true },
      });
      await recordAudit(db, actor, {
        action: "host.key-mismatch",
        targetType: "Host",
        targetId: host.id,
        details: { expected: error.expectedFingerprints, presented: error.presentedFingerprint },
      });
    }
    throw error;
  }
}
