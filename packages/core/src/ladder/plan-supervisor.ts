// The ladder with the supervisor, never against it: each rung as the processes call for it (plan-first-aid, plan-stop,
// plan-kill-and-clean, plan-start), then made to work through a systemd unit (stop and start through systemd, a
// runtime mask before kills the unit would answer with a restart), Patroni (pause before any direct step, resume at
// the end, never a start behind its back) or a container (what cannot work from inside is refused). Pure.
import type {
  TActionCheck,
  TActionOp,
  TPatroniIdentity,
  TProcessIdentity,
} from "../actions/action-spec.ts";
import {
  describeContainerPolicy,
  describeSystemctl,
  PATRONI_DEFAULT_LOOP_WAIT_SEC,
  restartsAfterKill,
} from "../diagnosis/supervisor-judgement.ts";
import type { TRung } from "../diagnosis/snapshot-schema.ts";
import type {
  TPatroni,
  TSupervisor,
  TSystemctlVerb,
  TSystemdUnit,
} from "../diagnosis/supervisor-schema.ts";
import { validateAbsolutePath } from "../shell/quote.ts";
import {
  blank,
  cannotRun,
  INVOCATION_SLACK_SEC,
  type TDraft,
  type TResolved,
} from "./ladder-helpers.ts";

/** Bound of the quick systemctl calls (mask, unmask, reset-failed) and of patronictl pause/resume --wait. */
const QUICK_COMMAND_SEC = 30;
const PATRONICTL_SEC = 60;

/** Who runs a step's manual commands: someone with more rights than the console's login, or the DBA looking. */
const MANUAL_MARK = {
  root: "Not runnable by the console — for someone with root:",
  look: "Not runnable by the console — look by hand:",
} as const;

function withManual(
  draft: TDraft,
  commands: string[],
  why: string,
  who: keyof typeof MANUAL_MARK = "root",
): TDraft {
  return {
    ...cannotRun(`${why} ${MANUAL_MARK[who]} ${commands.join("; ")}.`, draft.expectedOutcome),
    title: draft.title,
    manualCommands: commands,
    cautions: draft.cautions,
  };
}

/** Adds checks to a draft's script (the act phase repeats implied ones; these run in the verify phase). */
function addChecks(draft: TDraft, checks: TActionCheck[]): TDraft {
  if (draft.spec === null) return draft;
  return { ...draft, spec: { ...draft.spec, checks: [...draft.spec.checks, ...checks] } };
}

function needTools(draft: TDraft, tools: ("sudo" | "timeout")[]): TDraft {
  if (draft.spec === null) return draft;
  return { ...draft, spec: { ...draft.spec, tools: [...draft.spec.tools, ...tools] } };
}

// ---------------------------------------------------------------------------------------------------------------
// systemd

type TUnitPlan = { unit: TSystemdUnit; systemctl: string; sudo: boolean };

function missingVerbs(u: TSystemdUnit, verbs: readonly TSystemctlVerb[]): TSystemctlVerb[] {
  if (u.control === "root") return [];
  return verbs.filter((verb) => !u.allowedVerbs.includes(verb));
}

function unitPlan(u: TSystemdUnit): TUnitPlan | null {
  if (u.systemctl === null || !validateAbsolutePath(u.systemctl).ok) return null;
  return { unit: u, systemctl: u.systemctl, sudo: u.control !== "root" };
}

function systemctlOp(
  p: TUnitPlan,
  verb: TSystemctlVerb,
  timeoutSec: number | null,
  expectUnit: boolean,
  postmaster: TProcessIdentity | null = null,
): TActionOp {
  return {
    op: "systemctl",
    verb,
    unit: p.unit.unit,
    systemctl: p.systemctl,
    sudo: p.sudo,
    timeoutSec,
    expect: expectUnit ? unitExpectation(p.unit) : null,
    postmaster,
  };
}

function unitExpectation(u: TSystemdUnit): { mainPid: number | "any"; activeStates: string[] } {
  return { mainPid: u.mainPid ?? "any", activeStates: [u.activeState || "unknown"] };
}

function unitCheck(u: TSystemdUnit): TActionCheck {
  return { check: "unit", unit: u.unit, expect: unitExpectation(u) };
}

function stopBehaviour(u: TSystemdUnit): string {
  if (u.execStop.length > 0) return `its ExecStop (${u.execStop.join(" | ")})`;
  return `its KillSignal (${u.killSignal === "2" ? "SIGINT: a fast shutdown" : u.killSignal === "15" ? "SIGTERM: a smart shutdown" : `signal ${u.killSignal}`}) to the main process${u.killMode === "mixed" ? ", SIGKILL to the rest at the end (KillMode=mixed)" : ""}`;
}

/** The postmaster is alive but the unit does not have it as MainPID while it is active: nothing is safe to assume. */
function unitContradiction(s: TSupervisor, u: TSystemdUnit): string | null {
  if (s.unitOwnsPostmaster !== false || u.activeState !== "active") return null;
  return (
    s.contradictions.find((c) => c.startsWith("a postmaster outside")) ??
    `${u.unit} is active, but not with this postmaster`
  );
}

function planSystemdStop(draft: TDraft, r: TResolved, s: TSupervisor, u: TSystemdUnit): TDraft {
  if (!draft.applicable || draft.spec === null) return draft;
  const contradiction = unitContradiction(s, u);
  if (contradiction !== null)
    return cannotRun(
      `Contradictory evidence: ${contradiction}. Find out which process the unit runs before stopping anything.`,
    );
  if (s.unitOwnsPostmaster !== true) {
    // The postmaster runs outside the unit (inactive or failed): pg_ctl stops it; systemd is not involved.
    return addChecks(
      {
        ...draft,
        cautions: [
          ...draft.cautions,
          `The postmaster runs outside ${u.unit} (${u.activeState}): pg_ctl stops it directly. Start it through the unit afterwards (rung 4), so that systemd knows it again.`,
        ],
      },
      [unitCheck(u)],
    );
  }
  const p = unitPlan(u);
  const missing = missingVerbs(u, ["stop"]);
  if (p === null || missing.length > 0)
    return withManual(
      { ...draft, title: `Fast stop through systemd (systemctl stop ${u.unit})` },
      [describeSystemctl("stop", u.unit)],
      `PostgreSQL runs as ${u.unit}: it is stopped through systemd, and the console's login may not run systemctl stop.`,
    );
  const stop = draft.spec.operations.find((op) => op.op === "pg-ctl-stop");
  if (stop?.op !== "pg-ctl-stop") return draft;
  const T = r.stopTimeoutSec;
  const ops: TActionOp[] = [
    systemctlOp(p, "stop", T, true, stop.postmaster),
    {
      op: "await-gone",
      limitSec: 5,
      targets: [{ pid: stop.postmaster.pid, startTicks: stop.postmaster.startTicks }],
    },
    { op: "report-pgdata-processes" },
  ];
  const prediction = `systemd runs ${u.unit}'s stop, ${stopBehaviour(u)}; the unit ends inactive and Restart=${u.restart || "no"} does not apply (a requested stop is not a failure). systemd itself waits up to TimeoutStopSec (${u.timeoutStopText || "?"}); this step gives up after ${T} s, and then the stop job keeps running in systemd: when TimeoutStopSec runs out, systemd SIGKILLs what is left of the unit (KillMode=${u.killMode || "?"}).`;
  return needTools(
    {
      ...draft,
      title: `Fast stop through systemd (systemctl stop ${u.unit})`,
      expectedOutcome: `${prediction} Then start it through the unit (rung 4).`,
      spec: {
        ...draft.spec,
        requireInstanceUser: false,
        checks: [...draft.spec.checks, { check: "pid-file-names", pid: stop.postmaster.pid }],
        operations: ops,
      },
      processes: draft.processes.map((t) => ({ ...t, signals: ["systemctl stop"] })),
      timeoutSec: T + INVOCATION_SLACK_SEC + 10,
    },
    p.sudo ? ["timeout", "sudo"] : ["timeout"],
  );
}

/** Rungs 2 and 3: mask the unit for this boot first when Restart= would start PostgreSQL behind the step. */
function planSystemdHold(rung: 2 | 3, draft: TDraft, s: TSupervisor, u: TSystemdUnit): TDraft {
  if (!draft.applicable || draft.spec === null) return draft;
  const contradiction = unitContradiction(s, u);
  if (contradiction !== null)
    return cannotRun(
      `Contradictory evidence: ${contradiction}. Find out which process the unit runs before signalling anything.`,
    );
  const reacting = u.activeState !== "inactive" && u.activeState !== "failed";
  const what = rung === 3 ? "the kills" : "the stop";
  if (!restartsAfterKill(u) || !reacting) {
    const reaction =
      u.activeState === "active" && s.unitOwnsPostmaster === true
        ? ` ${u.unit} sees its main process end: ${u.execStop.length > 0 ? `it runs its ExecStop (${u.execStop.join(" | ")}), ` : ""}${u.killMode === "control-group" || u.killMode === "" ? "kills what is left of its control group, " : ""}and ends failed or inactive (Restart=${u.restart || "no"}: no restart). Start it through the unit afterwards (rung 4).`
        : "";
    return addChecks({ ...draft, expectedOutcome: `${draft.expectedOutcome}${reaction}` }, [
      unitCheck(u),
    ]);
  }
  const p = unitPlan(u);
  const missing = missingVerbs(u, ["mask"]);
  if (p === null || missing.length > 0)
    return withManual(
      draft,
      [describeSystemctl("mask", u.unit)],
      `Restart=${u.restart} would make systemd start PostgreSQL again behind ${what}, and the console's login may not mask ${u.unit}. Once it is masked, diagnose again: the console then runs this rung.`,
    );
  const hold = systemctlOp(p, "mask", QUICK_COMMAND_SEC, true);
  return needTools(
    {
      ...draft,
      title: `${rung === 3 ? "Kill" : "Immediate stop"} with ${u.unit} held (systemctl mask --runtime first)`,
      expectedOutcome: `First ${u.unit} is masked for this boot (systemctl mask --runtime: Restart=${u.restart} can no longer start PostgreSQL, nor can anyone else until it is unmasked). ${draft.expectedOutcome} The unit ends failed, not restarted; rung 4 unmasks it, resets the failure and starts it through the unit.`,
      destroys: [
        ...draft.destroys,
        `${u.unit} cannot be started until rung 4 (or systemctl unmask --runtime) undoes the mask; a reboot also ends it`,
      ],
      spec: { ...draft.spec, operations: [hold, ...draft.spec.operations] },
      timeoutSec: draft.timeoutSec + QUICK_COMMAND_SEC,
    },
    p.sudo ? ["timeout", "sudo"] : ["timeout"],
  );
}

function planSystemdStart(draft: TDraft, r: TResolved, u: TSystemdUnit): TDraft {
  if (!draft.applicable || draft.spec === null) return draft;
  if (u.unitFileState === "masked" || (u.loadState === "masked" && !u.maskedRuntime)) {
    return cannotRun(
      `${u.unit} is masked permanently (systemctl mask, in /etc): someone disabled it on purpose. Unmask it deliberately (systemctl unmask ${u.unit}) before starting PostgreSQL.`,
    );
  }
  const verbs: TSystemctlVerb[] = u.maskedRuntime
    ? ["unmask", "reset-failed", "start"]
    : ["reset-failed", "start"];
  const title = `Start through systemd (systemctl start ${u.unit}) and verify`;
  const p = unitPlan(u);
  const missing = missingVerbs(u, verbs);
  if (p === null || missing.length > 0)
    return withManual(
      { ...draft, title },
      verbs.map((verb) => describeSystemctl(verb, u.unit)),
      `PostgreSQL is run by ${u.unit}: it is started through systemd (pg_ctl start would put a postmaster outside the unit), and the console's login may not run ${missing.map((verb) => `systemctl ${verb}`).join(", ")}.`,
    );
  const T = r.startTimeoutSec;
  const ops: TActionOp[] = [];
  let first = true;
  for (const op of draft.spec.operations) {
    if (op.op === "pg-ctl-start") {
      for (const verb of verbs) {
        ops.push(systemctlOp(p, verb, verb === "start" ? T : QUICK_COMMAND_SEC, first));
        first = false;
      }
    } else if (op.op === "verify-ready") {
      ops.push(op, { op: "verify-unit", unit: u.unit });
    } else ops.push(op);
  }
  const problems: string[] = [];
  if (u.style === "debian" && r.snapshot.supervisor.debianCluster?.startConf === "disabled") {
    problems.push(
      "start.conf says disabled: pg_ctlcluster refuses to start this cluster, so the unit will fail",
    );
  }
  const execStart = u.execStart.length > 0 ? ` (${u.execStart.join(" | ")})` : "";
  return needTools(
    {
      ...draft,
      title,
      expectedToFail: draft.expectedToFail || problems.length > 0,
      blockedReason:
        problems.length > 0
          ? [draft.blockedReason, `${problems.join("; ")}.`].filter((x) => x !== null).join(" ")
          : draft.blockedReason,
      expectedOutcome: `${u.maskedRuntime ? `${u.unit} is unmasked (its Restart=${u.restart || "no"} applies again), ` : ""}its failed state is reset, and systemd starts it${execStart}; systemctl start returns once the unit is active (this step waits at most ${T} s). pg_isready then reports "accepting connections", select 1 returns 1, and the unit is active with the new postmaster as its MainPID.`,
      spec: { ...draft.spec, operations: ops, checks: [...draft.spec.checks] },
      timeoutSec: draft.timeoutSec + QUICK_COMMAND_SEC * 2,
      cautions: draft.cautions.filter((c) => !c.startsWith("No server log file was given")),
    },
    p.sudo ? ["timeout", "sudo"] : ["timeout"],
  );
}

function adaptToSystemd(
  rung: TRung,
  draft: TDraft,
  r: TResolved,
  s: TSupervisor,
  u: TSystemdUnit,
): TDraft {
  switch (rung) {
    case 0:
      return restartsAfterKill(u) && draft.applicable
        ? {
            ...draft,
            cautions: [
              ...draft.cautions,
              `Restart=${u.restart}: if the postmaster shuts down once resumed (a stop signal was pending), ${u.unit} starts it again by itself.`,
            ],
          }
        : draft;
    case 1:
      return planSystemdStop(draft, r, s, u);
    case 2:
    case 3:
      return planSystemdHold(rung, draft, s, u);
    case 4:
      return planSystemdStart(draft, r, u);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Patroni

function patroniIdentity(p: TPatroni, paused: boolean): TPatroniIdentity | null {
  if (p.startTicks === null) return null;
  return { url: p.restUrl, pid: p.pid, startTicks: p.startTicks, paused };
}

function patronictlCommand(p: TPatroni, verb: "pause" | "resume"): string {
  return `patronictl -c ${p.configFile ?? "<Patroni's configuration>"} ${verb} --wait`;
}

/** Why patronictl cannot be run by the console, or null when it can. */
function patronictlBlocked(p: TPatroni): string | null {
  if (p.patronictl === null) return "patronictl is not installed on the host";
  if (p.configFile === null) return "Patroni's configuration file is unknown";
  if (!p.configReadable)
    return `Patroni's configuration ${p.configFile} is not readable by the console's login`;
  if (!validateAbsolutePath(p.patronictl).ok || !validateAbsolutePath(p.configFile).ok)
    return "patronictl's or the configuration's path cannot be put into a script safely";
  if (p.startTicks === null) return "Patroni's process could not be identified (start time)";
  return null;
}

function planPatroniPause(draft: TDraft, r: TResolved, p: TPatroni): TDraft {
  const title = "Maintenance mode: pause Patroni (patronictl pause)";
  const outcome =
    "Patroni stops acting on PostgreSQL — no restart, no failover, no demotion — until it is resumed; PostgreSQL itself is not touched. Diagnose again: the direct rungs become possible, and rung 4 resumes Patroni at the end.";
  const blocked = patronictlBlocked(p);
  const identity = patroniIdentity(p, false);
  if (blocked !== null || identity === null || p.configFile === null || p.patronictl === null)
    return withManual(
      { ...draft, title, expectedOutcome: outcome },
      [patronictlCommand(p, "pause")],
      `Patroni has to be paused first, and ${blocked ?? "its process could not be identified"}.`,
    );
  return {
    ...blank(),
    title,
    applicable: true,
    expectedOutcome: outcome,
    destroys: [
      "nothing of PostgreSQL; while paused, Patroni does not fail over or restart it (the cluster has no automatic HA until resumed)",
    ],
    spec: {
      rung: 0,
      pgdata: r.pgdata,
      pgdataReal: r.pgdataReal,
      instanceUid: r.instanceUid,
      requireInstanceUser: false,
      tools: ["timeout"],
      checks: [],
      operations: [
        {
          op: "patronictl",
          verb: "pause",
          patronictl: p.patronictl,
          config: p.configFile,
          timeoutSec: PATRONICTL_SEC,
          patroni: identity,
        },
        { op: "verify-patroni", url: p.restUrl, limitSec: QUICK_COMMAND_SEC, paused: true },
      ],
    },
    timeoutSec: PATRONICTL_SEC + QUICK_COMMAND_SEC + INVOCATION_SLACK_SEC,
  };
}

function planPatroniResume(draft: TDraft, r: TResolved, p: TPatroni): TDraft {
  const running = r.postmasterAlive;
  const title = running
    ? "Hand the instance back: resume Patroni (patronictl resume)"
    : "Resume Patroni: it starts PostgreSQL; then verify";
  const blocked = patronictlBlocked(p);
  const identity = patroniIdentity(p, true);
  if (!running && (!draft.applicable || draft.spec === null)) return { ...draft, title };
  if (blocked !== null || identity === null || p.configFile === null || p.patronictl === null)
    return withManual(
      { ...draft, title },
      [patronictlCommand(p, "resume")],
      `Patroni is paused and ${blocked ?? "its process could not be identified"}.`,
    );
  const resume: TActionOp = {
    op: "patronictl",
    verb: "resume",
    patronictl: p.patronictl,
    config: p.configFile,
    timeoutSec: PATRONICTL_SEC,
    patroni: identity,
  };
  const verifyLimit = PATRONI_DEFAULT_LOOP_WAIT_SEC * 2 + QUICK_COMMAND_SEC;
  if (running) {
    return {
      ...blank(),
      title,
      applicable: true,
      expectedOutcome: `Patroni leaves maintenance mode and manages PostgreSQL again (restarts, failover); it reports it running within an HA cycle (loop_wait, ${String(PATRONI_DEFAULT_LOOP_WAIT_SEC)} s by default).`,
      destroys: [
        "nothing of PostgreSQL as long as Patroni finds it healthy; from now on Patroni restarts, demotes or fails it over on its own",
      ],
      cautions: ["If the pause is someone else's planned maintenance, leave it: skip this step."],
      spec: {
        rung: 4,
        pgdata: r.pgdata,
        pgdataReal: r.pgdataReal,
        instanceUid: r.instanceUid,
        requireInstanceUser: false,
        tools: ["timeout"],
        checks: [],
        operations: [
          resume,
          { op: "verify-patroni", url: p.restUrl, limitSec: verifyLimit, paused: false },
        ],
      },
      timeoutSec: PATRONICTL_SEC + verifyLimit + INVOCATION_SLACK_SEC,
    };
  }
  if (draft.spec === null || r.pgBin === null) return draft;
  const limit = r.startTimeoutSec + PATRONI_DEFAULT_LOOP_WAIT_SEC * 2;
  const ops: TActionOp[] = [];
  for (const op of draft.spec.operations) {
    if (op.op === "pg-ctl-start") {
      ops.push(resume, {
        op: "await-ready",
        limitSec: limit,
        pgIsReady: `${r.pgBin}/pg_isready`,
        logFile: r.logFileDefaulted ? null : r.logFile,
      });
    } else if (op.op === "verify-ready") {
      ops.push(op, { op: "verify-patroni", url: p.restUrl, limitSec: verifyLimit, paused: false });
    } else ops.push(op);
  }
  return {
    ...draft,
    title,
    expectedOutcome: `Patroni leaves maintenance mode and, on its next HA cycle (loop_wait, ${String(PATRONI_DEFAULT_LOOP_WAIT_SEC)} s by default), starts PostgreSQL itself — with its own options, as leader when it holds or takes the leader lock; crash recovery runs first if the last shutdown was not clean. This step waits up to ${String(limit)} s for pg_isready to accept, runs select 1, and checks that Patroni reports it running and not paused.`,
    cautions: draft.cautions.filter((c) => !c.startsWith("No server log file was given")),
    spec: {
      ...draft.spec,
      requireInstanceUser: true,
      tools: [...draft.spec.tools, "timeout"],
      operations: ops,
    },
    timeoutSec: PATRONICTL_SEC + limit + verifyLimit + INVOCATION_SLACK_SEC,
  };
}

function adaptToPatroni(rung: TRung, draft: TDraft, r: TResolved, p: TPatroni): TDraft {
  const status = p.status;
  if (status === null) {
    return withManual(
      draft,
      [`patronictl -c ${p.configFile ?? "<Patroni's configuration>"} list`],
      `Patroni runs (PID ${String(p.pid)}) but its REST API did not answer (${p.error ?? "no answer"}): whether it is paused is unknown, and a direct step could fight it. Look at it, then diagnose again.`,
      "look",
    );
  }
  if (!status.paused) {
    if (rung === 0) return planPatroniPause(draft, r, p);
    const pgDown = !r.postmasterAlive && r.snapshot.members.length === 0;
    return {
      ...cannotRun(
        rung === 4 && pgDown
          ? `Patroni manages this instance and is not paused: it starts PostgreSQL itself on its next HA cycle (loop_wait, ${String(PATRONI_DEFAULT_LOOP_WAIT_SEC)} s by default). A pg_ctl start behind its back would fight it; to start it yourself, pause Patroni (rung 0) — then rung 4 resumes it and Patroni starts PostgreSQL.`
          : `Patroni manages this instance and is not paused (role ${status.role ?? "?"}, state ${status.state ?? "?"}): a direct step would fight it — it restarts or demotes PostgreSQL on its own. Pause it first (rung 0, maintenance mode).`,
        draft.expectedOutcome,
      ),
      title: draft.title,
    };
  }
  if (rung === 4) return planPatroniResume(draft, r, p);
  const identity = patroniIdentity(p, true);
  if (!draft.applicable || draft.spec === null) return draft;
  if (identity === null)
    return cannotRun(
      "Patroni's process could not be identified (start time): its pause state cannot be re-checked.",
    );
  return addChecks(
    {
      ...draft,
      cautions: [
        ...draft.cautions,
        "Patroni is paused (maintenance mode): it does not react to this step. The script checks that it is still paused first; rung 4 resumes it at the end.",
      ],
    },
    [{ check: "patroni", patroni: identity }],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Containers

function adaptToContainer(rung: TRung, draft: TDraft, s: TSupervisor): TDraft {
  const c = s.container;
  if (c === null || !draft.applicable) return draft;
  if (rung === 3 && c.postmasterIsPid1)
    return cannotRun(
      "The postmaster is the container's PID 1: the kernel ignores SIGKILL and SIGSTOP sent to it from inside its PID namespace, so this rung cannot work here. Restart the container from its runtime (docker/podman restart, or let Kubernetes restart the pod).",
    );
  if (rung === 4 && !c.pid1Reaps)
    return cannotRun(
      `This is a container whose PID 1 (${c.pid1 ?? "?"}) is not an init: a postmaster started here would not belong to the container's main process, nobody would reap its children, and the runtime would not stop it cleanly. Restart the container from its runtime instead.`,
    );
  if (rung === 4)
    return {
      ...draft,
      cautions: [
        ...draft.cautions,
        `In this ${c.runtime === null ? "" : `${c.runtime} `}container the new postmaster is adopted by PID 1 (${c.pid1 ?? "?"}), which reaps its children; it is not the container's main process, so the runtime's own stop or restart does not stop it cleanly.`,
      ],
    };
  const policy = describeContainerPolicy(c);
  if (policy === null || rung === 0) return draft;
  return { ...draft, cautions: [...draft.cautions, policy] };
}

/** One rung's draft, made to work with whoever supervises the postmaster. */
export function adaptToSupervisor(rung: TRung, draft: TDraft, r: TResolved): TDraft {
  const s = r.snapshot.supervisor;
  if (s.kind === "patroni" && s.patroni !== null) return adaptToPatroni(rung, draft, r, s.patroni);
  if (s.kind === "systemd" && s.systemd !== null)
    return adaptToSystemd(rung, draft, r, s, s.systemd);
  if (s.kind === "container") return adaptToContainer(rung, draft, s);
  return draft;
}
