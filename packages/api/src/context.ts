// The request context: the store client and server configuration. Tests build the same
// context with a real store and call procedures through createCaller.
import type { Db } from "@pgrescue/db";

export type ServerConfig = {
  migrationsDir: string;
  version: string;
  embeddedStore: boolean;
};

export type Context = {
  db: Db;
  config: ServerConfig;
};

export function createContext(deps: { db: Db; config: ServerConfig }): Context {
  return { db: deps.db, config: deps.config };
}
