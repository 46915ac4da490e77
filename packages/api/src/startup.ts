// What the launcher runs once before serving (plain Node, outside Next.js: no server-only guard, no value import of @pgrescue/db).
export { bootstrapFirstAdmin } from "./services/tokens.ts";
export { markInterruptedSteps } from "./services/interrupted-steps.ts";
