// The Snapshot: everything one diagnosis found, as a JSON-serializable, zod-validated shape.
import { z } from "zod";
import { PROCESS_ROLES } from "../parsers/process-title.ts";
import { PG_ISREADY_MEANINGS } from "../parsers/pg-isready.ts";
import { SUPERVISOR_NOT_PROBED, ZSupervisor } from "./supervisor-schema.ts";

export const VERDICT_CODES = [
  "healthy",
  "starting",
  "shutting-down",
  "stopped-clean",
  "stopped-unclean",
  "stale-pidfile",
  "pid-reused",
  "unresponsive",
  "postmaster-stopped",
  "zombies-unreaped",
  "orphans-attached",
  "shm-leftover",
  "semaphores-leftover",
  "unknown",
] as const;

export const ZVerdictCode = z.enum(VERDICT_CODES);
export type TVerdictCode = z.infer<typeof ZVerdictCode>;

/** Ladder rungs: 0 first aid, 1 fast stop, 2 immediate stop, 3 kill + IPC cleanup, 4 start. */
export const ZRung = z.union([
  z.literal(0),
  z.literal(1),
  z.literal(2),
  z.literal(3),
  z.literal(4),
]);
export type TRung = z.infer<typeof ZRung>;

const ZCheck = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export type TCheck = z.infer<typeof ZCheck>;

const ZInt = z.number().int();

export const ZHost = z.object({
  hostname: z.string().nullable(),
  kernel: z.string().nullable(),
  uid: ZInt.nullable(),
  user: z.string().nullable(),
  /** Epoch seconds on the host when the probe ran. */
  now: ZInt.nullable(),
  btime: ZInt.nullable(),
  clkTck: ZInt.nullable(),
  pageSize: ZInt.nullable(),
  /** /proc mounted with hidepid: other users' processes are invisible. */
  procHidepid: z.boolean(),
  toolsMissing: z.array(z.string()),
});

export const ZInstance = z.object({
  pgdata: z.string(),
  /** PGDATA with symlinks resolved on the host; /proc/PID/cwd is compared with this. */
  pgdataReal: z.string().nullable(),
  ownerUid: ZInt.nullable(),
  dataDirInode: z.number().nullable(),
  pgVersion: z.string().nullable(),
});

export const ZPidFile = z.object({
  exists: z.enum(["yes", "no", "unknown"]),
  readable: z.boolean(),
  mtime: ZInt.nullable(),
  raw: z.array(z.string()),
  pid: ZInt.nullable(),
  singleUser: z.boolean(),
  dataDir: z.string().nullable(),
  startTime: ZInt.nullable(),
  port: ZInt.nullable(),
  socketDir: z.string().nullable(),
  listenAddress: z.string().nullable(),
  shmKey: z.number().nullable(),
  shmKeyHex: z.string().nullable(),
  shmKeyRaw: z.string().nullable(),
  shmId: ZInt.nullable(),
  status: z.enum(["starting", "stopping", "ready", "standby"]).nullable(),
  errors: z.array(z.string()),
});

export const ZPostmaster = z.object({
  pid: ZInt.nullable(),
  /** Process state letter, or "absent" when no process has the pid-file PID. */
  state: z.string(),
  wchan: z.string().nullable(),
  startTicks: ZInt.nullable(),
  startTime: z.number().nullable(),
  uid: ZInt.nullable(),
  exe: z.string().nullable(),
  cwd: z.string().nullable(),
  cmdline: z.string().nullable(),
  genuine: z.boolean(),
  checks: z.array(ZCheck),
});

export const ZMember = z.object({
  pid: ZInt,
  ppid: ZInt,
  state: z.string(),
  wchan: z.string().nullable(),
  startTicks: ZInt,
  startTime: z.number().nullable(),
  uid: ZInt.nullable(),
  role: z.enum(PROCESS_ROLES),
  title: z.string(),
  cmdline: z.string(),
  exe: z.string().nullable(),
  cwd: z.string().nullable(),
  isPostmaster: z.boolean(),
  /** Re-parented: alive while not a child of a genuine, live postmaster. */
  orphan: z.boolean(),
  attachedShm: z.boolean(),
  /** Why this process was counted as a member. */
  because: z.array(z.string()),
});

export const ZZombie = z.object({
  pid: ZInt,
  ppid: ZInt,
  startTicks: ZInt,
  startTime: z.number().nullable(),
  comm: z.string(),
  parentIsPostmaster: z.boolean(),
});

export const ZForeignProcess = z.object({
  pid: ZInt,
  ppid: ZInt,
  state: z.string(),
  uid: ZInt.nullable(),
  cwd: z.string().nullable(),
  title: z.string(),
  reason: z.string(),
});

export const ZShm = z.object({
  key: z.number(),
  keyHex: z.string(),
  shmid: ZInt,
  ownerUid: ZInt,
  size: ZInt,
  nattch: ZInt,
  cpid: ZInt,
  lpid: ZInt,
  attachedPids: z.array(ZInt),
  /** nattch minus the attachments the probe could see in /proc/PID/maps. */
  unaccountedAttachments: ZInt,
  ours: z.boolean(),
  reason: z.string(),
});

export const ZSem = z.object({
  key: z.number(),
  keyHex: z.string(),
  semid: ZInt,
  ownerUid: ZInt,
  nsems: ZInt,
  magic537: z.boolean(),
  creatorPid: ZInt.nullable(),
  creatorAlive: z.boolean().nullable(),
  ours: z.boolean(),
  reason: z.string(),
});

export const ZDsm = z.object({
  name: z.string(),
  path: z.string(),
  ownerUid: ZInt,
  size: ZInt,
  mtime: ZInt,
  mappedBy: z.array(ZInt),
  ours: z.boolean(),
  removable: z.boolean(),
  reason: z.string(),
});

export const ZConnectivity = z.object({
  pgIsReady: z.object({
    tool: z.string().nullable(),
    host: z.string().nullable(),
    port: ZInt.nullable(),
    exitCode: ZInt.nullable(),
    meaning: z.enum(PG_ISREADY_MEANINGS),
    output: z.string(),
  }),
});

export const ZLog = z.object({
  file: z.string().nullable(),
  source: z.string().nullable(),
  sizeBytes: ZInt.nullable(),
  mtime: ZInt.nullable(),
  tail: z.array(z.string()),
  /** FATAL/PANIC and other telling lines from the tail. */
  notable: z.array(z.string()),
});

export const ZControlData = z.object({
  source: z.enum(["pg_controldata", "pg_control", "none"]),
  tool: z.string().nullable(),
  clusterState: z.string().nullable(),
  pgControlVersion: ZInt.nullable(),
  catalogVersion: ZInt.nullable(),
  systemIdentifier: z.string().nullable(),
  latestCheckpointLocation: z.string().nullable(),
  latestCheckpointTime: z.string().nullable(),
  timeline: ZInt.nullable(),
  fields: z.record(z.string(), z.string()),
  errors: z.array(z.string()),
});

export const ZVerdict = z.object({
  code: ZVerdictCode,
  title: z.string(),
  evidence: z.array(z.string()),
});

export const ZRecommendation = z.object({
  rung: ZRung.nullable(),
  reason: z.string(),
  cautions: z.array(z.string()),
});

export const ZProbeFraming = z.object({
  complete: z.boolean(),
  sections: z.array(z.string()),
  preambleLines: ZInt,
  errors: z.array(z.string()),
});

export const ZSnapshot = z.object({
  probeVersion: z.string(),
  host: ZHost,
  instance: ZInstance,
  pidFile: ZPidFile,
  postmaster: ZPostmaster,
  members: z.array(ZMember),
  zombies: z.array(ZZombie),
  foreignProcesses: z.array(ZForeignProcess),
  ipc: z.object({ shm: z.array(ZShm), sem: z.array(ZSem) }),
  dsm: z.array(ZDsm),
  connectivity: ZConnectivity,
  log: ZLog,
  controlData: ZControlData,
  /** Who supervises the postmaster; snapshots stored before supervisors were probed read as "not looked at". */
  supervisor: ZSupervisor.default(SUPERVISOR_NOT_PROBED),
  verdict: ZVerdict,
  recommendation: ZRecommendation,
  warnings: z.array(z.string()),
  probe: ZProbeFraming,
});

export type TSnapshot = z.infer<typeof ZSnapshot>;
export type TMember = z.infer<typeof ZMember>;
export type TZombie = z.infer<typeof ZZombie>;
export type TShm = z.infer<typeof ZShm>;
export type TSem = z.infer<typeof ZSem>;
export type TDsm = z.infer<typeof ZDsm>;
export type TPostmaster = z.infer<typeof ZPostmaster>;
export type TPidFileFacts = z.infer<typeof ZPidFile>;
export type TVerdict = z.infer<typeof ZVerdict>;
export type TRecommendation = z.infer<typeof ZRecommendation>;
export type THost = z.infer<typeof ZHost>;
export type TInstance = z.infer<typeof ZInstance>;
export type TControlDataFacts = z.infer<typeof ZControlData>;
export type TLogFacts = z.infer<typeof ZLog>;
export type TConnectivity = z.infer<typeof ZConnectivity>;
export type TForeignProcess = z.infer<typeof ZForeignProcess>;
