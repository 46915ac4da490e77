// Host keys as the operator sees them: the key a host presents (fetched before any login), an admin's review of the
// pinned key next to the presented one, and the re-pin that lifts a host-key mismatch block.
import type { TDb } from "@pgrescue/db";
import { HostKeyUnknownError, type TPresentedHostKey } from "@pgrescue/remote";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { openStoredAuth, type THostAuthInput } from "./host-credential.ts";
import {
  buildTarget,
  hostSelect,
  loadHostWithCredential,
  type THostRow,
  type TTargetFields,
} from "./host-target.ts";
import { ZId } from "./inputs.ts";
import type { TRuntime } from "./runtime.ts";
import { ServiceError } from "./service-error.ts";

export const ZFingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "a fingerprint reads SHA256:…");

/** The admin re-pins to the key they reviewed, naming the host to confirm. */
export const ZRepinHostKeyInput = z.object({
  hostId: ZId,
  fingerprint: ZFingerprint,
  confirm: z.string().max(63),
});
export type TRepinHostKeyInput = z.infer<typeof ZRepinHostKeyInput>;

/** The key the host presents, for the operator to compare out of band and accept. */
export type THostKeyFingerprint = { algorithm: string; fingerprint: string };

/**
 * Connects without any pin and without trust on first use, so the executor stops at the key exchange
 * (before any login) and reports the key the host presents: the operator compares it and accepts exactly it.
 */
export async function fetchPresentedHostKey(
  runtime: TRuntime,
  fields: TTargetFields,
  auth: THostAuthInput,
): Promise<TPresentedHostKey> {
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

/** The pinned key next to the one the host presents right now (fetched live, no login), for an admin to compare. */
export async function reviewHostKey(
  db: TDb,
  runtime: TRuntime,
  hostId: string,
): Promise<{
  pinned: THostKeyFingerprint | null;
  presented: THostKeyFingerprint;
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
  db: TDb,
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
