// Server-side wiring for Next.js: one store client and one runtime (SSH pool, vault, event bus) per server
// process, and the tRPC context built from them for every request, with the actor behind its API token.
import "server-only";
import {
  createContext,
  createRuntime,
  createVault,
  loadVaultKey,
  resolveTokenActor,
  type Context,
  type TRuntime,
} from "@pgrescue/api";
import { createDb, type Db } from "@pgrescue/db";
import { readServerEnv } from "~/env";
import packageJson from "../../package.json" with { type: "json" };

const globalForServer = globalThis as unknown as {
  pgrescueDb?: Db;
  pgrescueRuntime?: Promise<TRuntime>;
};

function runtimeFor(env: ReturnType<typeof readServerEnv>): Promise<TRuntime> {
  globalForServer.pgrescueRuntime ??= loadVaultKey({
    base64Key: env.PGRESCUE_SECRET_KEY,
    dataDir: env.dataDir,
  }).then((key) => createRuntime({ vault: createVault(key), agentSocket: env.SSH_AUTH_SOCK }));
  return globalForServer.pgrescueRuntime;
}

export async function createRequestContext({ req }: { req: Request }): Promise<Context> {
  const env = readServerEnv();
  globalForServer.pgrescueDb ??= createDb(env.DATABASE_URL);
  const db = globalForServer.pgrescueDb;
  const ip = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? undefined;
  return createContext({
    db,
    runtime: await runtimeFor(env),
    actor: await resolveTokenActor(db, req.headers.get("authorization"), ip),
    config: {
      migrationsDir: env.migrationsDir,
      version: packageJson.version,
      embeddedStore: env.PGRESCUE_EMBEDDED_STORE === "1",
    },
  });
}
