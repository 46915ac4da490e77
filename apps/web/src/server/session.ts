// The browser session until real sign-in arrives: the user's API token in an httpOnly cookie, never
// readable by client JS. Requests authenticate with `Authorization: Bearer …` first, the cookie second.
import "server-only";
import { resolveTokenActor, type TActor } from "@pgrescue/api";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "./deps";

export const SESSION_COOKIE = "pgrescue_session";
/** A console session lasts a working night; the token itself stays valid until revoked. */
export const SESSION_MAX_AGE_SEC = 12 * 60 * 60;

export function sessionCookieOptions(secure: boolean) {
  return {
    httpOnly: true,
    sameSite: "strict" as const,
    secure,
    path: "/",
    maxAge: SESSION_MAX_AGE_SEC,
  };
}

/** https as the browser sees it (directly or behind a proxy that says so). */
export function isSecureRequest(req: Request): boolean {
  const forwarded = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return (forwarded ?? new URL(req.url).protocol.replace(/:$/, "")) === "https";
}

/**
 * A cookie travels with cross-site requests too; a state-changing request that authenticates by cookie
 * must come from this origin (SameSite=Strict already says so in browsers; this is the second lock).
 */
export function isSameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return req.method === "GET" || req.method === "HEAD";
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The Authorization header as given, else the session cookie as a bearer token, else null. */
export function authorizationOf(req: Request, sessionToken: string | undefined): string | null {
  const header = req.headers.get("authorization");
  if (header !== null) return header;
  if (sessionToken === undefined || sessionToken === "" || !isSameOrigin(req)) return null;
  return `Bearer ${sessionToken}`;
}

export function clientIp(req: Request): string | undefined {
  return req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? undefined;
}

/** Server components: the signed-in user, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireSession(returnTo: string): Promise<TActor> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const actor = token === undefined ? null : await resolveTokenActor(getDb(), `Bearer ${token}`);
  if (actor === null) redirect(`/sign-in?next=${encodeURIComponent(returnTo)}`);
  return actor;
}
