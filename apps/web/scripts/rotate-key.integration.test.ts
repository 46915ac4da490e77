// `pnpm rotate-key` as an operator runs it: against the embedded store of a data dir, refusing while that store
// is in use, replacing the key file (0600, the old key kept as secret.key.previous), and with PGRESCUE_SECRET_KEY
// refusing until --print-new-key, then printing the key every credential now opens with.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createVault, loadVaultKey } from "@pgrescue/api";
import { migrationsDir } from "@pgrescue/db/testing";
import { openStore, type TStore } from "@pgrescue/db/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
const script = fileURLToPath(new URL("./rotate-key.ts", import.meta.url));

let dataDir: string;

/** The test runner's environment without the store and key settings each run decides itself. */
const {
  DATABASE_URL: _databaseUrl,
  PGRESCUE_SECRET_KEY: _secretKey,
  PGRESCUE_NEW_SECRET_KEY: _newSecretKey,
  PGRESCUE_STORE_PORT: _storePort,
  PGRESCUE_DATA_DIR: _dataDir,
  ...ambient
} = process.env;

function runRotateKey(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, ...args], {
      cwd: repoRoot,
      env: { ...ambient, PGRESCUE_DATA_DIR: dataDir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function withStore<T>(use: (store: TStore) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir, migrationsDir });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Two hosts' logins sealed the way the console seals them; returns id → plaintext. */
async function sealTwo(store: TStore, key: Buffer): Promise<Map<string, string>> {
  const vault = createVault(key);
  const plaintexts = new Map<string, string>();
  for (const n of [1, 2]) {
    const secret = JSON.stringify({ kind: "password", password: randomBytes(12).toString("hex") });
    const row = await store.db.credential.create({
      data: { kind: "PASSWORD", keyId: vault.keyId, sealed: vault.seal(secret) },
      select: { id: true },
    });
    plaintexts.set(row.id, secret);
    await store.db.host.create({
      data: {
        name: `cli-${String(n)}`,
        address: "127.0.0.1",
        sshUser: "postgres",
        authMethod: "PASSWORD",
        credentialId: row.id,
      },
    });
  }
  return plaintexts;
}

async function expectAllOpenWith(key: Buffer, plaintexts: Map<string, string>, old: Buffer) {
  await withStore(async (store) => {
    const rows = await store.db.credential.findMany({ select: { id: true, sealed: true } });
    expect(rows).toHaveLength(plaintexts.size);
    for (const row of rows) {
      expect(createVault(key).open(row.sealed)).toBe(plaintexts.get(row.id));
      expect(() => createVault(old).open(row.sealed)).toThrow(/cannot be decrypted/);
    }
  });
}

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-rotate-cli-"));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("pnpm rotate-key with the key file", () => {
  it("refuses while the embedded store is in use, then rotates once it is stopped", async () => {
    const oldKey = await loadVaultKey({ dataDir });
    const store = await openStore({ dataDir, migrationsDir });
    let plaintexts: Map<string, string>;
    try {
      plaintexts = await sealTwo(store, oldKey);
      // The store is running, as it is while the console runs.
      const refused = await runRotateKey([]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /the embedded store in .* is running \(postmaster PID \d+\): stop the console first/,
      );
      expect((await readFile(path.join(dataDir, "secret.key"), "utf8")).trim()).toBe(
        oldKey.toString("base64"),
      );
    } finally {
      await store.close();
    }

    const rotated = await runRotateKey([]);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/2 credential\(s\) re-sealed under key [0-9a-f]{16}/);
    expect(rotated.stdout).not.toContain(oldKey.toString("base64"));
    const newKey = Buffer.from(
      (await readFile(path.join(dataDir, "secret.key"), "utf8")).trim(),
      "base64",
    );
    expect(newKey.equals(oldKey)).toBe(false);
    expect(rotated.stdout).not.toContain(newKey.toString("base64"));
    expect((await stat(path.join(dataDir, "secret.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, "secret.key.previous"))).mode & 0o777).toBe(0o600);
    expect(
      readdirSync(dataDir)
        .filter((name) => name.startsWith("secret.key"))
        .sort(),
    ).toEqual(["secret.key", "secret.key.previous"]);
    await expectAllOpenWith(newKey, plaintexts, oldKey);
  });
});

describe("pnpm rotate-key with PGRESCUE_SECRET_KEY", () => {
  it("refuses without --print-new-key, then prints the new key once, and every credential opens with it", async () => {
    const oldKey = randomBytes(32);
    const plaintexts = await withStore((store) => sealTwo(store, oldKey));
    const env = { PGRESCUE_SECRET_KEY: oldKey.toString("base64") };

    const refused = await runRotateKey([], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--print-new-key");

    const rotated = await runRotateKey(["--print-new-key"], env);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    const printed = /PGRESCUE_SECRET_KEY=([A-Za-z0-9+/=]{44})/.exec(rotated.stdout)?.[1];
    expect(printed).toBeDefined();
    expect(rotated.stdout.split(printed ?? "-").length - 1).toBe(1);
    expect(rotated.stdout).toMatch(/now set PGRESCUE_SECRET_KEY to the new key/);
    await expectAllOpenWith(Buffer.from(printed ?? "", "base64"), plaintexts, oldKey);
    expect(readdirSync(dataDir).filter((name) => name.startsWith("secret.key"))).toEqual([]);
  });
});
