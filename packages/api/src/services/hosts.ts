// Hosts: testing a connection (the key to accept), adding and editing one (connection test, host key pinned on explicit
// accept, credential sealed), finding and listing them. The credential, the SSH target of a stored host and the
// re-pin of a changed key live beside this module (host-credential.ts, host-target.ts, host-key-repin.ts).
import type { TDb } from "@pgrescue/db";
import {
  HostKeyMismatchError,
  type THostKeyPolicy,
  type TRunResult,
  type TSshTarget,
} from "@pgrescue/remote";
import { z } from "zod";
import { ZId } from "./inputs.ts";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import {
  AUTH_METHOD,
  createCredential,
  openStoredAuth,
  ZAgentAuth,
  ZHostAuthInput,
  ZKeyAuth,
  ZPasswordAuth,
  type THostAuthInput,
} from "./host-credential.ts";
import { fetchPresentedHostKey, ZFingerprint, type THostKeyFingerprint } from "./host-key-repin.ts";
import {
  buildTarget,
  hostSelect,
  loadHostWithCredential,
  pinnedPolicy,
  requirePin,
  validateTargetFields,
  withHost,
  type THostRow,
} from "./host-target.ts";
import type { TRuntime } from "./runtime.ts";
import { ServiceError } from "./service-error.ts";

export const ZHostName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    "a host name is 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

export const ZAddHostInput = z.object({
  name: ZHostName,
  address: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  sshUser: z.string().min(1).max(32),
  becomeUser: z.string().min(1).max(32).optional(),
  auth: ZHostAuthInput,
  /** Pin exactly this key (as shown to the operator), or accept whatever key the host presents now. */
  hostKey: z.union([
    z.object({ fingerprint: ZFingerprint }),
    z.object({ acceptNew: z.literal(true) }),
  ]),
});
export type TAddHostInput = z.infer<typeof ZAddHostInput>;

export const ZTestConnectionInput = ZAddHostInput.omit({ name: true, hostKey: true });
export type TTestConnectionInput = z.infer<typeof ZTestConnectionInput>;

/** An edit: omitted fields keep their stored value, a null becomeUser removes it. An omitted secret keeps the stored one. */
export const ZUpdateHostInput = z.object({
  hostId: ZId,
  address: ZAddHostInput.shape.address.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  sshUser: ZAddHostInput.shape.sshUser.optional(),
  becomeUser: z.string().min(1).max(32).nullable().optional(),
  auth: z
    .discriminatedUnion("kind", [
      ZKeyAuth.partial({ privateKey: true }),
      ZPasswordAuth.partial({ password: true }),
      ZAgentAuth,
    ])
    .optional(),
});
export type TUpdateHostInput = z.infer<typeof ZUpdateHostInput>;

/** The connection test of add and edit: log in (through sudo when a become user is set) and check who runs the commands. */
async function verifyLogin(runtime: TRuntime, target: TSshTarget): Promise<TRunResult> {
  const check = await runtime.pool.run(target, "id -un", { timeoutMs: 20_000 });
  const expectedUser = target.become ?? target.username;
  if (check.exitCode !== 0 || check.stdout.trim() !== expectedUser) {
    throw new ServiceError(
      "BAD_REQUEST",
      `the connection test ran as "${check.stdout.trim()}" (exit ${String(check.exitCode)}), expected ${expectedUser}: ${check.stderr.trim()}`,
    );
  }
  return check;
}

/** The key the host presents, for the operator to compare out of band and accept. */
export async function testHostConnection(
  runtime: TRuntime,
  input: TTestConnectionInput,
): Promise<THostKeyFingerprint> {
  validateTargetFields(input);
  const presented = await fetchPresentedHostKey(runtime, input, input.auth);
  return { algorithm: presented.algorithm, fingerprint: presented.fingerprint };
}

/** Connects (login + `id -un`), pins the host key on the operator's explicit accept, seals the credential, stores the host. */
export async function addHost(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  input: TAddHostInput,
): Promise<THostRow> {
  validateTargetFields(input);
  if ((await db.host.findUnique({ where: { name: input.name }, select: { id: true } })) !== null) {
    throw new ServiceError("CONFLICT", `a host named ${input.name} exists already`);
  }
  const hostKey: THostKeyPolicy =
    "fingerprint" in input.hostKey
      ? { pinned: { fingerprint: input.hostKey.fingerprint } }
      : { acceptNew: true };
  const check = await verifyLogin(runtime, buildTarget(input, input.auth, hostKey));
  const host = await db.$transaction(async (tx) =>
    tx.host.create({
      data: {
        name: input.name,
        address: input.address,
        port: input.port,
        sshUser: input.sshUser,
        becomeUser: input.becomeUser ?? null,
        authMethod: AUTH_METHOD[input.auth.kind],
        credentialId: await createCredential(tx, runtime.vault, input.auth),
        hostKeyAlgorithm: check.hostKey.algorithm,
        hostKeyFingerprint: check.hostKey.fingerprint,
        hostKey: new Uint8Array(Buffer.from(check.hostKey.base64, "base64")),
        hostKeyPinnedAt: new Date(),
        hostKeyPinnedById: actor.id,
      },
      select: hostSelect,
    }),
  );
  await recordAudit(db, actor, {
    action: "host.add",
    targetType: "Host",
    targetId: host.id,
    details: {
      name: host.name,
      address: host.address,
      port: host.port,
      sshUser: host.sshUser,
      becomeUser: host.becomeUser,
      authMethod: host.authMethod,
      hostKeyFingerprint: host.hostKeyFingerprint,
    },
  });
  return host;
}

const TARGET_FIELDS = ["address", "port", "sshUser", "becomeUser"] as const;
type TTargetField = (typeof TARGET_FIELDS)[number];
type TTargetValues = Pick<THostRow, TTargetField>;

/** An edit's credential: a new secret replaces the stored one, an omitted one keeps it (when the method stays). */
function resolveUpdatedAuth(
  requested: TUpdateHostInput["auth"],
  stored: THostAuthInput,
): { auth: THostAuthInput; replaced: boolean } {
  if (requested === undefined) return { auth: stored, replaced: false };
  switch (requested.kind) {
    case "agent":
      return { auth: requested, replaced: stored.kind !== "agent" };
    case "key":
      if (requested.privateKey !== undefined) {
        const { privateKey, passphrase } = requested;
        return { auth: { kind: "key", privateKey, passphrase }, replaced: true };
      }
      if (requested.passphrase !== undefined) {
        throw new ServiceError(
          "BAD_REQUEST",
          "a passphrase belongs to a private key: paste the private key together with its passphrase",
        );
      }
      if (stored.kind === "key") return { auth: stored, replaced: false };
      break;
    case "password":
      if (requested.password !== undefined) {
        return { auth: { kind: "password", password: requested.password }, replaced: true };
      }
      if (stored.kind === "password") return { auth: stored, replaced: false };
      break;
  }
  throw new ServiceError(
    "BAD_REQUEST",
    `switching from ${stored.kind} to ${requested.kind} authentication needs the new ${requested.kind === "key" ? "private key" : "password"}`,
  );
}

/**
 * Edits where and as whom the console logs in, and optionally the credential, after the same connection test as add:
 * against the pinned key, so a new address or port that presents another key is refused (naming both) and nothing is
 * changed. The same address presenting another key is what any work would meet there: it blocks the host.
 */
export async function updateHost(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  input: TUpdateHostInput,
): Promise<{ host: THostRow; changed: string[] }> {
  const stored = await loadHostWithCredential(db, input.hostId);
  const pin = requirePin(stored);
  const next: TTargetValues = {
    address: input.address ?? stored.address,
    port: input.port ?? stored.port,
    sshUser: input.sshUser ?? stored.sshUser,
    becomeUser: input.becomeUser === undefined ? stored.becomeUser : input.becomeUser,
  };
  validateTargetFields(next);
  const { auth, replaced } = resolveUpdatedAuth(input.auth, openStoredAuth(runtime.vault, stored));
  const fields = TARGET_FIELDS.filter((field) => next[field] !== stored[field]);
  const changed = [...fields, ...(replaced ? ["credential"] : [])];
  if (changed.length === 0) {
    throw new ServiceError(
      "BAD_REQUEST",
      `nothing to change: ${stored.name} already has these settings`,
    );
  }

  const target = buildTarget(next, auth, pinnedPolicy(pin));
  const { credential: _sealed, credentialId: oldCredentialId, ...row } = stored;
  if (next.address === stored.address && next.port === stored.port) {
    await withHost(db, actor, row, () => verifyLogin(runtime, target));
  } else {
    try {
      await verifyLogin(runtime, target);
    } catch (error) {
      if (error instanceof HostKeyMismatchError) {
        throw new ServiceError(
          "PRECONDITION_FAILED",
          `HOST KEY MISMATCH at ${next.address}:${String(next.port)}: it presented ${error.presentedAlgorithm} ${error.presentedFingerprint}, but ${stored.name}'s pinned key is ${pin.hostKeyFingerprint}. Nothing was changed: a different key means a different machine or an interception.`,
        );
      }
      throw error;
    }
  }

  const host = await db.$transaction(async (tx) => {
    const updated = await tx.host.update({
      where: { id: stored.id },
      data: {
        ...next,
        ...(replaced
          ? {
              authMethod: AUTH_METHOD[auth.kind],
              credentialId: await createCredential(tx, runtime.vault, auth),
            }
          : {}),
      },
      select: hostSelect,
    });
    // The replaced secret does not linger sealed in the store.
    if (replaced && oldCredentialId !== null) {
      await tx.credential.deleteMany({ where: { id: oldCredentialId, hosts: { none: {} } } });
    }
    return updated;
  });
  await recordAudit(db, actor, {
    action: "host.update",
    targetType: "Host",
    targetId: host.id,
    details: {
      name: host.name,
      changed,
      before: Object.fromEntries(fields.map((field) => [field, stored[field]])),
      after: Object.fromEntries(fields.map((field) => [field, host[field]])),
      ...(replaced ? { authMethod: { before: stored.authMethod, after: host.authMethod } } : {}),
    },
  });
  return { host, changed };
}

export async function findHostByName(db: TDb, name: string): Promise<THostRow> {
  const host = await db.host.findUnique({ where: { name }, select: hostSelect });
  if (host === null) throw new ServiceError("NOT_FOUND", `no host is named ${name}`);
  return host;
}

export async function listHosts(db: TDb) {
  return db.host.findMany({
    orderBy: { name: "asc" },
    select: {
      ...hostSelect,
      // who pinned the current key: someone to ask about a mismatch
      hostKeyPinnedBy: { select: { email: true } },
      instances: {
        orderBy: { name: "asc" },
        select: {
          id: true,
          name: true,
          dataDir: true,
          snapshots: {
            orderBy: { takenAt: "desc" },
            take: 1,
            select: { verdict: true, takenAt: true },
          },
        },
      },
    },
  });
}
