// Hosts: testing a connection (the key to accept), adding and editing one (connection test, host key pinned on explicit
// accept, credential sealed), an admin's re-pin of a changed host key, listing, and the SSH target of a stored host.
import type { AuthMethod, Db, Prisma } from "@pgrescue/db";
import {
  HostKeyMismatchError,
  HostKeyUnknownError,
  InvalidTargetError,
  validateHost,
  validatePort,
  validateUserName,
  type HostKeyPolicy,
  type PresentedHostKey,
  type RunResult,
  type SshAuth,
  type SshTarget,
} from "@pgrescue/remote";
import { z } from "zod";
import { ZId } from "./inputs.ts";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";
import type { Vault } from "./vault.ts";

export const ZHostName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    "a host name is 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

const ZKeyAuth = z.object({
  kind: z.literal("key"),
  privateKey: z.string().min(1).max(65_536),
  passphrase: z.string().min(1).max(1024).optional(),
});
const ZPasswordAuth = z.object({
  kind: z.literal("password"),
  password: z.string().min(1).max(1024),
});
const ZAgentAuth = z.object({ kind: z.literal("agent") });

export const ZHostAuthInput = z.discriminatedUnion("kind", [ZKeyAuth, ZPasswordAuth, ZAgentAuth]);
export type THostAuthInput = z.infer<typeof ZHostAuthInput>;

const ZFingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "a fingerprint reads SHA256:…");

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

/** The admin re-pins to the key they reviewed, naming the host to confirm. */
export const ZRepinHostKeyInput = z.object({
  hostId: ZId,
  fingerprint: ZFingerprint,
  confirm: z.string().max(63),
});
export type TRepinHostKeyInput = z.infer<typeof ZRepinHostKeyInput>;

/** The key the host presents, for the operator to compare out of band and accept. */
export type TPresentedHostKey = { algorithm: string; fingerprint: string };

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

const AUTH_METHOD = { key: "KEY", password: "PASSWORD", agent: "AGENT" } as const;

/** Where and as whom the console logs in; becomeUser null or undefined means no sudo. */
type TTargetFields = {
  address: string;
  port: number;
  sshUser: string;
  becomeUser?: string | null | undefined;
};

function validateTargetFields(input: TTargetFields): void {
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

function toSshAuth(auth: THostAuthInput): SshAuth {
  switch (auth.kind) {
    case "key":
      return { kind: "key", privateKey: auth.privateKey, passphrase: auth.passphrase };
    case "password":
      return { kind: "password", password: auth.password };
    case "agent":
      return { kind: "agent" };
  }
}

function buildTarget(
  fields: TTargetFields,
  auth: THostAuthInput,
  hostKey: HostKeyPolicy,
): SshTarget {
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
function pinnedPolicy(host: {
  hostKeyFingerprint: string;
  hostKeyAlgorithm: string | null;
}): HostKeyPolicy {
  return {
    pinned: { fingerprint: host.hostKeyFingerprint, algorithm: host.hostKeyAlgorithm ?? undefined },
  };
}

/**
 * Connects without any pin and without trust on first use, so the executor stops at the key exchange
 * (before any login) and reports the key the host presents: the operator compares it and accepts exactly it.
 */
async function fetchPresentedHostKey(
  runtime: TRuntime,
  fields: TTargetFields,
  auth: THostAuthInput,
): Promise<PresentedHostKey> {
  try {
    const result = await runtime.pool.run(buildTarget(fields, auth, {}), "true", {
      timeoutMs: 20_000,
    });
    return result.hostKey;
  } catch (error) {
    if (error instanceof HostKeyUnknownError) {
      return {
        algorithm: error.presentedAlgorithm,
        fingerprint: error.presentedFingerprint,
        base64: error.presentedKeyBase64,
      };
    }
    throw error;
  }
}

/** The connection test of add and edit: log in (through sudo when a become user is set) and check who runs the commands. */
async function verifyLogin(runtime: TRuntime, target: SshTarget): Promise<RunResult> {
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

/** Seals the credential under the vault's current key; the agent needs none. */
async function createCredential(
  tx: Prisma.TransactionClient,
  vault: Vault,
  auth: THostAuthInput,
): Promise<string | null> {
  if (auth.kind === "agent") return null;
  const credential = await tx.credential.create({
    data: {
      kind: AUTH_METHOD[auth.kind],
      keyId: vault.keyId,
      sealed: vault.seal(JSON.stringify(auth)),
    },
    select: { id: true },
  });
  return credential.id;
}

function openStoredAuth(
  vault: Vault,
  host: { name: string; authMethod: AuthMethod; credential: { sealed: Uint8Array } | null },
): THostAuthInput {
  if (host.authMethod === "AGENT") return { kind: "agent" };
  if (host.credential === null)
    throw new ServiceError("PRECONDITION_FAILED", `${host.name} has no stored credential`);
  return ZHostAuthInput.parse(JSON.parse(vault.open(host.credential.sealed)));
}

/** The key the host presents, for the operator to compare out of band and accept. */
export async function testHostConnection(
  runtime: TRuntime,
  input: TTestConnectionInput,
): Promise<TPresentedHostKey> {
  validateTargetFields(input);
  const presented = await fetchPresentedHostKey(runtime, input, input.auth);
  return { algorithm: presented.algorithm, fingerprint: presented.fingerprint };
}

/** Connects (login + `id -un`), pins the host key on the operator's explicit accept, seals the credential, stores the host. */
export async function addHost(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: TAddHostInput,
): Promise<THostRow> {
  validateTargetFields(input);
  if ((await db.host.findUnique({ where: { name: input.name }, select: { id: true } })) !== null) {
    throw new ServiceError("CONFLICT", `a host named ${input.name} exists already`);
  }
  const hostKey: HostKeyPolicy =
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

/** A stored host with its sealed credential: only for the functions below, never for a response. */
async function loadHostWithCredential(db: Db, hostId: string) {
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

function requirePin(host: THostRow): {
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
  db: Db,
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

/** The pinned key next to the one the host presents right now (fetched live, no login), for an admin to compare. */
export async function reviewHostKey(
  db: Db,
  runtime: TRuntime,
  hostId: string,
): Promise<{
  pinned: TPresentedHostKey | null;
  presented: TPresentedHostKey;
  fetchedAt: Date;
}> {
  const host = await loadHostWithCredential(db, hostId);
  const presented = await fetchPresentedHostKey(runtime, host, openStoredAuth(runtime.vault, host));
  return {
    pinned:
      host.hostKeyFingerprint === null
        ? null
        : { algorithm: host.hostKeyAlgorithm ?? "unknown", fingerprint: host.hostKeyFingerprint },
    presented: { algorithm: presented.algorithm, fingerprint: presented.fingerprint },
    fetchedAt: new Date(),
  };
}

/**
 * An admin's decision, after comparing both keys out of band: pin the key the host presents now. The key is fetched
 * afresh at this moment and must be exactly the one the admin reviewed; the host's name is typed to confirm. Lifts a
 * mismatch block; on a host that is not blocked it is an explicit re-pin, so the host must present another key.
 */
export async function repinHostKey(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: TRepinHostKeyInput,
): Promise<THostRow> {
  const host = await loadHostWithCredential(db, input.hostId);
  if (input.confirm !== host.name) {
    throw new ServiceError(
      "BAD_REQUEST",
      `the confirmation does not match: type the host's name exactly (${host.name})`,
    );
  }
  const presented = await fetchPresentedHostKey(runtime, host, openStoredAuth(runtime.vault, host));
  if (presented.fingerprint !== input.fingerprint) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `${host.name} now presents ${presented.algorithm} ${presented.fingerprint}, not the ${input.fingerprint} you reviewed: nothing was re-pinned. Review the key again and verify it out of band.`,
    );
  }
  if (host.hostKeyMismatchAt === null && presented.fingerprint === host.hostKeyFingerprint) {
    throw new ServiceError(
      "BAD_REQUEST",
      `${host.name} presents its pinned key ${presented.fingerprint}: there is nothing to re-pin`,
    );
  }
  // Only if nobody re-pinned meanwhile: the admin decided against the pin they saw.
  const { count } = await db.host.updateMany({
    where: { id: host.id, hostKeyFingerprint: host.hostKeyFingerprint },
    data: {
      hostKeyAlgorithm: presented.algorithm,
      hostKeyFingerprint: presented.fingerprint,
      hostKey: new Uint8Array(Buffer.from(presented.base64, "base64")),
      hostKeyPinnedAt: new Date(),
      hostKeyPinnedById: actor.id,
      hostKeyMismatchAt: null,
      hostKeyMismatchFingerprint: null,
    },
  });
  if (count === 0) {
    throw new ServiceError(
      "CONFLICT",
      `the pinned key of ${host.name} changed while you reviewed it: review it again`,
    );
  }
  await recordAudit(db, actor, {
    action: "host.repin",
    targetType: "Host",
    targetId: host.id,
    details: {
      name: host.name,
      previous: { algorithm: host.hostKeyAlgorithm, fingerprint: host.hostKeyFingerprint },
      pinned: { algorithm: presented.algorithm, fingerprint: presented.fingerprint },
      mismatch:
        host.hostKeyMismatchAt === null
          ? null
          : { at: host.hostKeyMismatchAt, fingerprint: host.hostKeyMismatchFingerprint },
    },
  });
  return db.host.findUniqueOrThrow({ where: { id: host.id }, select: hostSelect });
}

export async function findHostByName(db: Db, name: string): Promise<THostRow> {
  const host = await db.host.findUnique({ where: { name }, select: hostSelect });
  if (host === null) throw new ServiceError("NOT_FOUND", `no host is named ${name}`);
  return host;
}

/** The stored host as an SSH target with its pinned key; refuses while a host-key mismatch is recorded. */
export async function loadHostTarget(
  db: Db,
  runtime: TRuntime,
  hostId: string,
): Promise<{ host: THostRow; target: SshTarget }> {
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
  db: Db,
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

export async function listHosts(db: Db) {
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
