// Secrets at rest: AES-256-GCM envelopes (version ‖ iv ‖ tag ‖ ciphertext) under one key-encryption key.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type Vault = {
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

export function createVault(key: Buffer): Vault {
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

/** The key from PGRESCUE_SECRET_KEY (base64), else `<dataDir>/secret.key`, generated with mode 0600 on first use. */
export async function loadVaultKey(options: {
  base64Key?: string | undefined;
  dataDir: string;
}): Promise<Buffer> {
  if (options.base64Key !== undefined) {
    const key = Buffer.from(options.base64Key, "base64");
    if (key.length !== 32)
      throw new VaultError("PGRESCUE_SECRET_KEY must be the base64 of exactly 32 bytes");
    return key;
  }
  const file = path.join(options.dataDir, "secret.key");
  try {
    const key = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
    if (key.length !== 32) throw new VaultError(`${file} does not hold the base64 of 32 bytes`);
    return key;
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "ENOENT")) throw error;
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  await chmod(file, 0o600);
  return key;
}
