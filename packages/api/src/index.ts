// Public entry of @pgrescue/api: the router, its type, and the context factory.
import "server-only";

export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createContext, type Context, type ServerConfig } from "./context.ts";
export type { THealth } from "./routers/system.ts";
