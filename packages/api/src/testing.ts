// Test support: a real store, a real runtime (SSH pool, vault) and callers acting as users of each role.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { openTestStore, migrationsDir } from "@pgrescue/db/testing";
import type { TStore } from "@pgrescue/db/store";
import type { Role } from "@pgrescue/db";
import { createContext } from "./context.ts";
import {
  BODY_LIMITS,
  createFrontHandler,
  createFrontSecret,
  parseTrustedProxies,
  readFrontRequest,
} from "./http-front.ts";
import { createLogger, type TLogger } from "./logger.ts";
import { appRouter, createCaller } from "./root.ts";
import { createAuth, handleAuthRequest, resolveRequestActor, type TAuth } from "./services/auth.ts";
import type { TActor } from "./services/actor.ts";
import { createRuntime, type TRuntime } from "./services/runtime.ts";
import { createVault } from "./services/vault.ts";
import { createErrorLogger } from "./trpc.ts";

export type TTestServer = {
  store: TStore;
  runtime: TRuntime;
  /** A caller acting as a fresh user of that role (or anonymous with null). */
  callerAs(
    role: Role | null,
    label?: string,
  ): Promise<{ caller: ReturnType<typeof createCaller>; actor: TActor | null }>;
  /** better-auth over the same store, as the console configures it (rate limits on). */
  auth: TAuth;
  /**
   * The console's API over HTTP at http://127.0.0.1:PORT behind the console's front (client address, body limits,
   * security headers): /api/trpc with actors from bearer tokens or the session cookie, and /api/auth (sign-in,
   * sign-out) — the same request handling the console serves.
   */
  serveHttp(options?: {
    /** PGRESCUE_TRUSTED_PROXIES as the console would read it (default: none) */
    trustedProxies?: string;
    signInPerMinute?: number;
  }): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
};

/** Tests log only what went wrong unexpectedly, readably. */
export function createTestLogger(): TLogger {
  return createLogger({ level: "error", format: "pretty" });
}

export async function startTestServer(
  options: { approvalTtlMs?: number; pgCtlTimeoutSec?: number; logger?: TLogger } = {},
): Promise<TTestServer> {
  const store = await openTestStore();
  const { logger = createTestLogger(), ...policy } = options;
  const runtime = createRuntime({ vault: createVault(randomBytes(32)), logger, ...policy });
  const config = { migrationsDir, version: "test", embeddedStore: true };
  const auth = createAuth(store.db, { secret: randomBytes(32).toString("base64url") });
  let counter = 0;
  return {
    store,
    runtime,
    callerAs: async (role, label) => {
      if (role === null)
        return {
          caller: createCaller(createContext({ db: store.db, config, runtime, actor: null })),
          actor: null,
        };
      counter += 1;
      const email = `${label ?? role.toLowerCase()}-${String(counter)}-${String(Date.now())}@example.com`;
      const user = await store.db.user.create({
        data: { email, name: label ?? role, role },
        select: { id: true },
      });
      const actor: TActor = { id: user.id, label: email, role };
      return {
        caller: createCaller(createContext({ db: store.db, config, runtime, actor })),
        actor,
      };
    },
    auth,
    serveHttp: async (httpOptions = {}) => {
      const secret = createFrontSecret();
      const front = (req: IncomingMessage) => readFrontRequest(headersOf(req), secret);
      const trpc = createHTTPHandler({
        basePath: "/api/trpc/",
        router: appRouter,
        onError: createErrorLogger(runtime.logger),
        maxBodySize: BODY_LIMITS.trpc,
        createContext: async ({ req }) => {
          const { clientAddress } = front(req);
          return createContext({
            db: store.db,
            config,
            runtime,
            clientAddress,
            actor: await resolveRequestActor(
              auth,
              store.db,
              { method: req.method ?? "GET", headers: headersOf(req) },
              clientAddress,
            ),
          });
        },
      });
      const signInPerMinute = httpOptions.signInPerMinute ?? 10;
      const http = createServer(
        createFrontHandler(
          { trustedProxies: parseTrustedProxies(httpOptions.trustedProxies), secret },
          async (req, res) => {
            if (req.url?.startsWith("/api/auth/") === true)
              await serveAuth(auth, store, req, res, front(req), signInPerMinute);
            else trpc(req, res);
          },
        ),
      );
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      const { port } = http.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${String(port)}`,
        close: () =>
          new Promise<void>((resolve) => {
            http.closeAllConnections();
            http.close(() => {
              resolve();
            });
          }),
      };
    },
    close: async () => {
      await runtime.close();
      await store.close();
    },
  };
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** /api/auth as the console's route serves it: the body streams in (read only within its limit by the handler). */
async function serveAuth(
  auth: TAuth,
  store: TStore,
  req: IncomingMessage,
  res: ServerResponse,
  front: ReturnType<typeof readFrontRequest>,
  signInPerMinute: number,
) {
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
    method: req.method ?? "GET",
    headers: headersOf(req),
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });
  const response = await handleAuthRequest(auth, store.db, request, front, { signInPerMinute });
  res.statusCode = response.status;
  for (const [name, value] of response.headers)
    if (name !== "set-cookie") res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.end(Buffer.from(await response.arrayBuffer()));
}
export { generateApiToken } from "./services/tokens.ts";
