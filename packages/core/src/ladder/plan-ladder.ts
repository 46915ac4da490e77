// The recovery ladder planner: every rung for one diagnosis, with its exact script, targets and verdict. Pure.
// Each rung has its own planner (plan-first-aid, plan-stop, plan-kill-and-clean, plan-start); this file resolves
// the options, runs them and turns their drafts into steps.
import { buildActionScript, describeActionChecks } from "../actions/action-script.ts";
import { ACTION_INVOCATION } from "../actions/action-protocol.ts";
import { canonicalMaterialFacts } from "../diagnosis/material-facts.ts";
import { requireAbsolutePath, ShellValueError, validateAbsolutePath } from "../shell/quote.ts";
import type { TRung, TSnapshot } from "../diagnosis/snapshot-schema.ts";
import { captureEvidence } from "./evidence.ts";
import { cannotRun, type TDraft, type TResolved } from "./ladder-helpers.ts";
import {
  LADDER_PLAN_VERSION,
  type TCleanupOption,
  type TEvidence,
  type TLadderPlan,
  type TLadderStep,
} from "./ladder-schema.ts";
import { planFirstAid } from "./plan-first-aid.ts";
import { planKill } from "./plan-kill-and-clean.ts";
import { planStart } from "./plan-start.ts";
import { planStop } from "./plan-stop.ts";
import { adaptToSupervisor } from "./plan-supervisor.ts";

export type TLadderOptions = {
  /** The data directory the diagnosis was made for. */
  pgdata: string;
  /** The server's bin directory (pg_ctl, pg_isready, psql); null: the directory the probe's tools came from. */
  pgBin: string | null;
  /** Server log for `pg_ctl start -l`; default: PGDATA/pgrescue-start.log. */
  logFile?: string;
  /** `pg_ctl stop -t` (rungs 1, 2). Default 60, like pg_ctl. */
  stopTimeoutSec?: number;
  /** `pg_ctl start -t` (rung 4). Default 60, like pg_ctl. */
  startTimeoutSec?: number;
  /** How long rung 3 waits for killed processes to disappear. Default 10. */
  killWaitSec?: number;
  /** Optional IPC cleanup of rung 3; unset means what the evidence alone calls for. */
  cleanup?: Partial<Record<TCleanupOption, boolean>>;
};

export const DEFAULT_STOP_TIMEOUT_SEC = 60;
export const DEFAULT_START_TIMEOUT_SEC = 60;
export const DEFAULT_KILL_WAIT_SEC = 10;

/** PATH directories where pg_isready may be a wrapper and pg_ctl may be missing. */
const GENERIC_BIN_DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"];

const TITLES: Record<TRung, string> = {
  0: "First aid: resume stopped processes (SIGCONT)",
  1: "Fast stop (pg_ctl stop -m fast)",
  2: "Immediate stop (pg_ctl stop -m immediate)",
  3: "Kill the instance's processes (SIGKILL), then only the cleanup the evidence calls for",
  4: "Start and verify (pg_ctl start, pg_isready, select 1)",
};

const PURPOSE: Record<TRung, string> = {
  0: "Resumes stopped (T) processes with SIGCONT: nothing ends and nothing is lost.",
  1: "The gentle stop: clients are disconnected, a shutdown checkpoint is written, the next start needs no recovery.",
  2: "Stops without a checkpoint when a fast stop hangs; the next start runs crash recovery.",
  3: "Ends every verified process of the instance with SIGKILL when no stop works; the next start runs crash recovery.",
  4: "Starts the instance and proves it answers.",
};

function requireSeconds(value: number | undefined, fallback: number, label: string): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new ShellValueError(label, `is not a number of seconds in 1..86400 (${String(seconds)})`);
  }
  return seconds;
}

function dirnameOf(path: string | null): string | null {
  if (path === null) return null;
  const at = path.lastIndexOf("/");
  if (at <= 0) return null;
  const dir = path.slice(0, at);
  return validateAbsolutePath(dir).ok ? dir : null;
}

/** pg_ctl's directory: the operator's, else where the probe found pg_controldata, else pg_isready. */
function resolvePgBin(
  snapshot: TSnapshot,
  pgBin: string | null,
): { dir: string | null; source: TLadderPlan["pgBinSource"] } {
  if (pgBin !== null) return { dir: requireAbsolutePath(pgBin, "pgBin"), source: "option" };
  const fromControlData = dirnameOf(snapshot.controlData.tool);
  if (fromControlData !== null) return { dir: fromControlData, source: "pg_controldata" };
  const fromIsReady = dirnameOf(snapshot.connectivity.pgIsReady.tool);
  if (fromIsReady !== null) return { dir: fromIsReady, source: "pg_isready" };
  return { dir: null, source: null };
}

function finishStep(rung: TRung, draft: TDraft, s: TSnapshot, evidence: TEvidence): TLadderStep {
  const built = draft.spec === null ? null : buildActionScript(draft.spec);
  const rec = s.recommendation.rung;
  const recommended = draft.applicable && rec === rung;
  let why: string;
  if (recommended) why = `Recommended by the diagnosis: ${s.recommendation.reason}`;
  else if (!draft.applicable)
    why = `${PURPOSE[rung]} Not possible now: ${draft.blockedReason ?? ""}`;
  else if (rec === null)
    why = `${PURPOSE[rung]} The diagnosis recommends no rung: ${s.recommendation.reason}`;
  else if (rung > rec)
    why = `${PURPOSE[rung]} The diagnosis recommends rung ${rec} first; choosing this one skips it (the reason is recorded).`;
  else why = `${PURPOSE[rung]} The diagnosis recommends rung ${rec}.`;
  return {
    rung,
    title: draft.title ?? TITLES[rung],
    applicable: draft.applicable,
    expectedToFail: draft.applicable && draft.expectedToFail,
    blockedReason: draft.blockedReason,
    recommended,
    why,
    destroys: draft.destroys,
    expectedOutcome: draft.expectedOutcome,
    // Rung 1 is not destructive: a fast stop ends sessions but writes a shutdown checkpoint, so
    // nothing persistent is lost and no recovery is needed. Rung 4 counts as destructive because it
    // overwrites the crash-time state (pg_control, postmaster.pid, the leftover segment).
    destructive: rung >= 2,
    requiresTypedConfirmation: rung >= 2,
    script: built?.script ?? null,
    displayCommands: built === null ? [] : [...built.stateChangingCommands, ...draft.displayExtra],
    stateChangingCommands: built?.stateChangingCommands ?? [],
    checks: draft.spec === null ? [] : describeActionChecks(draft.spec),
    targets: {
      processes: draft.processes,
      ipc: draft.ipc,
      files: draft.files,
      zombies: draft.zombies,
    },
    untargeted: draft.untargeted,
    offers: draft.offers,
    cautions: draft.cautions,
    manualCommands: draft.manualCommands,
    evidenceToCapture: draft.applicable && rung >= 1 ? evidence : null,
    invocation: draft.applicable
      ? { command: ACTION_INVOCATION.command, timeoutSec: draft.timeoutSec }
      : null,
  };
}

function globalBlocker(snapshot: TSnapshot, pgdata: string): string | null {
  if (snapshot.instance.pgdata !== pgdata) {
    return `This diagnosis is of ${snapshot.instance.pgdata}, not ${pgdata}.`;
  }
  if (!snapshot.probe.complete || snapshot.probe.errors.length > 0) {
    return "The probe's output is incomplete or malformed: diagnose again before acting.";
  }
  if (snapshot.pidFile.exists === "unknown") {
    return "The probe could not look into PGDATA (it must run as the instance's OS user): diagnose again as that user.";
  }
  if (snapshot.instance.pgdataReal === null)
    return "The data directory could not be resolved on the host.";
  const real = validateAbsolutePath(snapshot.instance.pgdataReal);
  if (!real.ok)
    return `The resolved data directory ${real.error}: it cannot be put into a script safely.`;
  if (snapshot.instance.ownerUid === null) return "The data directory's owner is unknown.";
  return null;
}

/**
 * Plan every rung of the ladder for one diagnosis. Pure; throws ShellValueError when an option
 * (pgdata, pgBin, logFile, a timeout) cannot be used in a script — before any script exists.
 */
export function planLadder(snapshot: TSnapshot, options: TLadderOptions): TLadderPlan {
  const pgdata = requireAbsolutePath(options.pgdata, "pgdata");
  const { dir: pgBin, source: pgBinSource } = resolvePgBin(snapshot, options.pgBin);
  const logFile =
    options.logFile === undefined ? null : requireAbsolutePath(options.logFile, "logFile");
  const stopTimeoutSec = requireSeconds(
    options.stopTimeoutSec,
    DEFAULT_STOP_TIMEOUT_SEC,
    "stopTimeoutSec",
  );
  const startTimeoutSec = requireSeconds(
    options.startTimeoutSec,
    DEFAULT_START_TIMEOUT_SEC,
    "startTimeoutSec",
  );
  const killWaitSec = requireSeconds(options.killWaitSec, DEFAULT_KILL_WAIT_SEC, "killWaitSec");
  const materialFacts = canonicalMaterialFacts(snapshot);
  const warnings: string[] = [];
  const blocker = globalBlocker(snapshot, pgdata);
  const evidence = captureEvidence(snapshot);
  const rungs: TRung[] = [0, 1, 2, 3, 4];

  const base = {
    planVersion: LADDER_PLAN_VERSION,
    pgdata,
    pgdataReal: snapshot.instance.pgdataReal,
    instanceUid: snapshot.instance.ownerUid,
    verdict: snapshot.verdict.code,
    recommendationReason: snapshot.recommendation.reason,
    pgBin,
    pgBinSource,
    materialFacts,
  } as const;

  if (
    blocker !== null ||
    snapshot.instance.pgdataReal === null ||
    snapshot.instance.ownerUid === null
  ) {
    // globalBlocker already says why whenever pgdataReal or the owner is missing.
    const reason = blocker ?? "The data directory could not be resolved on the host.";
    const steps = rungs.map((rung) => finishStep(rung, cannotRun(reason), snapshot, evidence));
    return { ...base, recommendedRung: null, logFile, steps, warnings: [reason] };
  }
  const pm = snapshot.postmaster;
  const resolved: TResolved = {
    snapshot,
    pgdata,
    pgdataReal: snapshot.instance.pgdataReal,
    instanceUid: snapshot.instance.ownerUid,
    pgBin,
    logFile: logFile ?? `${pgdata}/pgrescue-start.log`,
    logFileDefaulted: logFile === null,
    stopTimeoutSec,
    startTimeoutSec,
    killWaitSec,
    cleanup: options.cleanup ?? {},
    postmasterAlive: pm.genuine && pm.state !== "Z" && pm.state !== "absent",
  };
  requireAbsolutePath(resolved.logFile, "logFile");
  if (pgBinSource === "pg_isready" && pgBin !== null && GENERIC_BIN_DIRS.includes(pgBin)) {
    warnings.push(
      `pg_ctl is taken from ${pgBin}, where the probe found pg_isready through PATH; if pg_ctl is not there (Debian's /usr/bin has only wrappers), the step stops before acting: pass the server's bin directory.`,
    );
  }
  // Each rung as the processes and files call for it, then made to work through the supervisor (plan-supervisor.ts).
  const drafts: Record<TRung, TDraft> = {
    0: adaptToSupervisor(0, planFirstAid(resolved), resolved),
    1: adaptToSupervisor(1, planStop(resolved, 1), resolved),
    2: adaptToSupervisor(2, planStop(resolved, 2), resolved),
    3: adaptToSupervisor(3, planKill(resolved), resolved),
    4: adaptToSupervisor(4, planStart(resolved), resolved),
  };
  const steps = rungs.map((rung) => finishStep(rung, drafts[rung], snapshot, evidence));
  const rec = snapshot.recommendation.rung;
  const recommended = steps.find((st) => st.recommended);
  if (rec !== null && recommended === undefined) {
    warnings.push(
      `The diagnosis recommends rung ${rec}, but it cannot run: ${steps[rec]?.blockedReason ?? "unknown"}`,
    );
  }
  return {
    ...base,
    recommendedRung: recommended?.rung ?? null,
    logFile: resolved.logFile,
    steps,
    warnings,
  };
}
