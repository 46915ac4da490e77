// Who is asking: the client's address as the server saw it, and for server components the signed-in user
// (better-auth's session cookie) or a redirect to the sign-in page.
import "server-only";
import { needsFirstAdmin, resolveSessionActor, type TActor } from "@pgrescue/api";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getAuth, getDb } from "./deps";

/** `next start` sets x-forwarded-for from the socket when no proxy did. */
export function clientIp(requestHeaders: Headers): string | undefined {
  return requestHeaders.get("x-forwarded-for")?.split(",")[0]?.trim() ?? undefined;
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
