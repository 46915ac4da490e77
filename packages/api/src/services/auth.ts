// Password sign-in through better-auth: sessions in the store, signed httpOnly SameSite=Strict cookies, the
// origin check on every cookie-carrying mutation, a memory-hard (scrypt) hash, per-IP rate limits kept in the
// store, and a per-account lockout after repeated failures that the audit trail records and counts.
import { hkdfSync } from "node:crypto";
import type { Db } from "@pgrescue/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { resolveTokenActor } from "./tokens.ts";

/** A console session lasts a working night; the browser must sign in again after that. */
export const SESSION_TTL_SEC = 12 * 60 * 60;
/** Failed password sign-ins for one account within the window before it is locked for the rest of it. */
export const SIGN_IN_LOCKOUT = { failures: 5, windowMs: 15 * 60_000 } as const;
export const PASSWORD_RULES = { min: 12, max: 256 } as const;
const SIGN_IN_TARGET = "SignIn";

export type TAuthOptions = {
  /** the cookie-signing secret, e.g. from {@link deriveAuthSecret} */
  secret: string;
  /** the console's public URL when it is fixed (a reverse proxy, TLS); otherwise the request's own host */
  publicUrl?: string | undefined;
  /** password sign-in attempts per client address and minute (default 10) */
  signInPerMinute?: number | undefined;
};

/** The cookie-signing secret, derived from the vault key so that one secret protects the console. */
export function deriveAuthSecret(vaultKey: Buffer): string {
  return Buffer.from(
    hkdfSync("sha256", vaultKey, "pgrescue", "better-auth session cookie signing", 32),
  ).toString("base64url");
}

export function createAuth(db: Db, options: TAuthOptions) {
  const publicUrl = options.publicUrl === undefined ? undefined : new URL(options.publicUrl);
  return betterAuth({
    appName: "pgrescue",
    secret: options.secret,
    // without a fixed public URL the console answers on whatever host the browser used (127.0.0.1, a LAN
    // name); the origin check then requires Origin to be that same host
    baseURL: publicUrl === undefined ? { allowedHosts: ["*"], protocol: "http" } : publicUrl.origin,
    database: prismaAdapter(db, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      // users are created by admins (and the first one by the setup link), never by sign-up
      disableSignUp: true,
      minPasswordLength: PASSWORD_RULES.min,
      maxPasswordLength: PASSWORD_RULES.max,
    },
    session: { expiresIn: SESSION_TTL_SEC, updateAge: 60 * 60, cookieCache: { enabled: false } },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      customRules: { "/sign-in/email": { window: 60, max: options.signInPerMinute ?? 10 } },
    },
    advanced: {
      cookiePrefix: "pgrescue",
      useSecureCookies: publicUrl?.protocol === "https:",
      defaultCookieAttributes: { sameSite: "strict", httpOnly: true },
      ipAddress: { ipAddressHeaders: ["x-forwarded-for"] },
    },
    databaseHooks: {
      session: {
        create: {
          // a disabled user gets no session, whatever the password
          before: async (session) => {
            const user = await db.user.findUnique({
              where: { id: session.userId },
              select: { disabledAt: true },
            });
            return user !== null && user.disabledAt === null;
          },
        },
      },
    },
    telemetry: { enabled: false },
  });
}

export type TAuth = ReturnType<typeof createAuth>;

/** The signed-in user behind the request's session cookie, or null (none, expired, signed out, disabled). */
export async function resolveSessionActor(
  auth: TAuth,
  db: Db,
  headers: Headers,
  ip?: string,
): Promise<TActor | null> {
  const session = await auth.api.getSession({ headers });
  if (session === null) return null;
  const user = await db.user.findUnique({
    where: { id: session.user.id },
    select: { id: true, email: true, role: true, disabledAt: true },
  });
  if (user === null || user.disabledAt !== null) return null;
  return { id: user.id, label: user.email, role: user.role, ip };
}

/**
 * A cookie travels with cross-site requests too, so a request that authenticates by cookie must come from
 * the console's own origin unless it is a read (GET/HEAD). SameSite=Strict already says so in browsers;
 * this is the second lock, and the one that holds for a browser that ignores SameSite.
 */
export function isSameOriginRequest(req: { method: string; headers: Headers }): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return req.method === "GET" || req.method === "HEAD";
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The actor of an API request: a bearer token when one is sent, else the session cookie from this origin. */
export async function resolveRequestActor(
  auth: TAuth,
  db: Db,
  req: { method: string; headers: Headers },
  ip?: string,
): Promise<TActor | null> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) return resolveTokenActor(db, authorization, ip);
  if (!isSameOriginRequest(req)) return null;
  return resolveSessionActor(auth, db, req.headers, ip);
}

function normalizeEmail(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const email = value.trim().toLowerCase();
  return email.length > 0 && email.length <= 320 ? email : null;
}

function jsonProblem(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, { status, headers: { "cache-control": "no-store" } });
}

/** Failed sign-ins for the account since the window opened or since its last successful sign-in. */
async function countRecentFailures(db: Db, email: string, now: Date): Promise<number> {
  const windowStart = new Date(now.getTime() - SIGN_IN_LOCKOUT.windowMs);
  const lastSuccess = await db.auditEvent.findFirst({
    where: {
      action: "auth.sign-in",
      targetType: SIGN_IN_TARGET,
      targetId: email,
      at: { gte: windowStart },
    },
    orderBy: { at: "desc" },
    select: { at: true },
  });
  return db.auditEvent.count({
    where: {
      action: "auth.sign-in.failed",
      targetType: SIGN_IN_TARGET,
      targetId: email,
      at: { gte: lastSuccess?.at ?? windowStart },
    },
  });
}

async function signInWithLockout(
  auth: TAuth,
  db: Db,
  req: Request,
  ip?: string,
): Promise<Response> {
  const body: unknown = await req
    .clone()
    .json()
    .catch(() => null);
  const email = normalizeEmail(
    typeof body === "object" && body !== null && "email" in body ? body.email : undefined,
  );
  if (email === null) return auth.handler(req);
  const anonymous = { id: null, label: email, ip };
  const minutes = String(SIGN_IN_LOCKOUT.windowMs / 60_000);
  if ((await countRecentFailures(db, email, new Date())) >= SIGN_IN_LOCKOUT.failures) {
    await recordAudit(db, anonymous, {
      action: "auth.sign-in.locked",
      targetType: SIGN_IN_TARGET,
      targetId: email,
    });
    return jsonProblem(
      429,
      "ACCOUNT_LOCKED",
      `too many failed sign-ins for ${email}: try again in ${minutes} minutes, or ask an admin to reset the password`,
    );
  }
  const response = await auth.handler(req);
  if (response.ok) {
    const user = await db.user.findUnique({
      where: { email },
      select: { id: true, email: true, role: true },
    });
    if (user !== null) {
      await recordAudit(
        db,
        { id: user.id, label: user.email, role: user.role, ip },
        { action: "auth.sign-in", targetType: SIGN_IN_TARGET, targetId: email },
      );
    }
  } else if (response.status === 401 || response.status === 403) {
    await recordAudit(db, anonymous, {
      action: "auth.sign-in.failed",
      targetType: SIGN_IN_TARGET,
      targetId: email,
      details: { status: response.status },
    });
  }
  return response;
}

const AUTH_ENDPOINTS = new Set(["POST /sign-in/email", "POST /sign-out", "GET /get-session"]);

/**
 * Every request under /api/auth: only the endpoints pgrescue uses, from the console's own origin; password
 * sign-in goes through the account lockout and the audit trail, sign-out is audited.
 */
export async function handleAuthRequest(
  auth: TAuth,
  db: Db,
  req: Request,
  ip?: string,
): Promise<Response> {
  const path = new URL(req.url).pathname;
  const endpoint = `${req.method} ${path.replace(/^.*\/api\/auth/, "")}`;
  // only what pgrescue uses: password changes, user updates and the rest go through tRPC and its audit
  if (!AUTH_ENDPOINTS.has(endpoint))
    return jsonProblem(404, "NOT_FOUND", `${endpoint} is not an endpoint of this console`);
  // better-auth trusts every host when the public URL is not fixed; the console's own origin rule decides
  if (!isSameOriginRequest(req))
    return jsonProblem(
      403,
      "CROSS_ORIGIN",
      "send this from the console's own page (Origin must be the console)",
    );
  if (endpoint === "POST /sign-in/email") return signInWithLockout(auth, db, req, ip);
  if (endpoint === "POST /sign-out") {
    const actor = await resolveSessionActor(auth, db, req.headers, ip);
    const response = await auth.handler(req);
    if (actor !== null && response.ok)
      await recordAudit(db, actor, {
        action: "auth.sign-out",
        targetType: "User",
        targetId: actor.id,
      });
    return response;
  }
  return auth.handler(req);
}
