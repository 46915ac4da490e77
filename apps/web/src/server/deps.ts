// One store client and one runtime (SSH pool, vault, event bus) per server process, shared by the tRPC
// handler and the session route.
import "server-only";
import { createRuntime, createVault, loadVaultKey, type TRuntime } from "@pgrescue/api";
import { createDb, type Db } from "@pgrescue/db";
import { readServerEnv, type ServerEnv } from "~/env";

const globalForServer = globalThis as unknown as {
  pgrescueDb?: Db;
  pgrescueRuntime?: Promise<TRuntime>;
};

export function serverEnv(): ServerEnv {
  return readServerEnv();
}

export function getDb(env: ServerEnv = serverEnv()): Db {
  globalForServer.pgrescueDb ??= createDb(env.DATABASE_URL);
  return globalForServer.pgrescueDb;
}

export function getRuntime(env: ServerEnv = serverEnv()): Promise<TRuntime> {
  globalForServer.pgrescueRuntime ??= loadVaultKey({
    base64Key: env.PGRESCUE_SECRET_KEY,
    dataDir: env.dataDir,
  }).then((key) => createRuntime({ vault: createVault(key), agentSocket: env.SSH_AUTH_SOCK }));
  return globalForServer.pgrescueRuntime;
}
