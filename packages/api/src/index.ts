// Public entry of @pgrescue/api: the router, its type, the context factory and the server runtime.
import "server-only";

export { appRouter, createCaller, type TAppRouter } from "./root.ts";
export { createContext, type TContext, type TServerConfig } from "./context.ts";
export { createLogger, type TLogger } from "./logger.ts";
export { createErrorLogger } from "./trpc.ts";
export type { THealth } from "./routers/system.ts";
export { createRuntime, type TRuntime, type TIncidentEvent } from "./services/runtime.ts";
export { createVault, loadVaultKey } from "./services/vault.ts";
export { resolveTokenActor } from "./services/tokens.ts";
export { needsFirstAdmin } from "./services/users.ts";
export {
  createAuth,
  deriveAuthSecret,
  handleAuthRequest,
  isSameOriginRequest,
  resolveRequestActor,
  resolveSessionActor,
  SESSION_TTL_SEC,
  type TAuth,
} from "./services/auth.ts";
export { markInterruptedSteps } from "./services/interrupted-steps.ts";
export type { TActor } from "./services/actor.ts";
