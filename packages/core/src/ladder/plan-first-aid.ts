// Rung 0, first aid: SIGCONT to every stopped (T) member, the postmaster last. Nothing ends, nothing is lost.
import type { TActionOp } from "../actions/action-script.ts";
import {
  blank,
  cannotRun,
  identify,
  INVOCATION_SLACK_SEC,
  OBSERVE_AFTER_SEC,
  pair,
  plural,
  toProcessTarget,
  type TDraft,
  type TIdentified,
  type TResolved,
} from "./ladder-helpers.ts";

export function planFirstAid(r: TResolved): TDraft {
  const s = r.snapshot;
  const pm = s.members.find((m) => m.isPostmaster);
  const stopped = s.members.filter((m) => m.state === "T");
  const traced = s.members.filter((m) => m.state === "t");
  if (stopped.length === 0) {
    if (pm?.state === "t" || (s.postmaster.genuine && s.postmaster.state === "t")) {
      return cannotRun(
        `The postmaster ${String(s.postmaster.pid)} is stopped by a tracer (t): SIGCONT does not release it. Detach the debugger or strace, then diagnose again.`,
      );
    }
    return cannotRun(
      traced.length > 0
        ? `Nothing is stopped (T); ${traced.map((m) => m.pid).join(", ")} are held by a tracer (t), which SIGCONT does not release.`
        : "Nothing of this instance is stopped (T): first aid has nothing to resume.",
    );
  }
  const draft = blank();
  // Stopped members first, the postmaster last: when it runs again its children can already act
  // on whatever it tells them (pending shutdown requests included).
  const ordered = [
    ...stopped.filter((m) => !m.isPostmaster),
    ...stopped.filter((m) => m.isPostmaster),
  ];
  const targets: TIdentified[] = [];
  for (const member of ordered) {
    const id = identify(member, r);
    if (id.ok) targets.push(id.value);
    else draft.untargeted.push({ pid: member.pid, reason: id.reason });
  }
  if (targets.length === 0) {
    return {
      ...cannotRun(
        `The stopped process(es) cannot be re-verified: ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`,
      ),
      untargeted: draft.untargeted,
    };
  }
  const ops: TActionOp[] = targets.map((t) => ({
    op: "signal",
    signal: "CONT",
    target: t.identity,
  }));
  ops.push({
    op: "observe",
    afterSec: OBSERVE_AFTER_SEC,
    targets: targets.map((t) => pair(t.identity)),
  });
  const pmTarget = targets.find((t) => t.member.isPostmaster);
  const zombies = pmTarget ? s.zombies.filter((z) => z.parentIsPostmaster) : [];
  if (zombies.length > 0) ops.push({ op: "await-reaped", limitSec: 3, targets: zombies.map(pair) });
  draft.applicable = true;
  draft.spec = {
    rung: 0,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: false,
    tools: [],
    checks: targets.map((t) => ({ check: "pending-signals", pid: t.identity.pid })),
    operations: ops,
  };
  draft.processes = targets.map((t) => toProcessTarget(t, ["SIGCONT"], r.pgdataReal));
  draft.zombies = zombies.map((z) => ({ pid: z.pid, ppid: z.ppid, startTicks: z.startTicks }));
  draft.destroys = [];
  const pmText = pmTarget
    ? `Postmaster ${pmTarget.member.pid} resumes (T → S)${zombies.length > 0 ? ` and reaps its ${plural(zombies.length, "zombie child")}` : ""}. `
    : "";
  draft.expectedOutcome = `${pmText}${
    targets.length > (pmTarget ? 1 : 0)
      ? `Stopped member(s) ${targets
          .filter((t) => !t.member.isPostmaster)
          .map((t) => t.member.pid)
          .join(", ")} resume. `
      : ""
  }If an earlier stop attempt left SIGINT/SIGQUIT pending (the script reports it), the postmaster acts on it at once and shuts down. Diagnose again afterwards: it should answer, or a fast stop (rung 1) will now work.`;
  if (draft.untargeted.length > 0) {
    draft.cautions.push(
      `Not resumed (cannot be re-verified): ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`,
    );
  }
  draft.timeoutSec = OBSERVE_AFTER_SEC + 3 + INVOCATION_SLACK_SEC;
  return draft;
}
