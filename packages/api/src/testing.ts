// Test support: a real store, a real runtime (SSH pool, vault) and callers acting as users of each role.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { openTestStore, migrationsDir } from "@pgrescue/db/testing";
import type { Store } from "@pgrescue/db/store";
import type { Role } from "@pgrescue/db";
import { createContext } from "./context.ts";
import { appRouter, createCaller } from "./root.ts";
import { resolveTokenActor } from "./services/tokens.ts";
import type { TActor } from "./services/actor.ts";
import { createRuntime, type TRuntime } from "./services/runtime.ts";
import { createVault } from "./services/vault.ts";

export type TTestServer = {
  store: Store;
  runtime: TRuntime;
  /** A caller acting as a fresh user of that role (or anonymous with null). */
  callerAs(
    role: Role | null,
    label?: string,
  ): Promise<{ caller: ReturnType<typeof createCaller>; actor: TActor | null }>;
  /** The same router over HTTP at http://127.0.0.1:PORT/api/trpc, actors from bearer tokens, as the console serves it. */
  serveHttp(): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
};

export async function startTestServer(
  options: { approvalTtlMs?: number; pgCtlTimeoutSec?: number } = {},
): Promise<TTestServer> {
  const store = await openTestStore();
  const runtime = createRuntime({ vault: createVault(randomBytes(32)), ...options });
  const config = { migrationsDir, version: "test", embeddedStore: true };
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
    serveHttp: async () => {
      const http = createHTTPServer({
        basePath: "/api/trpc/",
        router: appRouter,
        createContext: async ({ req }) =>
          createContext({
            db: store.db,
            config,
            runtime,
            actor: await resolveTokenActor(
              store.db,
              req.headers.authorization,
              req.socket.remoteAddress,
            ),
          }),
      });
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
