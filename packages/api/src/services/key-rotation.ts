// Key rotation: every stored credential re-sealed under a new key in one transaction, and the key file
// replaced only after that transaction committed (or, with PGRESCUE_SECRET_KEY, the new key handed to the operator).
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import type { TDb } from "@pgrescue/db";
import { recordAudit } from "./audit.ts";
import {
  createKeyRing,
  createVault,
  parseBase64Key,
  promoteNextKeyFile,
  readKeyFile,
  VaultError,
  vaultKeyFiles,
  writeKeyFile,
  type TKeyRing,
  type TVault,
} from "./vault.ts";

export class KeyRotationError extends Error {
  override name = "KeyRotationError";
}

export type TKeySource =
  /** PGRESCUE_SECRET_KEY: the operator keeps the key; nothing is written to the data dir */
  | { kind: "environment"; base64Key: string }
  /** `<dataDir>/secret.key` */
  | { kind: "file"; dataDir: string };

export type TRotationResult = {
  resealed: number;
  oldKeyIds: string[];
  newKeyId: string;
  /** an earlier rotation had stopped after writing `secret.key.next`; this one finished it with that key */
  resumed: boolean;
};

/** Who else is connected to the store's database: a running console seals new credentials under the old key. */
export async function findOtherStoreSessions(
  db: TDb,
): Promise<{ pid: number; application: string; client: string | null; since: Date }[]> {
  return db.$queryRaw<{ pid: number; application: string; client: string | null; since: Date }[]>`
    SELECT pid, application_name AS application, host(client_addr) AS client, backend_start AS since
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    ORDER BY backend_start`;
}

/**
 * Opens every credential first (with the ring of the current, next and previous keys) and writes only when all
 * opened, so that a credential that cannot be opened leaves every row as it was. The table is locked against
 * writes for the duration: a credential added meanwhile would otherwise stay under the old key.
 */
async function resealCredentials(
  db: TDb,
  ring: TKeyRing,
  next: TVault,
  audit: { label: string; details: Record<string, unknown> },
): Promise<{ resealed: number; oldKeyIds: string[] }> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`LOCK TABLE "Credential" IN EXCLUSIVE MODE`;
      const rows = await tx.credential.findMany({
        orderBy: { id: "asc" },
        select: { id: true, keyId: true, sealed: true, hosts: { select: { name: true } } },
      });
      const failures: string[] = [];
      const opened: { id: string; plaintext: string }[] = [];
      for (const row of rows) {
        try {
          opened.push({ id: row.id, plaintext: ring.open(row.sealed, row.keyId) });
        } catch (error) {
          if (!(error instanceof VaultError)) throw error;
          const hosts = row.hosts.map((host) => host.name).join(", ");
          failures.push(
            `credential ${row.id}${hosts === "" ? "" : ` (host ${hosts})`}: ${error.message}`,
          );
        }
      }
      if (failures.length > 0) {
        throw new KeyRotationError(
          `nothing was changed: ${String(failures.length)} credential(s) do not open with the current key:\n  ${failures.join("\n  ")}`,
        );
      }
      for (const { id, plaintext } of opened) {
        await tx.credential.update({
          where: { id },
          data: { keyId: next.keyId, sealed: next.seal(plaintext) },
          select: { id: true },
        });
      }
      const oldKeyIds = [...new Set(rows.map((row) => row.keyId))].sort();
      await recordAudit(
        tx,
        { id: null, label: audit.label },
        {
          action: "vault.rotate-key",
          details: { ...audit.details, credentials: rows.length, oldKeyIds, newKeyId: next.keyId },
        },
      );
      return { resealed: rows.length, oldKeyIds };
    },
    { timeout: 120_000 },
  );
}

/**
 * Rotates the key that seals stored credentials. With the key file: the next key is first written to
 * `secret.key.next` (so that it survives a crash after the commit), the credentials are re-sealed, and only
 * then does the next key replace `secret.key`; an interrupted rotation is finished with that same next key.
 * With PGRESCUE_SECRET_KEY: the caller must have shown `newKey` to the operator before calling.
 */
export async function rotateVaultKey(options: {
  db: TDb;
  source: TKeySource;
  /** the new key; undefined with the key file: the pending next key, else a generated one */
  newKey: Buffer | undefined;
  /** who ran the rotation, for the audit trail (e.g. "pnpm rotate-key (root@db-admin)") */
  actorLabel: string;
}): Promise<TRotationResult> {
  const { db, source, actorLabel } = options;
  if (source.kind === "environment") {
    if (options.newKey === undefined) {
      throw new KeyRotationError(
        "with PGRESCUE_SECRET_KEY the new key must be given (and shown to the operator) before the rotation",
      );
    }
    const current = parseBase64Key(source.base64Key, "PGRESCUE_SECRET_KEY");
    const next = createVault(options.newKey);
    refuseSameKey(createVault(current), next);
    const result = await resealCredentials(db, createKeyRing([current]), next, {
      label: actorLabel,
      details: { source: "environment" },
    });
    return { ...result, newKeyId: next.keyId, resumed: false };
  }

  const files = vaultKeyFiles(source.dataDir);
  const current = await readKeyFile(files.current);
  if (current === null) {
    throw new KeyRotationError(
      `there is no key file ${files.current} to rotate (the console creates it at its first start)`,
    );
  }
  const pending = await readKeyFile(files.next);
  if (pending !== null && options.newKey !== undefined && !pending.equals(options.newKey)) {
    throw new KeyRotationError(
      `an earlier rotation stopped before it finished (${files.next} exists): run it again without PGRESCUE_NEW_SECRET_KEY to finish it with that key first`,
    );
  }
  const nextKey = pending ?? options.newKey ?? randomBytes(32);
  const next = createVault(nextKey);
  if (pending === null) {
    refuseSameKey(createVault(current), next);
    await writeKeyFile(files.next, nextKey);
  }
  const previous = await readKeyFile(files.previous);
  const ring = createKeyRing([current, nextKey, ...(previous === null ? [] : [previous])]);
  let result: { resealed: number; oldKeyIds: string[] };
  try {
    result = await resealCredentials(db, ring, next, {
      label: actorLabel,
      details: { source: "file", resumed: pending !== null },
    });
  } catch (error) {
    // Nothing was committed: a next key written by this run goes again; a pending one from an earlier run stays.
    if (pending === null) await rm(files.next, { force: true });
    throw error;
  }
  try {
    await promoteNextKeyFile(source.dataDir);
  } catch (error) {
    throw new KeyRotationError(
      `the credentials are sealed under the new key, but ${files.next} could not replace ${files.current} (${error instanceof Error ? error.message : String(error)}): run the rotation again to finish it`,
    );
  }
  return { ...result, newKeyId: next.keyId, resumed: pending !== null };
}

function refuseSameKey(current: TVault, next: TVault): void {
  if (current.keyId === next.keyId)
    throw new KeyRotationError("the new key is the current key: give a different one");
}

/** The launcher's check: a rotation that stopped between its commit and the key file switch must be finished first. */
export async function findInterruptedRotation(dataDir: string): Promise<string | null> {
  const files = vaultKeyFiles(dataDir);
  return (await readKeyFile(files.next)) === null ? null : files.next;
}
