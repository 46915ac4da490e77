// Sign-in over real HTTP against a real store: the one-time setup link, password sign-in with its cookie, the
// origin check on cookie-carrying mutations, the account lockout, per-IP rate limits, disabling, sign-out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../testing.ts";
import { SIGN_IN_LOCKOUT } from "./auth.ts";
import { issueSetupToken } from "./users.ts";

let server: TTestServer;
let http: { url: string; close(): Promise<void> };
let ipCounter = 0;

beforeAll(async () => {
  server = await startTestServer();
  // this test plays the reverse proxy at 127.0.0.1 that says which address each attempt comes from
  http = await server.serveHttp({ trustedProxies: "127.0.0.1" });
}, 120_000);

afterAll(async () => {
  await http.close();
  await server.close();
});

/** Each test signs in from its own address, so the per-IP rate limit of one test does not reach another. */
function freshIp(): string {
  ipCounter += 1;
  return `198.51.100.${String(ipCounter)}`;
}

async function signIn(email: string, password: string, ip: string, origin = http.url) {
  return fetch(`${http.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin, "x-forwarded-for": ip },
    body: JSON.stringify({ email, password }),
  });
}

function sessionCookie(response: Response): string {
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith("pgrescue.session_token="));
  if (cookie === undefined)
    throw new Error(`no session cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return cookie;
}

async function trpcMe(cookie: string, origin: string | null = http.url) {
  return fetch(`${http.url}/api/trpc/users.me`, {
    headers: { cookie: cookie.split(";")[0] ?? "", ...(origin === null ? {} : { origin }) },
  });
}

async function trpcMutation(path: string, cookie: string, input: unknown, origin: string | null) {
  return fetch(`${http.url}/api/trpc/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      cookie: cookie.split(";")[0] ?? "",
      ...(origin === null ? {} : { origin }),
    },
    body: JSON.stringify({ json: input }),
  });
}

async function newUser(role: "VIEWER" | "OPERATOR" | "APPROVER" | "ADMIN", password: string) {
  const { caller } = await server.callerAs("ADMIN");
  const email = `${role.toLowerCase()}-${String(Date.now())}-${String(Math.random()).slice(2, 8)}@example.com`;
  const { id } = await caller.users.create({ email, name: "Night DBA", role, password });
  return { id, email, caller };
}

describe("the first admin", () => {
  it("is created once through the setup link, whose token is then used up", async () => {
    const db = server.store.db;
    // the test store is shared with other files: only meaningful on an empty store
    if ((await db.user.count()) > 0) {
      expect(await issueSetupToken(db)).toBeNull();
      return;
    }
    const token = await issueSetupToken(db);
    if (token === null) throw new Error("expected a setup token on an empty store");
    const stored = await db.verification.findMany({ select: { value: true } });
    expect(stored.map((v) => v.value)).not.toContain(token);
    const { caller } = await server.callerAs(null);
    expect(await caller.setup.status()).toEqual({ needsFirstAdmin: true });
    await expect(
      caller.setup.complete({
        token: "x".repeat(43),
        email: "root@example.com",
        name: "Root",
        password: "correct horse battery",
      }),
    ).rejects.toThrow(/setup link is not valid/);
    await caller.setup.complete({
      token,
      email: "Root@Example.com",
      name: "Root",
      password: "correct horse battery",
    });
    expect(await caller.setup.status()).toEqual({ needsFirstAdmin: false });
    await expect(
      caller.setup.complete({
        token,
        email: "second@example.com",
        name: "Second",
        password: "correct horse battery",
      }),
    ).rejects.toThrow(/has its first admin already/);
    const response = await signIn("root@example.com", "correct horse battery", freshIp());
    expect(response.status).toBe(200);
  });
});

describe("password sign-in", () => {
  it("sets an httpOnly SameSite=Strict session cookie backed by a session row, and stores only a scrypt hash", async () => {
    const password = "a long enough passphrase";
    const { id, email } = await newUser("OPERATOR", password);
    const response = await signIn(email, password, freshIp());
    expect(response.status, await response.clone().text()).toBe(200);
    const cookie = sessionCookie(response);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const me = await trpcMe(cookie);
    expect(me.status).toBe(200);
    expect(JSON.stringify(await me.json())).toContain(email);
    expect(await server.store.db.session.count({ where: { userId: id } })).toBe(1);
    const account = await server.store.db.account.findFirstOrThrow({
      where: { userId: id },
      select: { password: true, providerId: true },
    });
    expect(account.providerId).toBe("credential");
    expect(account.password).not.toContain(password);
    // better-auth's scrypt: hex salt and hex key
    expect(account.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
  });

  it("answers a wrong password and an unknown account the same way, and audits both", async () => {
    const { email } = await newUser("VIEWER", "the right password!");
    const ip = freshIp();
    const wrong = await signIn(email, "not the password at all", ip);
    const unknown = await signIn("nobody@example.com", "not the password at all", ip);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    const failed = await server.store.db.auditEvent.count({
      where: { action: "auth.sign-in.failed", targetId: { in: [email, "nobody@example.com"] } },
    });
    expect(failed).toBe(2);
  });

  it("offers only sign-in, sign-out and the session: better-auth's other endpoints are not reachable", async () => {
    const password = "a passphrase to keep";
    const { email } = await newUser("VIEWER", password);
    const cookie = sessionCookie(await signIn(email, password, freshIp()));
    for (const [path, body] of [
      ["change-password", { currentPassword: password, newPassword: "changed behind the audit" }],
      ["update-user", { name: "renamed" }],
      ["sign-up/email", { email: "new@example.com", password: "a new account!!", name: "x" }],
      ["revoke-sessions", {}],
    ] as const) {
      const response = await fetch(`${http.url}/api/auth/${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: http.url,
          cookie: cookie.split(";")[0] ?? "",
        },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(404);
    }
    expect((await signIn(email, password, freshIp())).status).toBe(200);
  });

  it("refuses a sign-in posted from another origin", async () => {
    const password = "yet another passphrase";
    const { email } = await newUser("VIEWER", password);
    const response = await signIn(email, password, freshIp(), "https://evil.example");
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("locks the account after repeated failures, even for the right password, and records the lock", async () => {
    const password = "the account's password";
    const { email } = await newUser("APPROVER", password);
    // every attempt from a new address: the lock is per account, not per IP
    for (let i = 0; i < SIGN_IN_LOCKOUT.failures; i += 1) {
      expect((await signIn(email, `guess number ${String(i)}!!`, freshIp())).status).toBe(401);
    }
    const locked = await signIn(email, password, freshIp());
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { message: string }).message).toMatch(
      /too many failed password attempts/,
    );
    expect(locked.headers.getSetCookie()).toEqual([]);
    const auditRows = await server.store.db.auditEvent.findMany({
      where: { targetId: email, action: "auth.sign-in.locked" },
      select: { id: true },
    });
    expect(auditRows.length).toBe(1);
  });

  it("limits sign-in attempts per address", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      statuses.push(
        (await signIn(`someone-${String(i)}@example.com`, "whatever password", ip)).status,
      );
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

describe("the session cookie", () => {
  it("authenticates reads, and mutations only from the console's own origin", async () => {
    const password = "cookie monster passphrase";
    const { email } = await newUser("ADMIN", password);
    const cookie = sessionCookie(await signIn(email, password, freshIp()));
    const input = {
      email: `made-${String(Date.now())}@example.com`,
      name: "New",
      role: "VIEWER",
      password: "twelve chars at least",
    };
    const before = await server.store.db.user.count();
    expect((await trpcMutation("users.create", cookie, input, "https://evil.example")).status).toBe(
      401,
    );
    expect((await trpcMutation("users.create", cookie, input, null)).status).toBe(401);
    expect(await server.store.db.user.count()).toBe(before);
    expect((await trpcMutation("users.create", cookie, input, http.url)).status).toBe(200);
    expect(await server.store.db.user.count()).toBe(before + 1);
  });

  it("stops working when the user is disabled, and a disabled user cannot sign in", async () => {
    const password = "soon to be disabled";
    const { id, email, caller } = await newUser("OPERATOR", password);
    const cookie = sessionCookie(await signIn(email, password, freshIp()));
    expect((await trpcMe(cookie)).status).toBe(200);
    await caller.users.setDisabled({ userId: id, disabled: true });
    expect((await trpcMe(cookie)).status).toBe(401);
    expect(await server.store.db.session.count({ where: { userId: id } })).toBe(0);
    const again = await signIn(email, password, freshIp());
    expect(again.status).not.toBe(200);
    expect(
      again.headers
        .getSetCookie()
        .filter((c) => c.startsWith("pgrescue.session_token=") && !/Max-Age=0/.test(c)),
    ).toEqual([]);
  });

  it("ends at sign-out: the session row is gone and the cookie no longer works", async () => {
    const password = "signing out soon";
    const { id, email } = await newUser("VIEWER", password);
    const cookie = sessionCookie(await signIn(email, password, freshIp()));
    const out = await fetch(`${http.url}/api/auth/sign-out`, {
      method: "POST",
      headers: {
        cookie: cookie.split(";")[0] ?? "",
        origin: http.url,
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(out.status).toBe(200);
    expect(await server.store.db.session.count({ where: { userId: id } })).toBe(0);
    expect((await trpcMe(cookie)).status).toBe(401);
    expect(
      await server.store.db.auditEvent.count({ where: { action: "auth.sign-out", actorId: id } }),
    ).toBe(1);
  });
});

describe("user management", () => {
  it("keeps an active admin: the last one cannot be demoted or disabled, nobody disables themselves", async () => {
    const db = server.store.db;
    const admins = await db.user.findMany({
      where: { role: "ADMIN", disabledAt: null },
      select: { id: true },
    });
    const { caller, actor } = await server.callerAs("ADMIN");
    if (actor === null) throw new Error("no actor");
    await expect(caller.users.setDisabled({ userId: actor.id, disabled: true })).rejects.toThrow(
      /cannot disable your own account/,
    );
    // demote every other admin through this one; the last (this one) then cannot go
    for (const admin of admins) await caller.users.setRole({ userId: admin.id, role: "VIEWER" });
    await expect(caller.users.setRole({ userId: actor.id, role: "OPERATOR" })).rejects.toThrow(
      /without an active admin/,
    );
    expect(await db.user.count({ where: { role: "ADMIN", disabledAt: null } })).toBe(1);
    expect(await db.auditEvent.count({ where: { action: "user.role", actorId: actor.id } })).toBe(
      admins.length,
    );
  });

  it("a password reset by an admin ends the user's sessions; a change needs the current password", async () => {
    const password = "the first password";
    const { id, email, caller } = await newUser("OPERATOR", password);
    const cookie = sessionCookie(await signIn(email, password, freshIp()));
    await caller.users.resetPassword({ userId: id, password: "set by the admin now" });
    expect((await trpcMe(cookie)).status).toBe(401);
    expect((await signIn(email, password, freshIp())).status).toBe(401);
    const fresh = sessionCookie(await signIn(email, "set by the admin now", freshIp()));
    const wrong = await trpcMutation(
      "users.changePassword",
      fresh,
      { currentPassword: "not it at all", newPassword: "my very own password" },
      http.url,
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("the current password is not correct");
    const right = await trpcMutation(
      "users.changePassword",
      fresh,
      { currentPassword: "set by the admin now", newPassword: "my very own password" },
      http.url,
    );
    expect(right.status).toBe(200);
    expect((await signIn(email, "my very own password", freshIp())).status).toBe(200);
  });
});
