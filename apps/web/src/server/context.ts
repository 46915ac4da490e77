// The tRPC context for every request: the store, the runtime, and the actor behind the API token
// (Authorization header) or the session cookie (same origin only).
import "server-only";
import { createContext, resolveRequestActor, type TContext } from "@pgrescue/api";
import packageJson from "../../package.json" with { type: "json" };
import { getAuth, getDb, getRuntime, serverEnv } from "./deps";
import { clientIp } from "./session";

export async function createRequestContext({ req }: { req: Request }): Promise<TContext> {
  const env = serverEnv();
  const db = getDb(env);
  const clientAddress = clientIp(req.headers);
  return createContext({
    db,
    runtime: await getRuntime(env),
    clientAddress,
    actor: await resolveRequestActor(await getAuth(env), db, req, clientAddress),
    config: {
      migrationsDir: env.migrationsDir,
      version: packageJson.version,
      embeddedStore: env.PGRESCUE_EMBEDDED_STORE === "1",
    },
  });
}
