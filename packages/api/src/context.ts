// The request context: the store client, the process-wide runtime (SSH pool, vault, event bus), server
// configuration and the acting user. Tests build the same context with a real store and call procedures through createCaller.
import type { TDb } from "@pgrescue/db";
import type { TActor } from "./services/actor.ts";
import type { TRuntime } from "./services/runtime.ts";

export type TServerConfig = {
  migrationsDir: string;
  version: string;
  embeddedStore: boolean;
};

export type TContext = {
  db: TDb;
  config: TServerConfig;
  runtime: TRuntime;
  actor: TActor | null;
  /** The client's address as the front resolved it (for signed-out requests too); undefined when unknown. */
  clientAddress: string | undefined;
};

export function createContext(deps: {
  db: TDb;
  config: TServerConfig;
  runtime: TRuntime;
  actor?: TActor | null;
  clientAddress?: string | undefined;
}): TContext {
  return {
    db: deps.db,
    config: deps.config,
    runtime: deps.runtime,
    actor: deps.actor ?? null,
    clientAddress: deps.clientAddress ?? deps.actor?.ip,
  };
}
