// Public API of @pgrescue/lab: real lab hosts (namespaces, tini, sshd) with real PostgreSQL instances and scenarios that break them.
export type {
  THostDevShmFile,
  THostPidFile,
  THostProcess,
  THostSem,
  THostShm,
  THostState,
  TLabExecOptions,
  TLabExecResult,
  TLabHost,
  TLabHostSummary,
  TLabInstance,
  TLabLogin,
  TLabLogins,
  TLabMode,
  TLabSemaphoreSet,
  TLabShmSegment,
  TLabSsh,
  TCreateInstanceOptions,
  TScenario,
  TScenarioState,
  TSemaphoreKind,
} from "./types.ts";
export { SCENARIOS } from "./types.ts";
export {
  attachLabHost,
  listLabHosts,
  startLabHost,
  stopLabHost,
  type TStartLabHostOptions,
} from "./lab-host.ts";
export { detectMode } from "./lab-boot.ts";
export { LabHostError } from "./host-exec.ts";
export { diffHostStates, type TDiffOptions } from "./capture.ts";
export {
  rotateHostKey,
  scanHostKeyFingerprint,
  type TRotatedHostKey,
} from "./host-key-rotation.ts";
export { LabInstanceError } from "./instances.ts";
export { PG_SEMA_MAGIC, PG_SEMAS_PER_SET, ScenarioError } from "./scenarios.ts";
export { LabSetupError, requirePg15 } from "./pg-binaries.ts";
export { LabCommandError, LabTimeoutError } from "./run.ts";
export { defaultBaseDir } from "./env.ts";
export type {
  TInstanceSupervision,
  TSupervisorKind,
  TSupervisorOptions,
  TSupervisorRecord,
  TSupervisorView,
  TUnitOptions,
  TUnitRestart,
  TUnitStyle,
} from "./supervisors/types.ts";
export { SUPERVISOR_KINDS, UNIT_RESTARTS, UNIT_STYLES } from "./supervisors/types.ts";
export { PATRONI_LOOP_WAIT_S } from "./supervisors/patroni.ts";
export type { TBreakOptions } from "./scenarios.ts";
