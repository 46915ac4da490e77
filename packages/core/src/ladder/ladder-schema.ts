// The ladder plan: every rung with applicability, exact script, targets and evidence, as zod-validated JSON.
import { z } from "zod";
import { PROCESS_ROLES } from "../parsers/process-title.ts";
import { ZRung, ZVerdictCode } from "../diagnosis/snapshot-schema.ts";

const int = z.number().int();

export const LADDER_PLAN_VERSION = "1";

export const ZEvidence = z.object({
  capturedFrom: z.object({
    verdict: ZVerdictCode,
    recommendedRung: ZRung.nullable(),
    hostname: z.string().nullable(),
    probedAt: int.nullable(),
  }),
  pidFile: z.object({ exists: z.string(), raw: z.array(z.string()), mtime: int.nullable() }),
  postmaster: z.object({
    pid: int.nullable(),
    state: z.string(),
    wchan: z.string().nullable(),
    startTicks: int.nullable(),
    genuine: z.boolean(),
    checks: z.array(z.string()),
  }),
  processes: z.array(
    z.object({
      pid: int,
      ppid: int,
      role: z.string(),
      state: z.string(),
      wchan: z.string().nullable(),
      startTicks: int,
      orphan: z.boolean(),
      attachedShm: z.boolean(),
      title: z.string(),
    }),
  ),
  zombies: z.array(z.object({ pid: int, ppid: int, startTicks: int, comm: z.string() })),
  ipc: z.object({
    shm: z.array(
      z.object({
        shmid: int,
        keyHex: z.string(),
        nattch: int,
        attachedPids: z.array(int),
        ours: z.boolean(),
      }),
    ),
    sem: z.array(
      z.object({
        semid: int,
        keyHex: z.string(),
        creatorPid: int.nullable(),
        creatorAlive: z.boolean().nullable(),
        ours: z.boolean(),
      }),
    ),
    dsm: z.array(z.object({ name: z.string(), mappedBy: z.array(int), ours: z.boolean() })),
  }),
  pgIsReady: z.object({ meaning: z.string(), exitCode: int.nullable(), output: z.string() }),
  controlData: z.object({
    source: z.string(),
    clusterState: z.string().nullable(),
    latestCheckpointLocation: z.string().nullable(),
    latestCheckpointTime: z.string().nullable(),
    timeline: int.nullable(),
  }),
  log: z.object({
    file: z.string().nullable(),
    tail: z.array(z.string()),
    notable: z.array(z.string()),
  }),
  warnings: z.array(z.string()),
});
export type TEvidence = z.infer<typeof ZEvidence>;

export const ZProcessTarget = z.object({
  pid: int,
  startTicks: int,
  uid: int,
  cwd: z.string(),
  exe: z.string(),
  role: z.enum(PROCESS_ROLES),
  state: z.string(),
  wchan: z.string().nullable(),
  orphan: z.boolean(),
  /** What the step sends it, in order. */
  signals: z.array(z.enum(["SIGCONT", "SIGSTOP", "SIGKILL", "pg_ctl stop", "systemctl stop"])),
});
export type TProcessTarget = z.infer<typeof ZProcessTarget>;

export const ZIpcTarget = z.object({
  kind: z.enum(["shm", "sem", "dsm"]),
  /** shmid / semid; null for /dev/shm files. */
  id: int.nullable(),
  key: z.number().nullable(),
  keyHex: z.string().nullable(),
  ownerUid: int,
  nattch: int.nullable(),
  nsems: int.nullable(),
  creatorPid: int.nullable(),
  /** /dev/shm path for dsm files. */
  path: z.string().nullable(),
});
export type TIpcTarget = z.infer<typeof ZIpcTarget>;

export const ZFileTarget = z.object({
  kind: z.enum(["pid-file", "socket-lock"]),
  path: z.string(),
  movedTo: z.string(),
  pid: int.nullable(),
  mtime: int,
  why: z.string(),
});
export type TFileTarget = z.infer<typeof ZFileTarget>;

export const CLEANUP_OPTIONS = ["semaphores", "sharedMemory", "dsmFiles"] as const;
export type TCleanupOption = (typeof CLEANUP_OPTIONS)[number];

export const ZCleanupOffer = z.object({
  option: z.enum(CLEANUP_OPTIONS),
  target: ZIpcTarget,
  /** In this plan's rung-3 script. */
  included: z.boolean(),
  /** What the evidence alone decides when the operator chooses nothing. */
  includedByDefault: z.boolean(),
  reason: z.string(),
  warning: z.string().nullable(),
});
export type TCleanupOffer = z.infer<typeof ZCleanupOffer>;

export const ZLadderStep = z.object({
  rung: ZRung,
  title: z.string(),
  /** False: the step cannot run at all (nothing to act on, or the facts forbid it); `script` is null. */
  applicable: z.boolean(),
  /** The step can run, but the evidence says it will not work (`blockedReason` says why). */
  expectedToFail: z.boolean(),
  /** Why it cannot run (applicable false) or why it is expected to fail; null otherwise. */
  blockedReason: z.string().nullable(),
  recommended: z.boolean(),
  why: z.string(),
  destroys: z.array(z.string()),
  expectedOutcome: z.string(),
  destructive: z.boolean(),
  requiresTypedConfirmation: z.boolean(),
  script: z.string().nullable(),
  /** The commands the script runs, readable: state-changing ones exactly as in the script. */
  displayCommands: z.array(z.string()),
  /** Exactly the state-changing commands of the script, in order. */
  stateChangingCommands: z.array(z.string()),
  /** What the script re-verifies on the host before acting. */
  checks: z.array(z.string()),
  targets: z.object({
    processes: z.array(ZProcessTarget),
    ipc: z.array(ZIpcTarget),
    files: z.array(ZFileTarget),
    /** Zombies the step expects to disappear (reaped by their parent or init); never signalled. */
    zombies: z.array(z.object({ pid: int, ppid: int, startTicks: int })),
  }),
  /** Members the step will not touch because they cannot be re-verified, with the reason. */
  untargeted: z.array(z.object({ pid: int, reason: z.string() })),
  offers: z.array(ZCleanupOffer),
  cautions: z.array(z.string()),
  /**
   * Commands the console may not run itself (it is not root and sudo -n does not allow them): for someone with
   * root, shown as text, never part of the script. Steps stored before this field read as [].
   */
  manualCommands: z.array(z.string()).default([]),
  evidenceToCapture: ZEvidence.nullable(),
  invocation: z.object({ command: z.literal("/bin/sh -s"), timeoutSec: int }).nullable(),
});
export type TLadderStep = z.infer<typeof ZLadderStep>;

export const ZLadderPlan = z.object({
  planVersion: z.literal(LADDER_PLAN_VERSION),
  pgdata: z.string(),
  pgdataReal: z.string().nullable(),
  instanceUid: int.nullable(),
  verdict: ZVerdictCode,
  /** Exactly one step is recommended when this is not null; it equals the diagnosis's rung. */
  recommendedRung: ZRung.nullable(),
  recommendationReason: z.string(),
  pgBin: z.string().nullable(),
  pgBinSource: z.enum(["option", "pg_controldata", "pg_isready"]).nullable(),
  logFile: z.string().nullable(),
  steps: z.array(ZLadderStep),
  /** canonicalMaterialFacts(snapshot): what every approval of this plan is bound to. */
  materialFacts: z.string(),
  warnings: z.array(z.string()),
});
export type TLadderPlan = z.infer<typeof ZLadderPlan>;
