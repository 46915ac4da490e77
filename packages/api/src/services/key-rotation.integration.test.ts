// Key rotation against a real store with credentials sealed by the real vault: every credential re-sealed under the
// new key, the key files replaced only after the commit, a credential that does not open stopping everything, an
// interrupted rotation finished, and a running console's connection noticed.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDb, type TDb } from "@pgrescue/db";
import { openTestStore } from "@pgrescue/db/testing";
import type { TStore } from "@pgrescue/db/store";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  findInterruptedRotation,
  findOtherStoreSessions,
  KeyRotationError,
  rotateVaultKey,
} from "./key-rotation.ts";
import { createVault, loadVaultKey, vaultKeyFiles, writeKeyFile, type TVault } from "./vault.ts";

let store: TStore;
let dataDir: string;

/** What an SSH login looks like sealed in the store (hosts.ts seals this JSON). */
const secretOf = (n: number) =>
  JSON.stringify({
    kind: "password",
    password: `s3cret-${String(n)}-${randomBytes(6).toString("hex")}`,
  });

async function sealCredentials(vault: TVault, count: number): Promise<Map<string, string>> {
  const plaintexts = new Map<string, string>();
  for (let n = 0; n < count; n += 1) {
    const secret = secretOf(n);
    const row = await store.db.credential.create({
      data: { kind: "PASSWORD", keyId: vault.keyId, sealed: vault.seal(secret) },
      select: { id: true },
    });
    await store.db.host.create({
      data: {
        name: `rot-${String(n)}-${randomBytes(3).toString("hex")}`,
        address: "127.0.0.1",
        sshUser: "postgres",
        authMethod: "PASSWORD",
        credentialId: row.id,
      },
      select: { id: true },
    });
    plaintexts.set(row.id, secret);
  }
  return plaintexts;
}

async function readCredentials(db: TDb) {
  return db.credential.findMany({
    orderBy: { id: "asc" },
    select: { id: true, keyId: true, sealed: true, updatedAt: true },
  });
}

async function modeOf(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

async function keyInFile(file: string): Promise<Buffer> {
  return Buffer.from((await readFile(file, "utf8")).trim(), "base64");
}

beforeAll(async () => {
  store = await openTestStore();
});

afterAll(async () => {
  await store.close();
});

beforeEach(async () => {
  await store.db.host.deleteMany({});
  await store.db.credential.deleteMany({});
  dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-rotation-"));
  return () => {
    rmSync(dataDir, { recursive: true, force: true });
  };
});

describe("rotateVaultKey with the key file", () => {
  it("re-seals every credential: each opens with the new key and none with the old; the new key file is 0600 and the old one kept as secret.key.previous", async () => {
    const oldKey = await loadVaultKey({ dataDir });
    const old = createVault(oldKey);
    const plaintexts = await sealCredentials(old, 4);

    const result = await rotateVaultKey({
      db: store.db,
      source: { kind: "file", dataDir },
      newKey: undefined,
      actorLabel: "pnpm rotate-key (test)",
    });

    const files = vaultKeyFiles(dataDir);
    const newKey = await keyInFile(files.current);
    const fresh = createVault(newKey);
    expect(newKey.equals(oldKey)).toBe(false);
    expect(result).toEqual({
      resealed: 4,
      oldKeyIds: [old.keyId],
      newKeyId: fresh.keyId,
      resumed: false,
    });
    const rows = await readCredentials(store.db);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row.keyId).toBe(fresh.keyId);
      expect(fresh.open(row.sealed)).toBe(plaintexts.get(row.id));
      expect(() => old.open(row.sealed)).toThrow(/cannot be decrypted/);
    }
    expect(await modeOf(files.current)).toBe(0o600);
    expect(await modeOf(files.previous)).toBe(0o600);
    expect((await keyInFile(files.previous)).equals(oldKey)).toBe(true);
    expect(readdirSync(dataDir).sort()).toEqual(["secret.key", "secret.key.previous"]);
    // The console's own loader now returns the new key.
    expect((await loadVaultKey({ dataDir })).equals(newKey)).toBe(true);

    const audit = await store.db.auditEvent.findFirstOrThrow({
      where: { action: "vault.rotate-key" },
      orderBy: { id: "desc" },
      select: { actorId: true, actorLabel: true, details: true },
    });
    expect(audit).toMatchObject({
      actorId: null,
      actorLabel: "pnpm rotate-key (test)",
      details: { source: "file", credentials: 4, oldKeyIds: [old.keyId], newKeyId: fresh.keyId },
    });
  });

  it("takes the new key from PGRESCUE_NEW_SECRET_KEY, and the next rotation drops the key before the previous one", async () => {
    const first = await loadVaultKey({ dataDir });
    const plaintexts = await sealCredentials(createVault(first), 2);
    const second = randomBytes(32);
    await rotateVaultKey({
      db: store.db,
      source: { kind: "file", dataDir },
      newKey: second,
      actorLabel: "test",
    });
    expect((await keyInFile(vaultKeyFiles(dataDir).current)).equals(second)).toBe(true);

    const third = randomBytes(32);
    await rotateVaultKey({
      db: store.db,
      source: { kind: "file", dataDir },
      newKey: third,
      actorLabel: "test",
    });
    const files = vaultKeyFiles(dataDir);
    expect((await keyInFile(files.current)).equals(third)).toBe(true);
    expect((await keyInFile(files.previous)).equals(second)).toBe(true);
    for (const row of await readCredentials(store.db)) {
      expect(createVault(third).open(row.sealed)).toBe(plaintexts.get(row.id));
    }
  });

  it("changes nothing when one credential does not open: rows, key file and data dir stay as they were", async () => {
    const key = await loadVaultKey({ dataDir });
    await sealCredentials(createVault(key), 3);
    // One credential sealed under a key this console never had (a key changed without a rotation).
    const stranger = createVault(randomBytes(32));
    const orphan = await store.db.credential.create({
      data: { kind: "PASSWORD", keyId: stranger.keyId, sealed: stranger.seal(secretOf(9)) },
      select: { id: true },
    });
    const rowsBefore = await readCredentials(store.db);
    const auditBefore = await store.db.auditEvent.count();

    const attempt = rotateVaultKey({
      db: store.db,
      source: { kind: "file", dataDir },
      newKey: undefined,
      actorLabel: "test",
    });
    await expect(attempt).rejects.toBeInstanceOf(KeyRotationError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`nothing was changed: 1 credential\\(s\\) do not open[\\s\\S]*${orphan.id}`),
    );

    expect(await readCredentials(store.db)).toEqual(rowsBefore);
    expect(await store.db.auditEvent.count()).toBe(auditBefore);
    expect((await keyInFile(vaultKeyFiles(dataDir).current)).equals(key)).toBe(true);
    expect(readdirSync(dataDir)).toEqual(["secret.key"]);
    expect(await findInterruptedRotation(dataDir)).toBeNull();
  });

  it("finishes a rotation that stopped after its commit with the same next key, and refuses another key meanwhile", async () => {
    const oldKey = await loadVaultKey({ dataDir });
    const plaintexts = await sealCredentials(createVault(oldKey), 3);
    // The state a crash between the commit and the key file switch leaves: next key written, rows under it.
    const nextKey = randomBytes(32);
    const next = createVault(nextKey);
    const files = vaultKeyFiles(dataDir);
    await writeKeyFile(files.next, nextKey);
    for (const [id, secret] of plaintexts) {
      await store.db.credential.update({
        where: { id },
        data: { keyId: next.keyId, sealed: next.seal(secret) },
      });
    }
    expect(await findInterruptedRotation(dataDir)).toBe(files.next);

    await expect(
      rotateVaultKey({
        db: store.db,
        source: { kind: "file", dataDir },
        newKey: randomBytes(32),
        actorLabel: "test",
      }),
    ).rejects.toThrow(/an earlier rotation stopped before it finished/);

    const result = await rotateVaultKey({
      db: store.db,
      source: { kind: "file", dataDir },
      newKey: undefined,
      actorLabel: "test",
    });
    expect(result).toMatchObject({ resumed: true, resealed: 3, newKeyId: next.keyId });
    expect((await keyInFile(files.current)).equals(nextKey)).toBe(true);
    expect((await keyInFile(files.previous)).equals(oldKey)).toBe(true);
    expect(await findInterruptedRotation(dataDir)).toBeNull();
    for (const row of await readCredentials(store.db)) {
      expect(next.open(row.sealed)).toBe(plaintexts.get(row.id));
    }
  });
});

describe("rotateVaultKey with PGRESCUE_SECRET_KEY", () => {
  it("re-seals under the given key and writes nothing to the data dir", async () => {
    const oldKey = randomBytes(32);
    const plaintexts = await sealCredentials(createVault(oldKey), 2);
    const newKey = randomBytes(32);
    const result = await rotateVaultKey({
      db: store.db,
      source: { kind: "environment", base64Key: oldKey.toString("base64") },
      newKey,
      actorLabel: "test",
    });
    expect(result.resealed).toBe(2);
    for (const row of await readCredentials(store.db)) {
      expect(createVault(newKey).open(row.sealed)).toBe(plaintexts.get(row.id));
      expect(() => createVault(oldKey).open(row.sealed)).toThrow(/cannot be decrypted/);
    }
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("refuses to rotate to the key already in use", async () => {
    const key = randomBytes(32);
    await expect(
      rotateVaultKey({
        db: store.db,
        source: { kind: "environment", base64Key: key.toString("base64") },
        newKey: key,
        actorLabel: "test",
      }),
    ).rejects.toThrow(/the new key is the current key/);
  });
});

describe("findOtherStoreSessions", () => {
  it("lists another client of the store's database, such as a running console", async () => {
    const url = new URL(store.url);
    url.searchParams.set("application_name", "pgrescue-console-under-test");
    const other = createDb(url.toString());
    try {
      await other.$queryRaw`SELECT 1`;
      const sessions = await findOtherStoreSessions(store.db);
      expect(sessions.map((session) => session.application)).toContain(
        "pgrescue-console-under-test",
      );
    } finally {
      await other.$disconnect();
    }
  });
});
