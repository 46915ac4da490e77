// The tRPC context for every request: the store, the runtime, and the actor behind the API token
// (Authorization header, else the session cookie).
import "server-only";
import { createContext, resolveTokenActor, type Context } from "@pgrescue/api";
import { cookies } from "next/headers";
import packageJson from "../../package.json" with { type: "json" };
import { getDb, getRuntime, serverEnv } from "./deps";
import { authorizationOf, clientIp, SESSION_COOKIE } from "./session";

export async function createRequestContext({ req }: { req: Request }): Promise<Context> {
  const env = serverEnv();
  const db = getDb(env);
  const sessionToken = (await cookies()).get(SESSION_COOKIE)?.value;
  return createContext({
    db,
    runtime: await getRuntime(env),
    actor: await resolveTokenActor(db, authorizationOf(req, sessionToken), clientIp(req)),
    config: {
      migrationsDir: env.migrationsDir,
      version: packageJson.version,
      embeddedStore: env.PGRESCUE_EMBEDDED_STORE === "1",
    },
  });
}
