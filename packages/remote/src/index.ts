// Public API of @pgrescue/remote: the SSH executor (pool, one-shot run), host-key helpers and typed errors.
export {
  createSshPool,
  runOnce,
  type TSshPool,
  type TSshPoolOptions,
  type TPoolHostStats,
} from "./pool.ts";
export type {
  TSshTarget,
  TSshAuth,
  THostKeyPolicy,
  TPinnedHostKey,
  TPresentedHostKey,
  THostKeyStatus,
  TRunOptions,
  TRunResult,
  TOutputChunk,
} from "./types.ts";
export { fingerprintKeyBlob, describeHostKey } from "./host-key.ts";
export {
  parseKnownHosts,
  findKnownHostKeys,
  formatKnownHostName,
  formatKnownHostsLine,
  createHostKeyPolicyFromKnownHosts,
  readKnownHostsFile,
  appendKnownHostsLine,
  recordAcceptedHostKey,
  type TKnownHostEntry,
} from "./known-hosts.ts";
export { parsePrivateKey } from "./auth.ts";
export {
  validateHost,
  validatePort,
  validateUserName,
  validateFingerprint,
  validateTarget,
} from "./validate.ts";
export { wrapCommand, buildKillCommand } from "./wrap-command.ts";
export {
  RemoteError,
  InvalidTargetError,
  PrivateKeyError,
  AgentUnavailableError,
  UnreachableError,
  AuthFailedError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  CommandTimeoutError,
  CommandCancelledError,
  CommandMissingError,
  SudoError,
  ConnectionLostError,
  ChannelRefusedError,
  PoolClosedError,
  type TRemoteErrorCode,
  type TRemoteKillOutcome,
  type TPrivateKeyProblem,
  type TUnreachableReason,
  type TSudoProblem,
  type TEndpoint,
  type TPartialOutput,
} from "./errors.ts";
export {
  buildInterpreterCommand,
  SCRIPT_INTERPRETERS,
  DEFAULT_SCRIPT_INTERPRETER,
  type TScriptInterpreter,
} from "./interpreter.ts";
export {
  diagnoseOverSsh,
  DIAGNOSIS_TIMEOUT_MS,
  type TDiagnosisRun,
  type TDiagnosisTimings,
  type TDiagnosisOptions,
} from "./diagnose.ts";
export {
  runActionOverSsh,
  toRunnableAction,
  ACTION_TIMEOUT_MARGIN_SEC,
  type TActionRun,
  type TActionRunOptions,
  type TRunnableAction,
} from "./run-action.ts";
