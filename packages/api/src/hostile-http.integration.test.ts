// The hostile-input suite over real HTTP (issue 14): what an attacker with a copy of the console tried, each with
// variants — sign-ins in every content type against a locked account, client addresses chosen by the client, bodies
// of hundreds of megabytes, headers a proxy would set, sessions and tokens that outlive a password, tokens made for
// somebody else — against the console's front and its auth and tRPC handling, over a real store.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_TTL_SEC, SIGN_IN_LOCKOUT } from "./services/auth.ts";
import { startTestServer, type TTestServer } from "./testing.ts";

type THttp = { url: string; close(): Promise<void> };
type TBody = NonNullable<RequestInit["body"]>;

let server: TTestServer;
/** The console as it is served by default: no proxy trusted, the client is the socket's peer. */
let direct: THttp;
/** Behind a reverse proxy at 127.0.0.1 (PGRESCUE_TRUSTED_PROXIES=127.0.0.1): this test plays the proxy. */
let proxied: THttp;
let proxyAddress = 0;

beforeAll(async () => {
  server = await startTestServer();
  direct = await server.serveHttp();
  proxied = await server.serveHttp({ trustedProxies: "127.0.0.1" });
}, 120_000);

afterAll(async () => {
  await direct.close();
  await proxied.close();
  await server.close();
});

/** A client address of its own for each proxied test, so that one test's per-address limit does not reach another. */
function nextClient(): string {
  proxyAddress += 1;
  return `203.0.113.${String(proxyAddress)}`;
}

function strongPassword(): string {
  return `night shift ${randomBytes(6).toString("base64url")} pager`;
}

async function newUser(role: "VIEWER" | "OPERATOR" | "APPROVER" | "ADMIN" = "OPERATOR") {
  const { caller } = await server.callerAs("ADMIN");
  const email = `hostile-http-${randomBytes(4).toString("hex")}@example.com`;
  const password = strongPassword();
  const { id } = await caller.users.create({ email, name: "Night DBA", role, password });
  return { id, email, password, admin: caller };
}

async function post(
  http: THttp,
  path: string,
  body: TBody | null,
  headers: Record<string, string>,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${http.url}${path}`, {
    method: "POST",
    headers: { origin: http.url, ...headers },
    body,
    ...init,
  });
}

async function signInJson(http: THttp, email: string, password: string, headers = {}) {
  return post(http, "/api/auth/sign-in/email", JSON.stringify({ email, password }), {
    "content-type": "application/json",
    ...headers,
  });
}

function sessionCookie(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith("pgrescue.session_token=") && !/Max-Age=0/i.test(cookie));
}

function cookieHeader(cookie: string): string {
  return cookie.split(";")[0] ?? "";
}

async function me(http: THttp, auth: { cookie?: string; token?: string }): Promise<number> {
  const response = await fetch(`${http.url}/api/trpc/users.me`, {
    headers: {
      origin: http.url,
      ...(auth.cookie === undefined ? {} : { cookie: cookieHeader(auth.cookie) }),
      ...(auth.token === undefined ? {} : { authorization: `Bearer ${auth.token}` }),
    },
  });
  return response.status;
}

async function trpcMutation(http: THttp, path: string, cookie: string, input: unknown) {
  return post(http, `/api/trpc/${path}`, JSON.stringify({ json: input }), {
    "content-type": "application/json",
    cookie: cookieHeader(cookie),
  });
}

async function auditCount(where: { action: string; targetId?: string }): Promise<number> {
  return server.store.db.auditEvent.count({ where });
}

/** The per-address sign-in count of 127.0.0.1 (every direct request) starts again: the tests share one store. */
async function resetDirectLimit(): Promise<void> {
  await server.store.db.rateLimit.deleteMany({ where: { key: "pgrescue:sign-in|127.0.0.1" } });
}

/** Locks the account: the lockout's number of failed sign-ins, from different addresses (the lock is per account). */
async function lockAccount(email: string): Promise<void> {
  for (let i = 0; i < SIGN_IN_LOCKOUT.failures; i += 1) {
    const response = await signInJson(proxied, email, `wrong guess ${String(i)} here`, {
      "x-forwarded-for": nextClient(),
    });
    expect(response.status).toBe(401);
  }
}

// ---------------------------------------------------------------------------------------------

describe("one sign-in path, whatever the request looks like", () => {
  /** Every way of carrying an e-mail and password that is not a JSON body. */
  const NON_JSON: readonly [string, (email: string, password: string) => [TBody, string?]][] = [
    [
      "urlencoded",
      (email, password) => [
        new URLSearchParams({ email, password }).toString(),
        "application/x-www-form-urlencoded",
      ],
    ],
    [
      "urlencoded with charset",
      (email, password) => [
        new URLSearchParams({ email, password }).toString(),
        "application/x-www-form-urlencoded; charset=UTF-8",
      ],
    ],
    [
      "multipart",
      (email, password) => {
        const form = new FormData();
        form.set("email", email);
        form.set("password", password);
        return [form];
      },
    ],
    ["text/plain JSON", (email, password) => [JSON.stringify({ email, password }), "text/plain"]],
    [
      "json-patch media type",
      (email, password) => [JSON.stringify({ email, password }), "application/json-patch+json"],
    ],
    ["no content type", (email, password) => [JSON.stringify({ email, password }), ""]],
  ];

  it.each(NON_JSON)(
    "%s: refused with 415 and audited, even with the right password of an unlocked account",
    async (_name, build) => {
      const { email, password } = await newUser();
      const [body, type] = build(email, password);
      const before = await auditCount({ action: "auth.sign-in.refused" });
      const response = await post(proxied, "/api/auth/sign-in/email", body, {
        "x-forwarded-for": nextClient(),
        ...(type === undefined ? {} : { "content-type": type }),
      });
      expect(response.status).toBe(415);
      expect(sessionCookie(response)).toBeUndefined();
      expect(await auditCount({ action: "auth.sign-in.refused" })).toBe(before + 1);
      expect(await auditCount({ action: "auth.sign-in", targetId: email })).toBe(0);
    },
  );

  it("a locked account stays locked for every content type, and JSON spelled differently is still JSON", async () => {
    const { email, password } = await newUser();
    await lockAccount(email);
    for (const [name, build] of NON_JSON) {
      const [body, type] = build(email, password);
      const response = await post(proxied, "/api/auth/sign-in/email", body, {
        "x-forwarded-for": nextClient(),
        ...(type === undefined ? {} : { "content-type": type }),
      });
      expect(response.status, name).toBe(415);
      expect(sessionCookie(response), name).toBeUndefined();
    }
    for (const type of ["application/json", "Application/JSON ; charset=utf-8"]) {
      const response = await post(
        proxied,
        "/api/auth/sign-in/email",
        JSON.stringify({ email: ` ${email.toUpperCase()} `, password, callbackURL: "//evil" }),
        { "content-type": type, "x-forwarded-for": nextClient() },
      );
      expect(response.status, type).toBe(429);
      expect(((await response.json()) as { code: string }).code).toBe("ACCOUNT_LOCKED");
      expect(sessionCookie(response)).toBeUndefined();
    }
    expect(await auditCount({ action: "auth.sign-in.locked", targetId: email })).toBe(2);
    expect(await auditCount({ action: "auth.sign-in", targetId: email })).toBe(0);
  });

  it("a malformed JSON sign-in never reaches the password check and is audited", async () => {
    const { email, password } = await newUser();
    const bodies = [
      JSON.stringify({ email: [email], password }),
      JSON.stringify({ email, password: [password] }),
      JSON.stringify({ email }),
      `{"email": "${email}", "password": "${password}"`,
      "\uFEFF" + JSON.stringify({ email, password }).slice(1),
      "null",
    ];
    const before = await auditCount({ action: "auth.sign-in.refused" });
    for (const body of bodies) {
      const response = await post(proxied, "/api/auth/sign-in/email", body, {
        "content-type": "application/json",
        "x-forwarded-for": nextClient(),
      });
      expect(response.status, body).toBe(400);
      expect(sessionCookie(response)).toBeUndefined();
    }
    expect(await auditCount({ action: "auth.sign-in.refused" })).toBe(before + bodies.length);
  });
});

describe("the client's address comes from the socket, or from a trusted proxy", () => {
  /** Headers a client sends to look like somebody else. */
  const SPOOFS: readonly ((i: number) => Record<string, string>)[] = [
    (i) => ({ "x-forwarded-for": `198.51.100.${String(i)}` }),
    (i) => ({ "x-forwarded-for": `198.51.100.${String(i)}, 127.0.0.1` }),
    (i) => ({ "x-forwarded-for": `2001:db8::${i.toString(16)}` }),
    (i) => ({ "x-real-ip": `198.51.100.${String(i)}` }),
    (i) => ({ forwarded: `for=198.51.100.${String(i)}` }),
  ];

  it.each(SPOOFS.map((spoof, index) => [index, spoof] as const))(
    "spoof %i: a new forwarded address per attempt is still one address, limited to 10 a minute",
    async (_index, spoof) => {
      const http = await server.serveHttp();
      await resetDirectLimit();
      try {
        const statuses: number[] = [];
        for (let i = 1; i <= 12; i += 1) {
          const response = await signInJson(
            http,
            `nobody-${String(i)}@example.com`,
            "a wrong password",
            spoof(i),
          );
          statuses.push(response.status);
        }
        expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
        expect(statuses.slice(10)).toEqual([429, 429]);
      } finally {
        await http.close();
      }
    },
  );

  it("audits the socket's address, never the one the client wrote", async () => {
    const http = await server.serveHttp();
    await resetDirectLimit();
    try {
      const email = `spoofed-${randomBytes(3).toString("hex")}@example.com`;
      await signInJson(http, email, "a wrong password", { "x-forwarded-for": "198.51.100.99" });
      const event = await server.store.db.auditEvent.findFirstOrThrow({
        where: { action: "auth.sign-in.failed", targetId: email },
        select: { ip: true },
      });
      expect(event.ip).toBe("127.0.0.1");
    } finally {
      await http.close();
    }
  });

  it("behind a trusted proxy, the hop the proxy appended is the client; what the client prepended is not", async () => {
    const email = `proxied-${randomBytes(3).toString("hex")}@example.com`;
    await signInJson(proxied, email, "a wrong password", {
      "x-forwarded-for": "192.0.2.66, 198.51.100.42",
    });
    const event = await server.store.db.auditEvent.findFirstOrThrow({
      where: { action: "auth.sign-in.failed", targetId: email },
      select: { ip: true },
    });
    expect(event.ip).toBe("198.51.100.42");
  });

  it("X-Forwarded-Host from a client that is not a trusted proxy does not make another origin the console's", async () => {
    const { email, password } = await newUser();
    const response = await post(
      direct,
      "/api/auth/sign-in/email",
      JSON.stringify({ email, password }),
      {
        "content-type": "application/json",
        origin: "http://evil.example",
        "x-forwarded-host": "evil.example",
      },
    );
    expect(response.status).toBe(403);
    expect(sessionCookie(response)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

/** Sends only a request head (and `bodyBytes` bytes of body) over a raw socket and returns the status line. */
async function sendHeadOnly(
  url: string,
  head: string[],
  bodyBytes = 0,
): Promise<{ status: string; response: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head.join("\r\n")}\r\n\r\n`);
      if (bodyBytes > 0) socket.write(Buffer.alloc(bodyBytes, 0x61));
    });
    let response = "";
    socket.on("data", (data: Buffer) => {
      response += data.toString("latin1");
      if (response.includes("\r\n\r\n") && /\r\n\r\n[\s\S]*\}/.test(response)) {
        socket.destroy();
        resolve({ status: response.split("\r\n")[0] ?? "", response });
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      resolve({ status: response.split("\r\n")[0] ?? "", response });
    });
  });
}

describe("request bodies above a small limit are refused before they are read", () => {
  const HUGE = String(300 * 1024 * 1024);
  it.each([
    ["sign-in", "/api/auth/sign-in/email"],
    ["setup.complete", "/api/trpc/setup.complete"],
    ["any tRPC mutation", "/api/trpc/hosts.add"],
    ["a page", "/sign-in"],
  ])("%s: a declared 300 MiB body is answered 413 with only its head sent", async (_name, path) => {
    const { host } = new URL(direct.url);
    const { status, response } = await sendHeadOnly(direct.url, [
      `POST ${path} HTTP/1.1`,
      `Host: ${host}`,
      `Origin: ${direct.url}`,
      "Content-Type: application/json",
      `Content-Length: ${HUGE}`,
    ]);
    expect(status).toBe("HTTP/1.1 413 Payload Too Large");
    expect(response.toLowerCase()).toContain("x-frame-options: deny");
  });

  it.each([
    ["sign-in", "/api/auth/sign-in/email"],
    ["setup.complete", "/api/trpc/setup.complete"],
  ])("%s: a body without a declared length is refused (411)", async (_name, path) => {
    const response = await post(
      direct,
      path,
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"email":"'));
          controller.close();
        },
      }),
      { "content-type": "application/json" },
      { duplex: "half" },
    );
    expect(response.status).toBe(411);
  });

  it("a sign-in just over its limit is refused, one within it is read", async () => {
    const { email, password } = await newUser();
    const padded = JSON.stringify({ email, password, pad: "x".repeat(17 * 1024) });
    expect(
      (
        await post(proxied, "/api/auth/sign-in/email", padded, {
          "content-type": "application/json",
          "x-forwarded-for": nextClient(),
        })
      ).status,
    ).toBe(413);
    const fits = JSON.stringify({ email, password, pad: "x".repeat(8 * 1024) });
    const response = await post(proxied, "/api/auth/sign-in/email", fits, {
      "content-type": "application/json",
      "x-forwarded-for": nextClient(),
    });
    expect(response.status).toBe(200);
  });

  it("a tRPC input over its limit is refused; the largest legitimate one (a 64 KiB key) fits", async () => {
    const tooLarge = JSON.stringify({ json: { token: "x".repeat(300 * 1024) } });
    expect(
      (
        await post(direct, "/api/trpc/setup.complete", tooLarge, {
          "content-type": "application/json",
        })
      ).status,
    ).toBe(413);
    const keySized = JSON.stringify({
      json: {
        token: "a".repeat(43),
        email: "root@example.com",
        name: "R",
        password: "k".repeat(65_536),
      },
    });
    const response = await post(direct, "/api/trpc/setup.complete", keySized, {
      "content-type": "application/json",
    });
    // read and judged by the procedure: the password is too long, not the body
    expect(response.status).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------

describe("security headers on every response", () => {
  const EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };

  it.each([
    ["GET", "/api/trpc/system.health"],
    ["GET", "/api/trpc/users.me"],
    ["GET", "/api/auth/get-session"],
    ["POST", "/api/auth/sign-out"],
    ["GET", "/api/auth/no-such-endpoint"],
    ["GET", "/nothing-here"],
  ])("%s %s", async (method, path) => {
    const response = await fetch(`${direct.url}${path}`, {
      method,
      headers: {
        origin: direct.url,
        // a client's own policy (with a nonce it chose) is not the console's
        "content-security-policy": "script-src 'nonce-attacker'",
      },
      ...(method === "POST" ? { body: "{}" } : {}),
    });
    for (const [name, value] of Object.entries(EXPECTED))
      expect(response.headers.get(name), name).toBe(value);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}'/);
    expect(csp).not.toContain("attacker");
  });

  it("a fresh nonce for every response", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const response = await fetch(`${direct.url}/api/trpc/system.health`);
      nonces.add(
        /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1] ?? "",
      );
    }
    expect(nonces.size).toBe(5);
  });

  it("session cookies are Secure when a trusted proxy serves the console over https, and only then", async () => {
    const { email, password } = await newUser();
    const overHttps = await signInJson(proxied, email, password, {
      "x-forwarded-for": nextClient(),
      "x-forwarded-proto": "https",
    });
    expect(overHttps.status).toBe(200);
    expect(sessionCookie(overHttps)).toMatch(/;\s*Secure/i);
    expect(overHttps.headers.get("strict-transport-security")).toMatch(/max-age=/);
    // a client that is not the proxy cannot claim https (nor turn Secure off: plain http has none to turn off)
    await resetDirectLimit();
    const claimed = await signInJson(direct, email, password, { "x-forwarded-proto": "https" });
    expect(claimed.status).toBe(200);
    expect(sessionCookie(claimed)).not.toMatch(/;\s*Secure/i);
    expect(claimed.headers.get("strict-transport-security")).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe("a password change ends everything else; sessions have an absolute lifetime", () => {
  it("a change ends the user's other sessions and revokes their tokens, and keeps the session it came from", async () => {
    const user = await newUser();
    const here = sessionCookie(
      await signInJson(proxied, user.email, user.password, { "x-forwarded-for": nextClient() }),
    );
    const elsewhere = sessionCookie(
      await signInJson(proxied, user.email, user.password, { "x-forwarded-for": nextClient() }),
    );
    if (here === undefined || elsewhere === undefined) throw new Error("no session cookie");
    const created = await trpcMutation(proxied, "tokens.create", here, { name: "laptop" });
    expect(created.status).toBe(200);
    const token = ((await created.json()) as { result: { data: { json: { token: string } } } })
      .result.data.json.token;
    expect(await me(proxied, { token })).toBe(200);
    expect(await me(proxied, { cookie: elsewhere })).toBe(200);

    const changed = await trpcMutation(proxied, "users.changePassword", here, {
      currentPassword: user.password,
      newPassword: strongPassword(),
    });
    expect(changed.status).toBe(200);
    expect(await me(proxied, { cookie: here })).toBe(200);
    expect(await me(proxied, { cookie: elsewhere })).toBe(401);
    expect(await me(proxied, { token })).toBe(401);
    const event = await server.store.db.auditEvent.findFirstOrThrow({
      where: { action: "user.password.change", targetId: user.id },
      select: { details: true },
    });
    expect(event.details).toEqual({ sessionsEnded: 1, tokensRevoked: 1 });
  });

  it("an admin's reset revokes the user's tokens too", async () => {
    const user = await newUser();
    const cookie = sessionCookie(
      await signInJson(proxied, user.email, user.password, { "x-forwarded-for": nextClient() }),
    );
    if (cookie === undefined) throw new Error("no session cookie");
    const created = await trpcMutation(proxied, "tokens.create", cookie, { name: "script" });
    const token = ((await created.json()) as { result: { data: { json: { token: string } } } })
      .result.data.json.token;
    expect(await me(proxied, { token })).toBe(200);
    await user.admin.users.resetPassword({ userId: user.id, password: strongPassword() });
    expect(await me(proxied, { token })).toBe(401);
    expect(await me(proxied, { cookie })).toBe(401);
  });

  it("a session ends its lifetime after its sign-in, however recently it was used", async () => {
    const user = await newUser();
    const cookie = sessionCookie(
      await signInJson(proxied, user.email, user.password, { "x-forwarded-for": nextClient() }),
    );
    if (cookie === undefined) throw new Error("no session cookie");
    const session = await server.store.db.session.findFirstOrThrow({
      where: { userId: user.id },
      select: { id: true, expiresAt: true },
    });
    // used two hours after sign-in: a renewing session would now move its end; this one does not
    const twoHours = 2 * 3_600_000;
    await server.store.db.session.update({
      where: { id: session.id },
      data: {
        createdAt: new Date(Date.now() - twoHours),
        updatedAt: new Date(Date.now() - twoHours),
        expiresAt: new Date(session.expiresAt.getTime() - twoHours),
      },
    });
    const before = await server.store.db.session.findUniqueOrThrow({
      where: { id: session.id },
      select: { expiresAt: true },
    });
    expect(await me(proxied, { cookie })).toBe(200);
    const get = await fetch(`${proxied.url}/api/auth/get-session`, {
      headers: { cookie: cookieHeader(cookie) },
    });
    expect(get.status).toBe(200);
    const after = await server.store.db.session.findUniqueOrThrow({
      where: { id: session.id },
      select: { expiresAt: true },
    });
    expect(after.expiresAt).toEqual(before.expiresAt);
    // a session renewed before renewals ended (its end still ahead) is over once its lifetime since sign-in is
    await server.store.db.session.update({
      where: { id: session.id },
      data: {
        createdAt: new Date(Date.now() - (SESSION_TTL_SEC + 60) * 1000),
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    expect(await me(proxied, { cookie })).toBe(401);
  });
});

describe("tokens only for oneself", () => {
  it("an admin cannot create a token for somebody else (or act as them), and the attempt is audited", async () => {
    const victim = await newUser("APPROVER");
    const { caller: admin, actor } = await server.callerAs("ADMIN");
    if (actor === null) throw new Error("no admin");
    await expect(admin.tokens.create({ userId: victim.id, name: "impersonation" })).rejects.toThrow(
      /API tokens are personal/,
    );
    expect(await server.store.db.apiToken.count({ where: { userId: victim.id } })).toBe(0);
    expect(await auditCount({ action: "token.create-refused", targetId: victim.id })).toBe(1);
    const own = await admin.tokens.create({ userId: actor.id, name: "mine" });
    expect(own.token).toMatch(/^pgr_/);
  });
});

describe("password guesses through a password change", () => {
  it("are audited and share the account's lockout with sign-ins", async () => {
    const user = await newUser();
    const cookie = sessionCookie(
      await signInJson(proxied, user.email, user.password, { "x-forwarded-for": nextClient() }),
    );
    if (cookie === undefined) throw new Error("no session cookie");
    for (let i = 0; i < SIGN_IN_LOCKOUT.failures; i += 1) {
      const wrong = await trpcMutation(proxied, "users.changePassword", cookie, {
        currentPassword: `guess number ${String(i)}`,
        newPassword: strongPassword(),
      });
      expect(wrong.status).toBe(400);
    }
    expect(await auditCount({ action: "user.password.change-failed", targetId: user.id })).toBe(
      SIGN_IN_LOCKOUT.failures,
    );
    const locked = await trpcMutation(proxied, "users.changePassword", cookie, {
      currentPassword: user.password,
      newPassword: strongPassword(),
    });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("too many failed password attempts");
    const signIn = await signInJson(proxied, user.email, user.password, {
      "x-forwarded-for": nextClient(),
    });
    expect(signIn.status).toBe(429);
    // the password did not change
    const { password } = await server.store.db.account.findFirstOrThrow({
      where: { userId: user.id },
      select: { password: true },
    });
    expect(password).not.toBeNull();
  });
});

describe("weak passwords are refused wherever a password is set", () => {
  it.each(["aaaaaaaaaaaa", "password1234", "qwertyuiop123", "EMAIL", "EMAIL!!", "Password123!"])(
    "%s",
    async (template) => {
      const { caller } = await server.callerAs("ADMIN");
      const email = `weak-${randomBytes(3).toString("hex")}@example.com`;
      const password = template.replace("EMAIL", email);
      await expect(
        caller.users.create({ email, name: "Night DBA", role: "VIEWER", password }),
      ).rejects.toThrow(/too easy to guess|cannot contain your e-mail/);
      const user = await newUser();
      await expect(
        caller.users.resetPassword({
          userId: user.id,
          password: template.replace("EMAIL", user.email),
        }),
      ).rejects.toThrow(/too easy to guess|cannot contain your e-mail/);
    },
  );
});
