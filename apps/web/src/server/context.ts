// Server-side wiring for Next.js: one store client per server process, and the tRPC
// context built from it for every request.
import "server-only";
import { createContext, type Context } from "@pgrescue/api";
import { createDb, type Db } from "@pgrescue/db";
import { readServerEnv } from "~/env";
import packageJson from "../../package.json" with { type: "json" };

const globalForDb = globalThis as unknown as { pgrescueDb?: Db };

export function createRequestContext(): Context {
  const env = readServerEnv();
  globalForDb.pgrescueDb ??= createDb(env.DATABASE_URL);
  return createContext({
    db: globalForDb.pgrescueDb,
    config: {
      migrationsDir: env.migrationsDir,
      version: packageJson.version,
      embeddedStore: env.PGRESCUE_EMBEDDED_STORE === "1",
    },
  });
}
