// One store client, one log, one runtime (SSH pool, vault, event bus) and one better-auth instance per server process,
// shared by the tRPC handler, the auth route and server components.
import "server-only";
import {
  createAuth,
  createLogger,
  createRuntime,
  createVault,
  deriveAuthSecret,
  loadVaultKey,
  type TAuth,
  type TLogger,
  type TRuntime,
} from "@pgrescue/api";
import { createDb, type Db } from "@pgrescue/db";
import { readServerEnv, type ServerEnv } from "~/env";

const globalForServer = globalThis as unknown as {
  pgrescueDb?: Db;
  pgrescueLogger?: TLogger;
  pgrescueVaultKey?: Promise<Buffer>;
  pgrescueRuntime?: Promise<TRuntime>;
  pgrescueAuth?: Promise<TAuth>;
};

export function serverEnv(): ServerEnv {
  return readServerEnv();
}

export function getDb(env: ServerEnv = serverEnv()): Db {
  globalForServer.pgrescueDb ??= createDb(env.DATABASE_URL);
  return globalForServer.pgrescueDb;
}

export function getLogger(env: ServerEnv = serverEnv()): TLogger {
  globalForServer.pgrescueLogger ??= createLogger(env.log);
  return globalForServer.pgrescueLogger;
}

function getVaultKey(env: ServerEnv): Promise<Buffer> {
  globalForServer.pgrescueVaultKey ??= loadVaultKey({
    base64Key: env.PGRESCUE_SECRET_KEY,
    dataDir: env.dataDir,
  });
  return globalForServer.pgrescueVaultKey;
}

export function getRuntime(env: ServerEnv = serverEnv()): Promise<TRuntime> {
  globalForServer.pgrescueRuntime ??= getVaultKey(env).then((key) =>
    createRuntime({
      vault: createVault(key),
      logger: getLogger(env),
      agentSocket: env.SSH_AUTH_SOCK,
    }),
  );
  return globalForServer.pgrescueRuntime;
}

export function getAuth(env: ServerEnv = serverEnv()): Promise<TAuth> {
  globalForServer.pgrescueAuth ??= getVaultKey(env).then((key) =>
    createAuth(getDb(env), {
      secret: deriveAuthSecret(key),
      publicUrl: env.PGRESCUE_PUBLIC_URL,
    }),
  );
  return globalForServer.pgrescueAuth;
}
