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
import { createDb, type TDb } from "@pgrescue/db";
import { readServerEnv, type TServerEnv } from "~/env";

const globalForServer = globalThis as unknown as {
  pgrescueDb?: TDb;
  pgrescueLogger?: TLogger;
  pgrescueVaultKey?: Promise<Buffer>;
  pgrescueRuntime?: Promise<TRuntime>;
  pgrescueAuth?: Promise<TAuth>;
};

export function serverEnv(): TServerEnv {
  return readServerEnv();
}

export function getDb(env: TServerEnv = serverEnv()): TDb {
  globalForServer.pgrescueDb ??= createDb(env.DATABASE_URL);
  return globalForServer.pgrescueDb;
}

export function getLogger(env: TServerEnv = serverEnv()): TLogger {
  globalForServer.pgrescueLogger ??= createLogger(env.log);
  return globalForServer.pgrescueLogger;
}

function getVaultKey(env: TServerEnv): Promise<Buffer> {
  globalForServer.pgrescueVaultKey ??= loadVaultKey({
    base64Key: env.PGRESCUE_SECRET_KEY,
    dataDir: env.dataDir,
  });
  return globalForServer.pgrescueVaultKey;
}

export function getRuntime(env: TServerEnv = serverEnv()): Promise<TRuntime> {
  globalForServer.pgrescueRuntime ??= getVaultKey(env).then((key) =>
    createRuntime({
      vault: createVault(key),
      logger: getLogger(env),
      agentSocket: env.SSH_AUTH_SOCK,
    }),
  );
  return globalForServer.pgrescueRuntime;
}

export function getAuth(env: TServerEnv = serverEnv()): Promise<TAuth> {
  globalForServer.pgrescueAuth ??= getVaultKey(env).then((key) =>
    createAuth(getDb(env), {
      secret: deriveAuthSecret(key),
      publicUrl: env.PGRESCUE_PUBLIC_URL,
    }),
  );
  return globalForServer.pgrescueAuth;
}
