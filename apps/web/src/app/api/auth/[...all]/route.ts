// /api/auth/*: better-auth's sign-in, sign-out and session endpoints, through pgrescue's origin check, its one
// sign-in path (per-address limit, JSON only, account lockout) and audit trail.
import { handleAuthRequest } from "@pgrescue/api";
import { getAuth, getDb, serverEnv } from "~/server/deps";
import { frontRequest } from "~/server/session";

export const dynamic = "force-dynamic";

async function handle(req: Request): Promise<Response> {
  const env = serverEnv();
  return handleAuthRequest(await getAuth(env), getDb(env), req, frontRequest(req.headers), {
    signInPerMinute: env.PGRESCUE_SIGN_IN_PER_MINUTE,
  });
}

export { handle as GET, handle as POST };
