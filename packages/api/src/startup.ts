// What the launcher runs once before serving, and the key rotation command (plain Node, outside Next.js: no server-only guard, no value import of @pgrescue/db).
export { bootstrapFirstAdmin, issueSetupToken } from "./services/users.ts";
export { markInterruptedSteps } from "./services/interrupted-steps.ts";
export {
  findInterruptedRotation,
  findOtherStoreSessions,
  KeyRotationError,
  rotateVaultKey,
} from "./services/key-rotation.ts";
export { parseBase64Key, vaultKeyFiles } from "./services/vault.ts";
