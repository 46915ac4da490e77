// Rung 3: SIGKILL every verified member (the postmaster frozen first), then only the IPC and file cleanup the
// evidence calls for or the operator asks for.
import type { TActionCheck, TActionOp, TSemIdentity } from "../actions/action-script.ts";
import { PG_SEMAS_PER_SET } from "../diagnosis/identify.ts";
import type { TMember, TSnapshot } from "../diagnosis/snapshot-schema.ts";
import {
  blank,
  cannotRun,
  countClients,
  describeState,
  fileTargets,
  identify,
  INVOCATION_SLACK_SEC,
  LIVE_EVIDENCE,
  pair,
  planPidFileMove,
  plural,
  REAP_WAIT_SEC,
  semaphoresExhausted,
  toProcessTarget,
  type TDraft,
  type TIdentified,
  type TResolved,
} from "./ladder-helpers.ts";
import type { TCleanupOffer, TIpcTarget } from "./ladder-schema.ts";

function semTarget(sem: TSnapshot["ipc"]["sem"][number]): TIpcTarget {
  return {
    kind: "sem",
    id: sem.semid,
    key: sem.key,
    keyHex: sem.keyHex,
    ownerUid: sem.ownerUid,
    nattch: null,
    nsems: sem.nsems,
    creatorPid: sem.creatorPid,
    path: null,
  };
}

function shmTarget(shm: TSnapshot["ipc"]["shm"][number]): TIpcTarget {
  return {
    kind: "shm",
    id: shm.shmid,
    key: shm.key,
    keyHex: shm.keyHex,
    ownerUid: shm.ownerUid,
    nattch: shm.nattch,
    nsems: null,
    creatorPid: null,
    path: null,
  };
}

function dsmTarget(dsm: TSnapshot["dsm"][number]): TIpcTarget {
  return {
    kind: "dsm",
    id: null,
    key: null,
    keyHex: null,
    ownerUid: dsm.ownerUid,
    nattch: null,
    nsems: null,
    creatorPid: null,
    path: dsm.path,
  };
}

const SHM_WARNING =
  "Normally unnecessary: with nattch 0 PostgreSQL reclaims this segment itself at the next start, and through the control handle stored in it also removes the instance's /dev/shm/PostgreSQL.* files. Removing it first makes those files leak until reboot. Only useful when PostgreSQL will not look for it again (the data directory moved or was re-created).";

/** What rung 3 may clean up besides killing: each with whether the evidence alone includes it. */
function planCleanupOffers(r: TResolved): TCleanupOffer[] {
  const s = r.snapshot;
  const offers: TCleanupOffer[] = [];
  const exhausted = semaphoresExhausted(s);
  for (const sem of s.ipc.sem) {
    if (!sem.ours || sem.creatorAlive === true || sem.creatorPid === null) continue;
    if (sem.nsems !== PG_SEMAS_PER_SET) continue;
    const byDefault = exhausted;
    offers.push({
      option: "semaphores",
      target: semTarget(sem),
      included: r.cleanup.semaphores ?? byDefault,
      includedByDefault: byDefault,
      reason: `Set ${sem.semid} (key ${sem.keyHex}) has PostgreSQL's marker 537 and was created by this instance's postmaster ${sem.creatorPid}, which is dead.`,
      warning: exhausted
        ? null
        : 'Not needed for a start: PostgreSQL reuses or removes dead-creator sets at its own keys. Remove only when a start fails with "could not create semaphores: No space left on device".',
    });
  }
  const anyMember = s.members.length > 0;
  for (const shm of s.ipc.shm) {
    if (!shm.ours || shm.nattch !== 0 || shm.unaccountedAttachments !== 0 || anyMember) continue;
    offers.push({
      option: "sharedMemory",
      target: shmTarget(shm),
      included: r.cleanup.sharedMemory ?? false,
      includedByDefault: false,
      reason: `Segment ${shm.keyHex} id ${shm.shmid} is this instance's (${shm.reason}) and nobody is attached.`,
      warning: SHM_WARNING,
    });
  }
  for (const dsm of s.dsm) {
    if (!dsm.removable) continue;
    offers.push({
      option: "dsmFiles",
      target: dsmTarget(dsm),
      included: r.cleanup.dsmFiles ?? false,
      includedByDefault: false,
      reason: `${dsm.path}: ${dsm.reason}.`,
      warning:
        "Only memory is at stake: nothing maps the file and no segment references it, so it stays until reboot unless removed. Removal is re-verified on the host (owner, unmapped, no SysV segment of that user, no PostgreSQL process running).",
    });
  }
  return offers;
}

export function planKill(r: TResolved): TDraft {
  const s = r.snapshot;
  const draft = blank();
  const pmMember = s.members.find((m) => m.isPostmaster);
  const children = s.members.filter(
    (m) => !m.isPostmaster && pmMember !== undefined && m.ppid === pmMember.pid,
  );
  const others = s.members.filter((m) => !m.isPostmaster && !children.includes(m));

  const verify = (members: readonly TMember[]): TIdentified[] =>
    members.flatMap((m) => {
      const id = identify(m, r);
      if (id.ok) return [id.value];
      draft.untargeted.push({ pid: m.pid, reason: id.reason });
      return [];
    });
  const pm = pmMember === undefined ? [] : verify([pmMember]);
  if (pmMember !== undefined && pm.length === 0) {
    return {
      ...cannotRun(
        `The postmaster ${pmMember.pid} cannot be re-verified (${draft.untargeted[0]?.reason ?? "unknown"}): killing only its children would make it restart them.`,
      ),
      untargeted: draft.untargeted,
    };
  }
  const kids = verify(children);
  const rest = verify(others);
  const pmTarget = pm[0];
  const killOrder = [...kids, ...(pmTarget ? [pmTarget] : []), ...rest];

  const offers = planCleanupOffers(r);
  const move = planPidFileMove(r);
  const included = offers.filter((o) => o.included);
  draft.offers = offers;
  if (killOrder.length === 0 && included.length === 0 && move === null) {
    const optional =
      offers.length > 0
        ? ` Optional cleanup can be selected: ${offers.map((o) => `${o.option} (${o.target.kind} ${o.target.id ?? o.target.path ?? ""})`).join(", ")}.`
        : "";
    return {
      ...cannotRun(
        draft.untargeted.length > 0
          ? `No member can be re-verified: ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`
          : `Nothing to act on: no process of this instance runs and no IPC object or file needs removal.${optional}`,
      ),
      offers,
      untargeted: draft.untargeted,
    };
  }

  const ops: TActionOp[] = [];
  // Freeze the postmaster first: a running postmaster would answer its children's deaths with a
  // crash restart and fork new processes between the kills. SIGKILL works on a stopped process.
  if (pmTarget) ops.push({ op: "signal", signal: "STOP", target: pmTarget.identity });
  for (const t of killOrder) ops.push({ op: "signal", signal: "KILL", target: t.identity });
  const zombies = s.zombies;
  if (killOrder.length > 0) {
    ops.push({
      op: "await-gone",
      limitSec: r.killWaitSec,
      targets: killOrder.map((t) => pair(t.identity)),
    });
    ops.push({
      op: "await-reaped",
      limitSec: REAP_WAIT_SEC,
      targets: [...zombies.map(pair), ...killOrder.map((t) => pair(t.identity))],
    });
    ops.push({ op: "report-pgdata-processes" });
    // IPC and file cleanup only after every killed process is really gone.
    ops.push({ op: "guard-no-survivors" });
  }
  const tools: "ipcs"[] = [];
  for (const offer of included) {
    const t = offer.target;
    if (t.kind === "sem" && t.id !== null && t.key !== null && t.creatorPid !== null) {
      const sem: TSemIdentity = {
        semid: t.id,
        key: t.key,
        ownerUid: t.ownerUid,
        creatorPid: t.creatorPid,
      };
      ops.push({ op: "ipcrm-sem", target: sem });
      tools.push("ipcs");
    } else if (t.kind === "shm" && t.id !== null && t.key !== null) {
      ops.push({ op: "ipcrm-shm", target: { shmid: t.id, key: t.key, ownerUid: t.ownerUid } });
    } else if (t.kind === "dsm" && t.path !== null) {
      ops.push({ op: "remove-dsm", target: { path: t.path, ownerUid: t.ownerUid } });
    }
  }
  if (move !== null) {
    ops.push({
      op: "move-pid-file",
      expect: move.expect,
      unownedPid: move.unownedPid,
      to: move.to,
      socketLock: move.socketLock,
    });
  }
  const checks: TActionCheck[] = [
    { check: "pgdata-processes", allowed: killOrder.map((t) => t.identity.pid) },
  ];
  draft.applicable = true;
  draft.spec = {
    rung: 3,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: false,
    tools,
    checks,
    operations: ops,
  };
  draft.processes = killOrder.map((t) =>
    toProcessTarget(t, t === pmTarget ? ["SIGSTOP", "SIGKILL"] : ["SIGKILL"], r.pgdataReal),
  );
  draft.zombies = zombies.map((z) => ({ pid: z.pid, ppid: z.ppid, startTicks: z.startTicks }));
  draft.ipc = included.map((o) => o.target);
  if (move !== null) {
    draft.files = fileTargets(move, r.pgdata);
  }

  const inD = killOrder.filter((t) => t.member.state === "D");
  const problems: string[] = [];
  if (inD.length > 0) {
    problems.push(
      `${inD.map((t) => describeState(t.member)).join("; ")}: in uninterruptible sleep, SIGKILL takes effect only when the kernel call returns — ${inD.length === 1 ? "it" : "they"} may survive the step`,
    );
  }
  if (draft.untargeted.length > 0) {
    problems.push(
      `not killed because the script could not re-verify ${draft.untargeted.length === 1 ? "it" : "them"}: ${draft.untargeted.map((u) => `${u.pid} (${u.reason})`).join("; ")}`,
    );
  }
  if (problems.length > 0) {
    draft.expectedToFail = true;
    draft.blockedReason = `${problems.join(". ")}.`;
  }

  const clients = countClients(killOrder.map((t) => t.member));
  if (killOrder.length > 0) {
    draft.destroys.push(
      `${plural(killOrder.length, "process")} end at once${clients > 0 ? `: the in-flight transactions of ${plural(clients, "client backend")} are rolled back` : ""}`,
      "no checkpoint: the next start runs crash recovery (WAL replay from the last checkpoint)",
      LIVE_EVIDENCE,
    );
  }
  for (const offer of included) {
    const t = offer.target;
    if (t.kind === "sem")
      draft.destroys.push(`semaphore set ${String(t.id)} (${String(t.keyHex)}): holds no data`);
    if (t.kind === "shm")
      draft.destroys.push(
        `SysV segment ${String(t.keyHex)} id ${String(t.id)}: PostgreSQL can no longer reclaim the instance's /dev/shm/PostgreSQL.* files through it`,
      );
    if (t.kind === "dsm")
      draft.destroys.push(`${String(t.path)}: leftover dynamic shared memory, mapped by nobody`);
  }
  if (move !== null)
    draft.destroys.push(`nothing of postmaster.pid: it is moved aside to ${move.to} and kept`);

  const pieces: string[] = [];
  if (killOrder.length > 0) {
    pieces.push(
      `${pmTarget ? `Postmaster ${pmTarget.member.pid} is frozen (SIGSTOP), then ` : ""}${plural(killOrder.length, "process")} get SIGKILL${pmTarget ? " (children first, the postmaster, then the others)" : ""} and disappear within ${r.killWaitSec} s${zombies.length > 0 ? `; the ${plural(zombies.length, "zombie")} ${zombies.length === 1 ? "is" : "are"} reaped by init once ${zombies.length === 1 ? "its" : "their"} parent is gone` : ""}.`,
    );
    const shm = s.ipc.shm.find((x) => x.ours);
    if (shm)
      pieces.push(
        `Segment ${shm.keyHex} id ${shm.shmid} drops to nattch 0; PostgreSQL reclaims it at the next start (no ipcrm needed).`,
      );
  }
  if (included.length > 0)
    pieces.push(
      `Removed: ${included.map((o) => (o.target.kind === "dsm" ? String(o.target.path) : `${o.target.kind} ${String(o.target.id)}`)).join(", ")}.`,
    );
  if (move !== null) pieces.push(`postmaster.pid is moved aside to ${move.to}.`);
  pieces.push("Then start the instance (rung 4).");
  draft.expectedOutcome = pieces.join(" ");
  for (const offer of offers)
    if (!offer.included && offer.warning !== null)
      draft.cautions.push(`Not included (${offer.option}): ${offer.reason} ${offer.warning}`);
  for (const offer of included)
    if (offer.warning !== null)
      draft.cautions.push(`Included on request (${offer.option}): ${offer.warning}`);
  draft.displayExtra = [];
  draft.timeoutSec = r.killWaitSec + REAP_WAIT_SEC + INVOCATION_SLACK_SEC;
  return draft;
}
