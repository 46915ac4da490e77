// Public API of @pgrescue/remote: the SSH executor (pool, one-shot run), host-key helpers and typed errors.
export {
  createSshPool,
  runOnce,
  type SshPool,
  type SshPoolOptions,
  type PoolHostStats,
} from "./pool.ts";
export type {
  SshTarget,
  SshAuth,
  HostKeyPolicy,
  PinnedHostKey,
  PresentedHostKey,
  HostKeyStatus,
  RunOptions,
  RunResult,
  OutputChunk,
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
  type KnownHostEntry,
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
  type RemoteErrorCode,
  type RemoteKillOutcome,
  type PrivateKeyProblem,
  type UnreachableReason,
  type SudoProblem,
  type Endpoint,
  type PartialOutput,
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
