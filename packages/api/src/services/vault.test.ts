import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKeyRing,
  createVault,
  promoteNextKeyFile,
  readKeyFile,
  VaultError,
  vaultKeyFiles,
  writeKeyFile,
} from "./vault.ts";

describe("createKeyRing", () => {
  it("opens what each of its keys sealed, choosing the key by the id stored with the envelope", () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const ring = createKeyRing([a, b]);
    const [vaultA, vaultB] = [createVault(a), createVault(b)];
    expect(ring.keyIds).toEqual([vaultA.keyId, vaultB.keyId]);
    expect(ring.open(vaultA.seal("alpha"), vaultA.keyId)).toBe("alpha");
    expect(ring.open(vaultB.seal("beta"), vaultB.keyId)).toBe("beta");
    // The id decides: an envelope of A presented as B's does not open.
    expect(() => ring.open(vaultA.seal("alpha"), vaultB.keyId)).toThrow(VaultError);
  });

  it("names the key it does not have", () => {
    const stranger = createVault(randomBytes(32));
    expect(() => createKeyRing([randomBytes(32)]).open(stranger.seal("x"), stranger.keyId)).toThrow(
      new RegExp(`sealed under key ${stranger.keyId}, which is none of the keys at hand`),
    );
  });
});

describe("key files", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-vault-"));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("writes a complete 0600 key file and leaves no temporary file behind", async () => {
    const files = vaultKeyFiles(dataDir);
    const key = randomBytes(32);
    await writeKeyFile(files.next, key);
    expect((await readKeyFile(files.next))?.equals(key)).toBe(true);
    expect(statSync(files.next).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir)).toEqual(["secret.key.next"]);
    expect(await readKeyFile(files.current)).toBeNull();
  });

  it("promotes the next key over the current one and keeps the current one as the previous, all 0600", async () => {
    const files = vaultKeyFiles(dataDir);
    const [current, next] = [randomBytes(32), randomBytes(32)];
    await writeKeyFile(files.current, current);
    await writeKeyFile(files.next, next);
    await promoteNextKeyFile(dataDir);
    expect((await readKeyFile(files.current))?.equals(next)).toBe(true);
    expect((await readKeyFile(files.previous))?.equals(current)).toBe(true);
    expect(readdirSync(dataDir).sort()).toEqual(["secret.key", "secret.key.previous"]);
    for (const file of [files.current, files.previous])
      expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("refuses a key file that does not hold 32 bytes", async () => {
    const file = vaultKeyFiles(dataDir).current;
    writeFileSync(file, "c2hvcnQ=\n");
    await expect(readKeyFile(file)).rejects.toThrow(/does not hold the base64 of 32 bytes/);
  });
});
