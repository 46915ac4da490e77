// The console's log as an operator reads it, over the real HTTP handler and a real store: every call has a request
// id, returned in a failure's data; each failure is one log line carrying that id; no credential reaches the log.
import { randomBytes } from "node:crypto";
import { createDb } from "@pgrescue/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { startTestServer, type TTestServer } from "./testing.ts";

type TLogLine = { level: number; msg: string; requestId?: string; [key: string]: unknown };
type TErrorBody = {
  error: {
    json: { message: string; data: { code: string; path?: string; requestId: string | null } };
  };
};

const lines: TLogLine[] = [];
const logger = createLogger({
  level: "info",
  format: "json",
  destination: { write: (line: string) => void lines.push(JSON.parse(line) as TLogLine) },
});

let server: TTestServer;
let http: { url: string; close(): Promise<void> };
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer({ logger });
  http = await server.serveHttp();
  const { caller } = await server.callerAs("ADMIN");
  adminToken = (await caller.tokens.create({ name: "request log test" })).token;
});

afterAll(async () => {
  await http.close();
  await server.close();
});

/** The call, and every log line written while it ran (this test file makes no other calls meanwhile). */
async function call(
  path: string,
  options: { token?: string; input?: unknown; method?: "GET" | "POST" } = {},
): Promise<{ status: number; body: unknown; logged: TLogLine[] }> {
  const before = lines.length;
  const method = options.method ?? "GET";
  const input = JSON.stringify({ json: options.input ?? null });
  const url =
    method === "GET"
      ? `${http.url}/api/trpc/${path}?input=${encodeURIComponent(input)}`
      : `${http.url}/api/trpc/${path}`;
  const response = await fetch(url, {
    method,
    headers: {
      "content-type": "application/json",
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    ...(method === "POST" ? { body: input } : {}),
  });
  const body: unknown = await response.json();
  return { status: response.status, body, logged: lines.slice(before) };
}

describe("request ids and the log", () => {
  it("a refused call: its request id in the error's data and on its one log line", async () => {
    const { status, body, logged } = await call("hosts.list");
    expect(status).toBe(401);
    const { data } = (body as TErrorBody).error.json;
    expect(data.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logged).toEqual([
      expect.objectContaining({
        requestId: data.requestId,
        level: 30,
        msg: "call refused",
        code: "UNAUTHORIZED",
        path: "hosts.list",
      }),
    ]);
  });

  it("each call of a batch has its own request id and its own log line", async () => {
    const { body, logged } = await call("hosts.list,policy.get?batch=1&input=%7B%7D");
    const ids = (body as TErrorBody[]).map((item) => item.error.json.data.requestId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(logged.map((line) => line.requestId).sort()).toEqual([...ids].sort());
  });

  it("a call that names no procedure is logged once, with the id it returns", async () => {
    const { status, body, logged } = await call("nothing.here");
    expect(status).toBe(404);
    const { data } = (body as TErrorBody).error.json;
    expect(data.requestId).not.toBeNull();
    expect(logged).toEqual([
      expect.objectContaining({
        requestId: data.requestId,
        level: 30,
        msg: "call refused",
        code: "NOT_FOUND",
      }),
    ]);
  });

  it("a refused call with a password in its input: the password is in no log line", async () => {
    const password = `pw-${randomBytes(12).toString("hex")}`;
    const { status, body, logged } = await call("hosts.testConnection", {
      method: "POST",
      token: adminToken,
      input: {
        address: "not a host name!",
        port: 22,
        sshUser: "postgres",
        auth: { kind: "password", password },
      },
    });
    expect(status).toBe(400);
    const { data } = (body as TErrorBody).error.json;
    expect(logged).toEqual([expect.objectContaining({ requestId: data.requestId, level: 30 })]);
    expect(JSON.stringify(lines)).not.toContain(password);
  });

  it("an unexpected failure: a generic message quoting the request id, one error line with the cause", async () => {
    // A store that lost a table (renamed by its owner): the kind of failure no service expects.
    const owner = createDb(server.store.ownerUrl);
    await owner.$executeRawUnsafe(`ALTER TABLE "Setting" RENAME TO "SettingGone"`);
    try {
      const { status, body, logged } = await call("policy.get", { token: adminToken });
      expect(status).toBe(500);
      const { message, data } = (body as TErrorBody).error.json;
      expect(data.requestId).not.toBeNull();
      expect(message).toBe(
        `internal error (request ${data.requestId ?? ""}): see the console's log`,
      );
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        requestId: data.requestId,
        level: 50,
        msg: "call failed",
        path: "policy.get",
      });
      expect(JSON.stringify(logged[0])).toContain("Setting");
    } finally {
      await owner.$executeRawUnsafe(`ALTER TABLE "SettingGone" RENAME TO "Setting"`);
      await owner.$disconnect();
    }
  });

  it("a call that succeeds writes no line at the info level", async () => {
    const { status, logged } = await call("policy.get", { token: adminToken });
    expect(status).toBe(200);
    expect(logged).toEqual([]);
  });
});
