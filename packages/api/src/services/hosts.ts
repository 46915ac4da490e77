// Hosts: testing a connection (the key to accept), adding one (host key pinned on explicit accept, credential sealed), listing, and the SSH target of a stored host.
import type { Prisma } from "@pgrescue/db";
import { type Db } from "@pgrescue/db";
import {
  HostKeyMismatchError,
  HostKeyUnknownError,
  InvalidTargetError,
  validateHost,
  validatePort,
  validateUserName,
  type HostKeyPolicy,
  type SshAuth,
  type SshTarget,
} from "@pgrescue/remote";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";

export const ZHostName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    "a host name is 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

export const ZHostAuthInput = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("key"),
    privateKey: z.string().min(1).max(65_536),
    passphrase: z.string().min(1).max(1024).optional(),
  }),
  z.object({ kind: z.literal("password"), password: z.string().min(1).max(1024) }),
  z.object({ kind: z.literal("agent") }),
]);
export type THostAuthInput = z.infer<typeof ZHostAuthInput>;

export const ZAddHostInput = z.object({
  name: ZHostName,
  address: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  sshUser: z.string().min(1).max(32),
  becomeUser: z.string().min(1).max(32).optional(),
  auth: ZHostAuthInput,
  /** Pin exactly this key (as shown to the operator), or accept whatever key the host presents now. */
  hostKey: z.union([
    z.object({ fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }),
    z.object({ acceptNew: z.literal(true) }),
  ]),
});
export type TAddHostInput = z.infer<typeof ZAddHostInput>;

export const ZTestConnectionInput = ZAddHostInput.omit({ name: true, hostKey: true });
export type TTestConnectionInput = z.infer<typeof ZTestConnectionInput>;

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

function validateTargetFields(
  input: Pick<TAddHostInput, "address" | "port" | "sshUser" | "becomeUser">,
): void {
  try {
    validateHost(input.address);
    validatePort(input.port);
    validateUserName("username", input.sshUser);
    if (input.becomeUser !== undefined) validateUserName("become", input.becomeUser);
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

/**
 * Connects without any pin and without trust on first use, so the executor stops at the key exchange
 * (before any login) and reports the key the host presents: the operator compares it and accepts exactly it.
 */
export async function testHostConnection(
  runtime: TRuntime,
  input: TTestConnectionInput,
): Promise<TPresentedHostKey> {
  validateTargetFields(input);
  const target: SshTarget = {
    host: input.address,
    port: input.port,
    username: input.sshUser,
    auth: toSshAuth(input.auth),
    hostKey: {},
    become: input.becomeUser,
  };
  try {
    const result = await runtime.pool.run(target, "true", { timeoutMs: 20_000 });
    return { algorithm: result.hostKey.algorithm, fingerprint: result.hostKey.fingerprint };
  } catch (error) {
    if (error instanceof HostKeyUnknownError) {
      return { algorithm: error.presentedAlgorithm, fingerprint: error.presentedFingerprint };
    }
    throw error;
  }
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
  const target: SshTarget = {
    host: input.address,
    port: input.port,
    username: input.sshUser,
    auth: toSshAuth(input.auth),
    hostKey,
    become: input.becomeUser,
  };
  const check = await runtime.pool.run(target, "id -un", { timeoutMs: 20_000 });
  const expectedUser = input.becomeUser ?? input.sshUser;
  if (check.exitCode !== 0 || check.stdout.trim() !== expectedUser) {
    throw new ServiceError(
      "BAD_REQUEST",
      `the connection test ran as "${check.stdout.trim()}" (exit ${String(check.exitCode)}), expected ${expectedUser}: ${check.stderr.trim()}`,
    );
  }
  const secret = input.auth.kind === "agent" ? null : JSON.stringify(input.auth);
  const host = await db.$transaction(async (tx) => {
    const credential =
      secret === null
        ? null
        : await tx.credential.create({
            data: {
              kind: AUTH_METHOD[input.auth.kind],
              keyId: runtime.vault.keyId,
              sealed: runtime.vault.seal(secret),
            },
            select: { id: true },
          });
    return tx.host.create({
      data: {
        name: input.name,
        address: input.address,
        port: input.port,
        sshUser: input.sshUser,
        becomeUser: input.becomeUser ?? null,
        authMethod: AUTH_METHOD[input.auth.kind],
        credentialId: credential?.id ?? null,
        hostKeyAlgorithm: check.hostKey.algorithm,
        hostKeyFingerprint: check.hostKey.fingerprint,
        hostKey: new Uint8Array(Buffer.from(check.hostKey.base64, "base64")),
        hostKeyPinnedAt: new Date(),
        hostKeyPinnedById: actor.id,
      },
      select: hostSelect,
    });
  });
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
  const host = await db.host.findUnique({
    where: { id: hostId },
    select: { ...hostSelect, credential: { select: { sealed: true } } },
  });
  if (host === null) throw notFound("host", hostId);
  if (host.hostKeyMismatchAt !== null) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `HOST KEY MISMATCH on ${host.name}: it presented ${host.hostKeyMismatchFingerprint ?? "?"} instead of the pinned ${host.hostKeyFingerprint ?? "?"} (${host.hostKeyMismatchAt.toISOString()}). All work on this host is blocked until an admin verifies the new key and re-pins it.`,
    );
  }
  if (host.hostKeyFingerprint === null)
    throw new ServiceError("PRECONDITION_FAILED", `${host.name} has no pinned host key`);
  let auth: SshAuth;
  if (host.authMethod === "AGENT") auth = { kind: "agent" };
  else {
    if (host.credential === null)
      throw new ServiceError("PRECONDITION_FAILED", `${host.name} has no stored credential`);
    auth = toSshAuth(ZHostAuthInput.parse(JSON.parse(runtime.vault.open(host.credential.sealed))));
  }
  const { credential: _sealed, ...row } = host;
  return {
    host: row,
    target: {
      host: host.address,
      port: host.port,
      username: host.sshUser,
      auth,
      hostKey: {
        pinned: {
          fingerprint: host.hostKeyFingerprint,
          algorithm: host.hostKeyAlgorithm ?? undefined,
        },
      },
      become: host.becomeUser ?? undefined,
    },
  };
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
