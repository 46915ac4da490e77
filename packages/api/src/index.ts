// Public entry of @pgrescue/api: the router, its type, the context factory and the server runtime.
import "server-only";

export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createContext, type Context, type ServerConfig } from "./context.ts";
export type { THealth } from "./routers/system.ts";
export { createRuntime, type TRuntime, type TIncidentEvent } from "./services/runtime.ts";
export { createVault, loadVaultKey } from "./services/vault.ts";
export { resolveTokenActor, bootstrapFirstAdmin } from "./services/tokens.ts";
export { markInterruptedSteps } from "./services/interrupted-steps.ts";
export type { TActor } from "./services/actor.ts";
