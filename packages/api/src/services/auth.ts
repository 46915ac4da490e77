// Password sign-in through better-auth: sessions in the store with an absolute lifetime, signed httpOnly
// SameSite=Strict cookies, the origin check on every cookie-carrying mutation, a memory-hard (scrypt) hash, and one
// path for every password sign-in: a per-address limit kept in the store (the address from the front, never from the
// client), JSON only, and a per-account lockout after repeated failures that the audit trail records and counts.
import { hkdfSync, randomUUID } from "node:crypto";
import type { TDb } from "@pgrescue/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { z } from "zod";
import {
  BODY_LIMITS,
  BodyTooLargeError,
  readBodyWithin,
  type TFrontRequest,
} from "../http-front.ts";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { resolveTokenActor } from "./tokens.ts";

/**
 * A console session lasts a working night from the moment of sign-in, however busy the night: it is never renewed,
 * so a stolen cookie stops working at the latest this long after its sign-in.
 */
export const SESSION_TTL_SEC = 12 * 60 * 60;
/** Failed password attempts (sign-ins and password changes) for one account before it is locked for the rest of the window. */
export const SIGN_IN_LOCKOUT = { failures: 5, windowMs: 15 * 60_000 } as const;
export const PASSWORD_RULES = { min: 12, max: 256 } as const;
const SIGN_IN_TARGET = "SignIn";

export type TAuthOptions = {
  /** the cookie-signing secret, e.g. from {@link deriveAuthSecret} */
  secret: string;
  /** the console's public URL when it is fixed (a reverse proxy, TLS); otherwise the request's own host */
  publicUrl?: string | undefined;
};

/** The cookie-signing secret, derived from the vault key so that one secret protects the console. */
export function deriveAuthSecret(vaultKey: Buffer): string {
  return Buffer.from(
    hkdfSync("sha256", vaultKey, "pgrescue", "better-auth session cookie signing", 32),
  ).toString("base64url");
}

export function createAuth(db: TDb, options: TAuthOptions) {
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
    session: {
      expiresIn: SESSION_TTL_SEC,
      disableSessionRefresh: true,
      cookieCache: { enabled: false },
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      // password sign-ins are counted per address by pgrescue's own sign-in path, before anything is parsed
      customRules: { "/sign-in/email": false },
    },
    advanced: {
      cookiePrefix: "pgrescue",
      useSecureCookies: publicUrl?.protocol === "https:",
      defaultCookieAttributes: { sameSite: "strict", httpOnly: true },
      // handleAuthRequest sets this header to the address the front resolved (and removes any other)
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

/**
 * The signed-in user behind the request's session cookie, or null (none, expired, signed out, disabled, or signed in
 * longer ago than a session lives — also a session renewed before renewals ended).
 */
export async function resolveSessionActor(
  auth: TAuth,
  db: TDb,
  headers: Headers,
  ip?: string,
): Promise<TActor | null> {
  const session = await auth.api.getSession({ headers, query: { disableRefresh: true } });
  if (session === null) return null;
  if (session.session.createdAt.getTime() + SESSION_TTL_SEC * 1000 <= Date.now()) return null;
  const user = await db.user.findUnique({
    where: { id: session.user.id },
    select: { id: true, email: true, role: true, disabledAt: true },
  });
  if (user === null || user.disabledAt !== null) return null;
  return { id: user.id, label: user.email, role: user.role, ip, sessionId: session.session.id };
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
  db: TDb,
  req: { method: string; headers: Headers },
  ip?: string,
): Promise<TActor | null> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) return resolveTokenActor(db, authorization, ip);
  if (!isSameOriginRequest(req)) return null;
  return resolveSessionActor(auth, db, req.headers, ip);
}

function jsonProblem(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, { status, headers: { "cache-control": "no-store" } });
}

function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** The account a password attempt is for: its e-mail, and its user when there is one. */
type TAccountRef = { email: string; userId: string | null };

/**
 * Failed password attempts for the account (sign-ins for its e-mail, wrong current passwords in a password change)
 * since the window opened, or since its last successful sign-in, password change or reset, whichever is later.
 */
export async function countRecentFailures(
  db: TDb,
  account: TAccountRef,
  now = new Date(),
): Promise<number> {
  const windowStart = new Date(now.getTime() - SIGN_IN_LOCKOUT.windowMs);
  const lastSuccess = await db.auditEvent.findFirst({
    where: {
      at: { gte: windowStart },
      OR: [
        { action: "auth.sign-in", targetType: SIGN_IN_TARGET, targetId: account.email },
        ...(account.userId === null
          ? []
          : [
              {
                action: { in: ["user.password.change", "user.password.reset"] },
                targetType: "User",
                targetId: account.userId,
              },
            ]),
      ],
    },
    orderBy: { at: "desc" },
    select: { at: true },
  });
  return db.auditEvent.count({
    where: {
      at: { gte: lastSuccess?.at ?? windowStart },
      OR: [
        { action: "auth.sign-in.failed", targetType: SIGN_IN_TARGET, targetId: account.email },
        ...(account.userId === null
          ? []
          : [
              {
                action: "user.password.change-failed",
                targetType: "User",
                targetId: account.userId,
              },
            ]),
      ],
    },
  });
}

/** Whether the account is locked now (five failed attempts in the window); its sign-ins and password changes wait. */
export async function isAccountLocked(db: TDb, account: TAccountRef): Promise<boolean> {
  return (await countRecentFailures(db, account)) >= SIGN_IN_LOCKOUT.failures;
}

export const LOCKED_MESSAGE = (email: string) =>
  `too many failed password attempts for ${email}: try again in ${String(SIGN_IN_LOCKOUT.windowMs / 60_000)} minutes, or ask an admin to reset the password`;

/** The bucket an address counts in: an IPv6 client usually holds a whole /64, so the /64 is the bucket. */
function addressBucket(address: string | undefined): string {
  if (address === undefined) return "unknown";
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::")
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * Counts one password sign-in attempt for the client's address in the store (shared by every console process) and
 * says whether it is within the limit per minute. The window opens with the first attempt and lasts a minute.
 */
async function consumeSignInAllowance(
  db: TDb,
  address: string | undefined,
  perMinute: number,
): Promise<{ allowed: boolean; firstRefusal: boolean }> {
  const now = BigInt(Date.now());
  const windowStart = now - 60_000n;
  const key = `pgrescue:sign-in|${addressBucket(address)}`;
  const rows = await db.$queryRaw<{ count: number }[]>`
    INSERT INTO "RateLimit" ("id", "key", "count", "lastRequest")
    VALUES (${randomUUID()}, ${key}, 1, ${now})
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "RateLimit"."lastRequest" <= ${windowStart} THEN 1 ELSE "RateLimit"."count" + 1 END,
      "lastRequest" = CASE WHEN "RateLimit"."lastRequest" <= ${windowStart} THEN ${now} ELSE "RateLimit"."lastRequest" END
    RETURNING "count"`;
  const count = rows[0]?.count ?? 1;
  return { allowed: count <= perMinute, firstRefusal: count === perMinute + 1 };
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** What a sign-in carries; anything else in the body (callbackURL, rememberMe…) is dropped, never passed on. */
const ZSignInBody = z.object({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

/** The request better-auth gets: the client address the front resolved (or none), and optionally a new JSON body. */
function forBetterAuth(req: Request, front: TFrontRequest, json?: unknown): Request {
  const headers = new Headers(req.headers);
  if (front.clientAddress === undefined) headers.delete("x-forwarded-for");
  else headers.set("x-forwarded-for", front.clientAddress);
  if (json === undefined) return new Request(req.url, { method: req.method, headers });
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  return new Request(req.url, { method: req.method, headers, body: JSON.stringify(json) });
}

export type TSignInOptions = { signInPerMinute: number };

/**
 * The one path of a password sign-in, whatever the request looks like: the per-address limit counts every attempt
 * first; only a JSON body within the size limit is read (anything else is refused and audited, and never reaches
 * better-auth); the account's lockout is checked; better-auth then sees exactly the e-mail and password that were
 * checked; successes and failures are audited.
 */
async function signIn(
  auth: TAuth,
  db: TDb,
  req: Request,
  front: TFrontRequest,
  options: TSignInOptions,
): Promise<Response> {
  const ip = front.clientAddress;
  const refused = async (label: string, reason: string, details: Record<string, unknown> = {}) =>
    recordAudit(
      db,
      { id: null, label, ip },
      {
        action: "auth.sign-in.refused",
        targetType: SIGN_IN_TARGET,
        targetId: label,
        details: { reason, ...details },
      },
    );

  const allowance = await consumeSignInAllowance(db, ip, options.signInPerMinute);
  if (!allowance.allowed) {
    // once per address and window: a flood of refused attempts does not flood the trail
    if (allowance.firstRefusal)
      await recordAudit(
        db,
        { id: null, label: ip ?? "unknown address", ip },
        { action: "auth.sign-in.rate-limited", targetType: "Address", targetId: ip ?? "unknown" },
      );
    return jsonProblem(
      429,
      "TOO_MANY_REQUESTS",
      "too many sign-in attempts from this address: wait a minute",
    );
  }
  const type = mediaType(req.headers.get("content-type"));
  if (type !== "application/json") {
    await refused("unknown", "content type", { contentType: type.slice(0, 100) });
    return jsonProblem(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      "send the sign-in as application/json: {email, password}",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      await readBodyWithin(req, BODY_LIMITS.auth),
    );
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      await refused("unknown", "body too large");
      return jsonProblem(
        413,
        "PAYLOAD_TOO_LARGE",
        `a sign-in carries at most ${String(BODY_LIMITS.auth)} bytes`,
      );
    }
    await refused("unknown", "malformed body");
    return jsonProblem(400, "BAD_REQUEST", "the sign-in is not UTF-8 JSON: {email, password}");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = ZSignInBody.safeParse(json);
  if (!parsed.success) {
    await refused("unknown", "malformed body");
    return jsonProblem(400, "BAD_REQUEST", "a sign-in is JSON: {email, password} as strings");
  }
  const email = normalizeEmail(parsed.data.email);
  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, role: true },
  });
  const anonymous = { id: null, label: email, ip };
  if (await isAccountLocked(db, { email, userId: user?.id ?? null })) {
    await recordAudit(db, anonymous, {
      action: "auth.sign-in.locked",
      targetType: SIGN_IN_TARGET,
      targetId: email,
    });
    return jsonProblem(429, "ACCOUNT_LOCKED", LOCKED_MESSAGE(email));
  }
  const response = await auth.handler(
    forBetterAuth(req, front, { email, password: parsed.data.password }),
  );
  if (response.ok && user !== null) {
    await recordAudit(
      db,
      { id: user.id, label: user.email, role: user.role, ip },
      { action: "auth.sign-in", targetType: SIGN_IN_TARGET, targetId: email },
    );
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

/** Served over https: every cookie the console sets is Secure, whatever better-auth was configured with. */
function secureCookies(response: Response, https: boolean): Response {
  const cookies = response.headers.getSetCookie();
  if (!https || cookies.length === 0) return response;
  const headers = new Headers(response.headers);
  headers.delete("set-cookie");
  for (const cookie of cookies)
    headers.append("set-cookie", /;\s*secure\s*(;|$)/i.test(cookie) ? cookie : `${cookie}; Secure`);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

const AUTH_ENDPOINTS = new Set(["POST /sign-in/email", "POST /sign-out", "GET /get-session"]);

/**
 * Every request under /api/auth: only the endpoints pgrescue uses, from the console's own origin; password
 * sign-in goes through its one path (per-address limit, JSON only, lockout, audit), sign-out is audited. `front`
 * is what the front resolved about the request: the client's address (never a header the client chose) and https.
 */
export async function handleAuthRequest(
  auth: TAuth,
  db: TDb,
  req: Request,
  front: TFrontRequest,
  options: TSignInOptions = { signInPerMinute: 10 },
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
  if (endpoint === "POST /sign-in/email")
    return secureCookies(await signIn(auth, db, req, front, options), front.https);
  if (endpoint === "POST /sign-out") {
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await readBodyWithin(req, BODY_LIMITS.auth);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return jsonProblem(413, "PAYLOAD_TOO_LARGE", error.message);
      throw error;
    }
    const actor = await resolveSessionActor(auth, db, req.headers, front.clientAddress);
    const forwarded = forBetterAuth(req, front);
    const response = await auth.handler(
      new Request(forwarded, { body: body.byteLength === 0 ? null : body }),
    );
    if (actor !== null && response.ok)
      await recordAudit(db, actor, {
        action: "auth.sign-out",
        targetType: "User",
        targetId: actor.id,
      });
    return secureCookies(response, front.https);
  }
  return secureCookies(await auth.handler(forBetterAuth(req, front)), front.https);
}
