// Who is asking: the client's address as the server saw it, and for server components the signed-in user
// (better-auth's session cookie) or a redirect to the sign-in page.
import "server-only";
import { needsFirstAdmin, resolveSessionActor, type TActor } from "@pgrescue/api";
import { readFrontRequest, type TFrontRequest } from "@pgrescue/api/front";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getAuth, getDb, serverEnv } from "./deps";

/**
 * What the launcher's front resolved about the request: the client's address (from the socket, or from
 * X-Forwarded-For of a trusted proxy) and https. A request that did not come through this process's front (its
 * secret is missing) has no known address: it then shares one per-address sign-in limit with all such requests.
 */
export function frontRequest(requestHeaders: Headers): TFrontRequest {
  return readFrontRequest(requestHeaders, serverEnv().PGRESCUE_FRONT_SECRET);
}

export function clientIp(requestHeaders: Headers): string | undefined {
  return frontRequest(requestHeaders).clientAddress;
}

/** Server components: the signed-in user, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireSession(returnTo: string): Promise<TActor> {
  const requestHeaders = await headers();
  const actor = await resolveSessionActor(
    await getAuth(),
    getDb(),
    requestHeaders,
    clientIp(requestHeaders),
  );
  if (actor === null) redirect(`/sign-in?next=${encodeURIComponent(returnTo)}`);
  return actor;
}

/** Before the first admin exists the sign-in page points to the setup link in the log. */
export function consoleNeedsFirstAdmin(): Promise<boolean> {
  return needsFirstAdmin(getDb());
}
