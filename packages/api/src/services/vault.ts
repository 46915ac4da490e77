// Secrets at rest: AES-256-GCM envelopes (version ‖ iv ‖ tag ‖ ciphertext) under one key-encryption key, the key
// files in the data dir, and the key ring a rotation opens older envelopes with.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type TVault = {
  /** Identifies the key, so a rotation can find what was sealed under an older one. */
  keyId: string;
  seal(plaintext: string): Uint8Array<ArrayBuffer>;
  open(sealed: Uint8Array): string;
};

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultError";
  }
}

export function createVault(key: Buffer): TVault {
  if (key.length !== 32)
    throw new VaultError("the secret key must be 32 bytes (base64 of 32 random bytes)");
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return {
    keyId,
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(keyId));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const out = new Uint8Array(1 + IV_BYTES + TAG_BYTES + body.length);
      out[0] = VERSION;
      out.set(iv, 1);
      out.set(cipher.getAuthTag(), 1 + IV_BYTES);
      out.set(body, 1 + IV_BYTES + TAG_BYTES);
      return out;
    },
    open(sealed) {
      const bytes = Buffer.from(sealed);
      if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
        throw new VaultError("the sealed secret is damaged or of an unknown version");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        throw new VaultError(
          "the secret cannot be decrypted with the current key (was the key changed without a rotation?)",
        );
      }
    },
  };
}

/** The key files in the data dir: the current key, a rotation's next key until it takes over, the key before. */
export function vaultKeyFiles(dataDir: string): {
  current: string;
  next: string;
  previous: string;
} {
  const current = path.join(dataDir, "secret.key");
  return { current, next: `${current}.next`, previous: `${current}.previous` };
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

/** A key file's key, or null when the file does not exist. */
export async function readKeyFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new VaultError(`${file} does not hold the base64 of 32 bytes`);
  return key;
}

/** The key from PGRESCUE_SECRET_KEY (base64), else `<dataDir>/secret.key`, generated with mode 0600 on first use. */
export async function loadVaultKey(options: {
  base64Key?: string | undefined;
  dataDir: string;
}): Promise<Buffer> {
  if (options.base64Key !== undefined)
    return parseBase64Key(options.base64Key, "PGRESCUE_SECRET_KEY");
  const file = vaultKeyFiles(options.dataDir).current;
  const existing = await readKeyFile(file);
  if (existing !== null) return existing;
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  await chmod(file, 0o600);
  return key;
}

export function parseBase64Key(base64Key: string, name: string): Buffer {
  const key = Buffer.from(base64Key, "base64");
  if (key.length !== 32) throw new VaultError(`${name} must be the base64 of exactly 32 bytes`);
  return key;
}

async function syncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a key file so that it is either absent or complete and 0600: a temporary file, synced, renamed into place. */
export async function writeKeyFile(file: string, key: Buffer): Promise<void> {
  const temporary = `${file}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    await writeFile(temporary, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    await chmod(temporary, 0o600);
    await syncPath(temporary);
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
  await syncPath(path.dirname(file));
}

/**
 * The last step of a rotation, once the store holds every credential under the next key: the current key
 * becomes `secret.key.previous` (kept, 0600, until the next rotation) and `secret.key.next` replaces
 * `secret.key` by a rename, so `secret.key` is always a complete key file.
 */
export async function promoteNextKeyFile(dataDir: string): Promise<void> {
  const files = vaultKeyFiles(dataDir);
  const previousTemporary = `${files.previous}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    await copyFile(files.current, previousTemporary);
    await chmod(previousTemporary, 0o600);
    await syncPath(previousTemporary);
    await rename(previousTemporary, files.previous);
  } finally {
    await rm(previousTemporary, { force: true });
  }
  await chmod(files.next, 0o600);
  await rename(files.next, files.current);
  await syncPath(dataDir);
}

/** Opens envelopes sealed under any of several keys, picking the key by the id stored next to the envelope. */
export type TKeyRing = {
  keyIds: string[];
  open(sealed: Uint8Array, keyId: string): string;
};

export function createKeyRing(keys: Buffer[]): TKeyRing {
  const vaults = new Map(keys.map((key) => createVault(key)).map((vault) => [vault.keyId, vault]));
  return {
    keyIds: [...vaults.keys()],
    open(sealed, keyId) {
      const vault = vaults.get(keyId);
      if (vault === undefined) {
        throw new VaultError(
          `sealed under key ${keyId}, which is none of the keys at hand (${[...vaults.keys()].join(", ")})`,
        );
      }
      return vault.open(sealed);
    },
  };
}
