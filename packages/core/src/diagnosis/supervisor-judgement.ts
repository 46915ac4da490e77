// The verdict's recommendation, made to work with the supervisor: Patroni is paused before any direct action and
// resumed at the end, a systemd unit is stopped and started through systemd, a container's runtime is named.
// Applied after decideVerdict; the verdict code stays what the processes and files say.
import type { TJudgement } from "./verdict.ts";
import type { TSupervisor, TSystemdUnit } from "./supervisor-schema.ts";

/** Patroni's default loop_wait: how long until an active Patroni acts on what it sees. */
export const PATRONI_DEFAULT_LOOP_WAIT_SEC = 10;

/** Verdicts whose rung 4 an active Patroni performs itself (it starts PostgreSQL; nothing has to be moved first). */
const PATRONI_STARTS_ITSELF = new Set([
  "stale-pidfile",
  "stopped-clean",
  "stopped-unclean",
  "shm-leftover",
  "semaphores-leftover",
]);

/** `systemctl VERB UNIT` as a DBA with root types it (mask/unmask with --runtime). */
export function describeSystemctl(verb: string, unit: string): string {
  return verb === "mask" || verb === "unmask"
    ? `systemctl ${verb} --runtime ${unit}`
    : `systemctl ${verb} ${unit}`;
}

/** Restart= values under which systemd starts PostgreSQL again after a kill or a crash. */
export function restartsAfterKill(unit: TSystemdUnit): boolean {
  return unit.restart !== "" && unit.restart !== "no" && !unit.maskedRuntime;
}

function rootNeeded(unit: TSystemdUnit, verbs: readonly string[]): string | null {
  const missing = verbs.filter(
    (verb) => unit.control !== "root" && !unit.allowedVerbs.some((v) => v === verb),
  );
  if (missing.length === 0) return null;
  return `The console's login may not run ${missing.map((v) => describeSystemctl(v, unit.unit)).join(", ")} (not root, no sudo -n rule): that part is for someone with root; the plan shows the exact commands.`;
}

function judgeSystemd(j: TJudgement, s: TSupervisor, unit: TSystemdUnit): TJudgement {
  const rung = j.recommendation.rung;
  const cautions = [...j.recommendation.cautions];
  const notes: string[] = [];
  const stopWait = `systemd waits up to TimeoutStopSec (${unit.timeoutStopText || "?"}) for the unit's stop`;
  if (s.unitOwnsPostmaster === false) {
    const said = s.contradictions.find((c) => c.startsWith("a postmaster outside"));
    cautions.push(
      `${said === undefined ? "A postmaster outside its unit" : `${said.charAt(0).toUpperCase()}${said.slice(1)}`}. At a quiet moment stop it (rung 1, pg_ctl) and start it through ${unit.unit} (rung 4), so that systemd knows it again.`,
    );
  }
  if (unit.job !== "") {
    cautions.push(
      `systemd has job ${unit.job} running for ${unit.unit} (${unit.activeState}/${unit.subState}): a stop waits up to TimeoutStopSec (${unit.timeoutStopText || "?"}), then systemd SIGKILLs what is left of the unit.`,
    );
  }
  if (unit.subState === "auto-restart") {
    cautions.push(
      `Restart=${unit.restart}: systemd is about to start ${unit.unit} again by itself (RestartSec ${unit.restartSec === null ? "?" : `${String(unit.restartSec)} s`}): diagnose again before acting.`,
    );
  }
  if (unit.maskedRuntime) {
    cautions.push(
      `${unit.unit} is masked for this boot (systemctl mask --runtime, the ladder's hold or someone else's): systemd will not start it; rung 4 unmasks it.`,
    );
  }
  if (rung === 0 && restartsAfterKill(unit)) {
    notes.push(
      `Restart=${unit.restart}: if the postmaster shuts down once resumed (a pending stop signal), systemd starts it again by itself.`,
    );
  }
  if (rung === 1 && s.unitOwnsPostmaster === true) {
    notes.push(
      `Under systemd rung 1 is systemctl stop ${unit.unit} (the unit's own stop${unit.execStop.length > 0 ? `: ${unit.execStop.join(" | ")}` : ""}); ${stopWait}.`,
    );
    const root = rootNeeded(unit, ["stop"]);
    if (root !== null) cautions.push(root);
  }
  if ((rung === 2 || rung === 3) && restartsAfterKill(unit) && s.unitOwnsPostmaster !== false) {
    notes.push(
      `Restart=${unit.restart} would start PostgreSQL again behind the ${rung === 3 ? "kills" : "stop"}: rung ${String(rung)} first masks ${unit.unit} for this boot (systemctl mask --runtime); rung 4 unmasks it, resets the failure and starts it through the unit.`,
    );
    const root = rootNeeded(unit, ["mask"]);
    if (root !== null) cautions.push(root);
  }
  if (rung === 4) {
    notes.push(
      `Under systemd rung 4 starts it through the unit (${unit.maskedRuntime ? "systemctl unmask --runtime, " : ""}systemctl reset-failed, systemctl start ${unit.unit}), so that the unit is active with the new postmaster as its MainPID.`,
    );
    const root = rootNeeded(
      unit,
      unit.maskedRuntime ? ["unmask", "reset-failed", "start"] : ["reset-failed", "start"],
    );
    if (root !== null) cautions.push(root);
  }
  const reason =
    notes.length === 0 ? j.recommendation.reason : `${j.recommendation.reason} ${notes.join(" ")}`;
  return { ...j, recommendation: { ...j.recommendation, reason, cautions } };
}

function judgePatroni(j: TJudgement, s: TSupervisor): TJudgement {
  const p = s.patroni;
  if (p === null) return j;
  const rung = j.recommendation.rung;
  const cautions = [...j.recommendation.cautions];
  const status = p.status;
  if (status === null) {
    const unknown = `Patroni runs (PID ${String(p.pid)}) but its REST API (${p.restUrl}) did not answer: whether it is paused is unknown, and a direct step could fight it. Check it (patronictl${p.configFile !== null ? ` -c ${p.configFile}` : ""} list), then diagnose again.`;
    if (rung === null)
      return { ...j, recommendation: { ...j.recommendation, cautions: [...cautions, unknown] } };
    return {
      ...j,
      recommendation: {
        rung: null,
        reason: `${unknown} What the processes say: ${j.recommendation.reason}`,
        cautions,
      },
    };
  }
  if (!status.paused) {
    if (rung === null) return j;
    if (rung === 4 && PATRONI_STARTS_ITSELF.has(j.verdict.code)) {
      return {
        ...j,
        recommendation: {
          rung: null,
          reason: `${j.recommendation.reason} But Patroni manages this instance and is not paused: it starts PostgreSQL itself on its next HA cycle (loop_wait, ${String(PATRONI_DEFAULT_LOOP_WAIT_SEC)} s by default) — diagnose again shortly. If it does not (see Patroni's log), pause it (rung 0) and act yourself.`,
          cautions,
        },
      };
    }
    return {
      ...j,
      recommendation: {
        rung: 0,
        reason: `Patroni manages this instance and is not paused (role ${status.role ?? "?"}, state ${status.state ?? "?"}): a direct step would fight it — it restarts or demotes PostgreSQL on its own. First pause it (rung 0: maintenance mode, patronictl pause); then: ${j.recommendation.reason}`,
        cautions,
      },
    };
  }
  if (rung === null && j.verdict.code === "healthy") {
    return {
      ...j,
      recommendation: {
        rung: 4,
        reason:
          "PostgreSQL answers, and Patroni is paused (maintenance mode): resume it (rung 4: patronictl resume) to hand the instance back to Patroni — unless the pause is someone else's planned maintenance.",
        cautions,
      },
    };
  }
  if (rung === null) return j;
  const end =
    rung === 4
      ? "Patroni is paused: rung 4 resumes it, and Patroni starts PostgreSQL itself."
      : "Patroni is paused (maintenance mode): direct steps do not fight it; rung 4 resumes it at the end.";
  return {
    ...j,
    recommendation: { ...j.recommendation, reason: `${j.recommendation.reason} ${end}`, cautions },
  };
}

/** What a container's runtime does when the postmaster exits, when the postmaster may be its main process. */
export function describeContainerPolicy(c: NonNullable<TSupervisor["container"]>): string | null {
  if (!c.postmasterIsPid1 && !c.postmasterParentIsPid1) return null;
  const who = c.postmasterIsPid1
    ? "The postmaster is the container's PID 1"
    : `The postmaster's parent is the container's PID 1 (${c.pid1 ?? "?"}): it may be the container's main process`;
  return `${who}. When the main process exits the container stops, and whether it comes back is the runtime's restart policy (docker/podman --restart, Kubernetes restartPolicy), which is not visible from inside${c.runtime === null ? "" : ` this ${c.runtime} container`}.`;
}

function judgeContainer(j: TJudgement, s: TSupervisor): TJudgement {
  const c = s.container;
  if (c === null) return j;
  const rung = j.recommendation.rung;
  const policy = describeContainerPolicy(c);
  const cautions = [
    ...j.recommendation.cautions,
    ...(policy === null || rung === null ? [] : [policy]),
  ];
  if (c.postmasterIsPid1 && (rung === 0 || rung === 3)) {
    return {
      ...j,
      recommendation: {
        rung: null,
        reason: `${j.recommendation.reason} But the postmaster is the container's PID 1: the kernel ignores SIGKILL and SIGSTOP sent to it from inside the container. Restart the container from its runtime.`,
        cautions,
      },
    };
  }
  if (rung === 4 && !c.pid1Reaps) {
    return {
      ...j,
      recommendation: {
        rung: null,
        reason: `${j.recommendation.reason} But this is a container whose PID 1 (${c.pid1 ?? "?"}) is not an init: a postmaster started here would not belong to the container's main process, nobody would reap its children, and the runtime would not stop it cleanly. Restart the container from its runtime.`,
        cautions,
      },
    };
  }
  return { ...j, recommendation: { ...j.recommendation, cautions } };
}

/** The supervisor's lines for the verdict's evidence: who runs the postmaster, the facts, the contradictions. */
function supervisorEvidence(s: TSupervisor): string[] {
  if (s.kind === "unknown" && s.evidence.length === 0) return [];
  const lines = [`supervisor: ${s.summary}`];
  if (s.kind !== "none") lines.push(...s.evidence.map((e) => `supervisor: ${e}`));
  lines.push(...s.contradictions.map((c) => `contradiction: ${c}`));
  return lines;
}

/** The judgement with the supervisor taken into account (evidence, reason, rung, cautions). */
export function applySupervisor(j: TJudgement, s: TSupervisor): TJudgement {
  let judged = j;
  if (s.kind === "patroni") judged = judgePatroni(j, s);
  else if (s.kind === "systemd" && s.systemd !== null) judged = judgeSystemd(j, s, s.systemd);
  else if (s.kind === "container") judged = judgeContainer(j, s);
  return {
    verdict: {
      ...judged.verdict,
      evidence: [...judged.verdict.evidence, ...supervisorEvidence(s)],
    },
    recommendation: judged.recommendation,
  };
}
