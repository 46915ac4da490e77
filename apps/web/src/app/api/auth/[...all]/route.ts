// /api/auth/*: better-auth's sign-in, sign-out and session endpoints, through pgrescue's origin check,
// account lockout and audit trail.
import { handleAuthRequest } from "@pgrescue/api";
import { getAuth, getDb } from "~/server/deps";
import { clientIp } from "~/server/session";

export const dynamic = "force-dynamic";

async function handle(req: Request): Promise<Response> {
  return handleAuthRequest(await getAuth(), getDb(), req, clientIp(req.headers));
}

export { handle as GET, handle as POST };
