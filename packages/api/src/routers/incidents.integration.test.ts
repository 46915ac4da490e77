// Whole incidents through the API (createCaller, real store, real lab hosts over sshd): diagnosis → approvals → steps → healthy,
// with the other instance and foreign IPC untouched and every command, output, approval and snapshot in the history.
import {
  diffHostStates,
  startLabHost,
  type THostState,
  type TLabHost,
  type TLabInstance,
  type TScenario,
  type TScenarioState,
} from "@pgrescue/lab";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markInterruptedSteps } from "../services/interrupted-steps.ts";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];

let lab: TLabHost;
let server: TTestServer;
let admin: TCaller;
let operator: TCaller;
let approver: TCaller;
const instances = new Map<string, { lab: TLabInstance; id: string }>();

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-incidents" });
  server = await startTestServer({ pgCtlTimeoutSec: 8 });
  admin = (await server.callerAs("ADMIN")).caller;
  operator = (await server.callerAs("OPERATOR", "night-operator")).caller;
  approver = (await server.callerAs("APPROVER", "night-approver")).caller;
  await admin.policy.update({ fourEyesRungs: [2, 3], approvalTtlMinutes: null });
  await admin.hosts.add({
    name: "lab",
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
  for (const [name, major] of [
    ["pg15", 15],
    ["pg18", 18],
  ] as const) {
    const pg = await lab.createInstance({ name, major });
    const added = await admin.instances.add({
      host: "lab",
      pgdata: pg.pgdata,
      pgBin: pg.binDir,
      logFile: pg.logFile,
      name,
    });
    instances.set(name, { lab: pg, id: added.id });
  }
}, 120_000);

afterAll(async () => {
  await server.close();
  await lab.stop();
});

function instance(name: string): { lab: TLabInstance; id: string } {
  const found = instances.get(name);
  if (found === undefined) throw new Error(`no instance ${name}`);
  return found;
}

async function query(pg: TLabInstance, sql: string): Promise<string> {
  const result = await lab.exec(
    `'${pg.binDir}/psql' -X -At -h '${pg.socketDir}' -p ${String(pg.port)} -U postgres -d postgres -c "${sql}"`,
    { user: "postgres" },
  );
  if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

type TStep = NonNullable<Awaited<ReturnType<TCaller["incidents"]["open"]>>["step"]>;

/** Approve (with the typed confirmation a destructive rung asks for) and run each proposed step until the instance is healthy. */
async function driveToHealthy(incidentId: string, first: TStep | null): Promise<string[]> {
  const verdicts: string[] = [];
  let step = first;
  for (let round = 0; round < 8; round += 1) {
    if (step === null) {
      // Nothing to run (e.g. crash recovery after SIGCONT is still going on): look again shortly.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const again = await operator.incidents.diagnose({ incidentId });
      verdicts.push(again.verdict);
      if (again.verdict === "healthy") return verdicts;
      step = again.step;
      continue;
    }
    await approver.steps.approve({
      stepId: step.id,
      confirm: step.confirmationRequired ?? undefined,
    });
    const outcome = await operator.steps.run({ stepId: step.id });
    expect(outcome.step.status, `rung ${String(step.rung)}: ${outcome.step.error ?? ""}`).toBe(
      "SUCCEEDED",
    );
    verdicts.push(`rung ${String(step.rung)} → ${outcome.verdict ?? "?"}`);
    if (outcome.verdict === "healthy") return verdicts;
    step = outcome.nextStep;
  }
  throw new Error(`not healthy after 8 rounds: ${verdicts.join(", ")}`);
}

/** Everything on the host that is not the instance's: other processes and every IPC object not listed as ours. */
function foreignState(
  state: THostState,
  pgdata: string,
  ours: { shmids: number[]; semids: number[] },
) {
  return {
    processes: state.processes
      .filter(
        (process) =>
          process.cwd !== pgdata &&
          process.comm !== "sshd" &&
          !process.args.startsWith("sshd:") &&
          process.state !== "Z",
      )
      .filter((process) => !/\b(psql|pg_ctl|pg_isready|sh -s)\b/.test(process.args))
      .map((process) => `${String(process.pid)}@${String(process.startTime)} ${process.args}`)
      .sort(),
    shm: state.shm.filter((segment) => !ours.shmids.includes(segment.shmid)),
    sem: state.sem.filter((set) => !ours.semids.includes(set.semid)),
  };
}

async function expectCompleteHistory(incidentId: string): Promise<void> {
  const detail = await operator.incidents.get({ incidentId });
  const ran = detail.steps.filter((step) => step.startedAt !== null);
  expect(ran.length).toBeGreaterThan(0);
  for (const step of ran) {
    expect(step.script).not.toBe("");
    // The stored plan, report and evidence come back in core's types.
    expect(step.plan?.script).toBe(step.script);
    expect(step.result?.exitCode).toBe(step.exitCode);
    expect(step.approvedBy?.email).toMatch(/^night-approver/);
    expect(step.requestedBy).not.toBeNull();
    expect(step.output.length).toBeGreaterThan(0);
    expect(step.exitCode).not.toBeNull();
    expect(step.resultSnapshotId).not.toBeNull();
    if (step.rung >= 2) expect(step.confirmation).toBe(step.confirmationRequired);
    if (step.rung >= 1) expect(step.evidence).not.toBeNull();
  }
  expect(detail.snapshots.length).toBeGreaterThanOrEqual(ran.length + 1);
  const actions = detail.auditEvents.map((event) => event.action);
  // The opening diagnosis comes first in the trail, then the incident.
  expect(actions.slice(0, 2)).toEqual(["diagnosis.run", "incident.open"]);
  for (const action of [
    "incident.open",
    "diagnosis.run",
    "step.propose",
    "step.approve",
    "step.run",
    "step.finish",
  ])
    expect(actions).toContain(action);
  const markdown = await operator.incidents.export({ incidentId, format: "md" });
  for (const step of ran) {
    const firstCommand = step.displayCommands[0] ?? "";
    expect(firstCommand).not.toBe("");
    expect(markdown.body).toContain(firstCommand);
  }
  expect(markdown.body).toContain("## Audit trail");
  const json = JSON.parse(
    (await operator.incidents.export({ incidentId, format: "json" })).body,
  ) as { snapshots: { rawStdout: string }[] };
  expect(json.snapshots.every((snapshot) => snapshot.rawStdout.includes("@@pgrescue:"))).toBe(true);
}

async function runScenario(
  name: string,
  scenario: TScenario,
): Promise<{ state: TScenarioState; verdicts: string[]; incidentId: string }> {
  const { lab: pg, id } = instance(name);
  await lab.breakInstance(pg, "healthy");
  const state = await lab.breakInstance(pg, scenario);
  const ours = {
    shmids: state.shm === null ? [] : [state.shm.shmid],
    semids: state.semaphores.filter((set) => set.ours).map((set) => set.semid),
  };
  const before = await lab.captureState();
  const opened = await operator.incidents.open({ instanceId: id });
  expect(opened.verdict).not.toBe("healthy");
  const verdicts = await driveToHealthy(opened.incident.id, opened.step);
  expect(await query(pg, "select 42")).toBe("42");
  const after = await lab.captureState();
  const pgdata = pg.pgdata;
  // The instance's own new segment after the restart is not "foreign" either.
  const newOurs = after.shm
    .filter((segment) => !before.shm.some((old) => old.shmid === segment.shmid))
    .map((segment) => segment.shmid);
  expect(foreignState(after, pgdata, { ...ours, shmids: [...ours.shmids, ...newOurs] })).toEqual(
    foreignState(before, pgdata, ours),
  );
  await expectCompleteHistory(opened.incident.id);
  await operator.incidents.close({
    incidentId: opened.incident.id,
    outcome: "RECOVERED",
    summary: `${scenario}: ${verdicts.join("; ")}`,
  });
  return { state, verdicts, incidentId: opened.incident.id };
}

describe("whole incidents to healthy", () => {
  it("zombies (the runbook's case, PostgreSQL 15): first aid resumes the postmaster, which reaps its zombies", async () => {
    const { verdicts } = await runScenario("pg15", "zombies");
    expect(verdicts[0]).toMatch(/^rung 0 /);
  });

  it("orphan-attached (PostgreSQL 18): the orphan holding the segment is killed, then the instance starts", async () => {
    const { verdicts } = await runScenario("pg18", "orphan-attached");
    expect(verdicts[0]).toMatch(/^rung 3 /);
    expect(verdicts[verdicts.length - 1]).toMatch(/^rung 4 → healthy/);
  });

  it("stale-pidfile (PostgreSQL 15): start over the stale pid file", async () => {
    const { verdicts } = await runScenario("pg15", "stale-pidfile");
    expect(verdicts).toEqual(["rung 4 → healthy"]);
  });

  it("legacy-semaphores (PostgreSQL 18): other users' and other applications' semaphore sets are left alone", async () => {
    const { state } = await runScenario("pg18", "legacy-semaphores");
    const sets = (await lab.captureState()).sem.map((set) => set.semid);
    for (const foreign of state.semaphores.filter((set) => !set.ours))
      expect(sets).toContain(foreign.semid);
  });

  it("two-instances (PostgreSQL 15): the twin keeps running, untouched, while the first instance is killed and restarted", async () => {
    const { lab: pg } = instance("pg15");
    await lab.breakInstance(pg, "healthy");
    const twoState = await lab.breakInstance(pg, "two-instances");
    const twin = twoState.twin;
    if (twin === null) throw new Error("no twin");
    const twinBefore = (await lab.captureState()).processes.filter(
      (process) => process.cwd === twin.instance.pgdata,
    );
    const { verdicts } = await runScenario("pg15", "orphan-attached");
    expect(verdicts[0]).toMatch(/^rung 3 /);
    const twinAfter = (await lab.captureState()).processes.filter(
      (process) => process.cwd === twin.instance.pgdata,
    );
    expect(twinAfter.map((p) => `${String(p.pid)}@${String(p.startTime)}`).sort()).toEqual(
      twinBefore.map((p) => `${String(p.pid)}@${String(p.startTime)}`).sort(),
    );
    expect(await query(twin.instance, "select 7")).toBe("7");
  });
});

describe("approvals that run nothing, and drift", () => {
  async function openOnZombies(): Promise<{
    incidentId: string;
    rung3: TStep;
    before: THostState;
  }> {
    const { lab: pg, id } = instance("pg15");
    await lab.breakInstance(pg, "healthy");
    await lab.breakInstance(pg, "zombies");
    const opened = await operator.incidents.open({ instanceId: id });
    const rung3 = await operator.steps.propose({
      incidentId: opened.incident.id,
      rung: 3,
      reason: "the postmaster has been stopped for an hour; no time for gentler rungs",
    });
    return { incidentId: opened.incident.id, rung3, before: await lab.captureState() };
  }

  async function expectNothingRan(
    incidentId: string,
    stepId: string,
    before: THostState,
  ): Promise<void> {
    const detail = await operator.incidents.get({ incidentId });
    const step = detail.steps.find((candidate) => candidate.id === stepId);
    expect(step?.startedAt).toBeNull();
    expect(step?.output).toEqual([]);
    const changes = diffHostStates(before, await lab.captureState(), {
      ignoreProcess: (process) => process.comm === "sshd" || process.args.startsWith("sshd:"),
    });
    expect(changes).toEqual([]);
  }

  it("refuses a wrong typed confirmation, the requester approving under four-eyes, and an expired approval", async () => {
    const { incidentId, rung3, before } = await openOnZombies();
    expect(rung3.confirmationRequired).toBe("pg15");
    expect(rung3.choiceReason).toMatch(/no time for gentler rungs/);
    expect(rung3.skipReason).toBeNull();

    await expect(approver.steps.approve({ stepId: rung3.id, confirm: "pg18" })).rejects.toThrow(
      /confirmation does not match.*pg15/,
    );
    await expect(approver.steps.approve({ stepId: rung3.id })).rejects.toThrow(
      /type the instance's name \(pg15\)/,
    );
    // The operator who requested rung 3 holds only the operator role; an approver who requested it may not approve it either.
    const requesterApprover = await server.callerAs("APPROVER", "requesting-approver");
    const own = await requesterApprover.caller.steps.propose({
      incidentId,
      rung: 3,
      reason: "second opinion",
    });
    await expect(
      requesterApprover.caller.steps.approve({ stepId: own.id, confirm: "pg15" }),
    ).rejects.toThrow(/needs a second person/);
    await expect(operator.steps.approve({ stepId: own.id, confirm: "pg15" })).rejects.toSatisfy(
      (error: unknown) => error instanceof TRPCError && error.code === "FORBIDDEN",
    );
    await expect(operator.steps.run({ stepId: own.id })).rejects.toThrow(
      /only an approved step runs/,
    );
    await expectNothingRan(incidentId, own.id, before);

    await approver.steps.approve({ stepId: own.id, confirm: "pg15" });
    await server.store.db.step.update({
      where: { id: own.id },
      data: { approvalExpiresAt: new Date(Date.now() - 1000) },
    });
    await expect(operator.steps.run({ stepId: own.id })).rejects.toThrow(
      /approval of step \d+ expired/,
    );
    await expectNothingRan(incidentId, own.id, before);
    const expired = (await operator.incidents.get({ incidentId })).steps.find(
      (step) => step.id === own.id,
    );
    expect(expired?.status).toBe("EXPIRED");
    const audit = (await operator.incidents.get({ incidentId })).auditEvents.filter(
      (event) => event.action === "step.approval-refused",
    );
    expect(audit.length).toBeGreaterThanOrEqual(3);
    // Why a rung was chosen and why it was skipped are two fields: skipping keeps the first.
    const chosen = await operator.steps.propose({
      incidentId,
      rung: 3,
      reason: "chosen for the skip test",
    });
    expect(
      await operator.steps.skip({ stepId: chosen.id, reason: "decided against it" }),
    ).toMatchObject({
      status: "SKIPPED",
      choiceReason: "chosen for the skip test",
      skipReason: "decided against it",
    });
    await operator.incidents.close({ incidentId, outcome: "ABORTED", summary: "refusal test" });
  });

  it("a process table that changed between approval and run makes the script refuse, changes nothing, and a new approval is needed", async () => {
    const { incidentId, rung3 } = await openOnZombies();
    await approver.steps.approve({ stepId: rung3.id, confirm: "pg15" });
    // Drift: one of the planned targets (the checkpointer) dies after the approval.
    const victim = rung3.plan?.targets.processes.find((target) => target.role === "checkpointer");
    if (victim === undefined) throw new Error("no checkpointer in the plan");
    await lab.exec(`kill -KILL ${String(victim.pid)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await lab.captureState();
    const outcome = await operator.steps.run({ stepId: rung3.id });
    expect(outcome.step.status).toBe("REFUSED");
    expect(outcome.step.exitCode).toBe(3);
    expect(outcome.step.error).toMatch(new RegExp(String(victim.pid)));
    const changes = diffHostStates(before, await lab.captureState(), {
      ignoreProcess: (process) => process.comm === "sshd" || process.args.startsWith("sshd:"),
    });
    expect(changes).toEqual([]);
    // The re-diagnosis proposed a fresh step that needs its own approval.
    expect(outcome.nextStep?.status).toBe("PROPOSED");
    expect(outcome.nextStep?.id).not.toBe(rung3.id);
    await expect(operator.steps.run({ stepId: rung3.id })).rejects.toThrow(
      /only an approved step runs/,
    );
    const next = outcome.nextStep;
    if (next === null) throw new Error("no next step");
    await driveToHealthy(incidentId, next);
    await operator.incidents.close({ incidentId, outcome: "RECOVERED", summary: "drift test" });
  });

  it("streams step state changes and output chunks live while a step runs", async () => {
    const { lab: pg, id } = instance("pg15");
    await lab.breakInstance(pg, "healthy");
    await lab.breakInstance(pg, "stale-pidfile");
    const opened = await operator.incidents.open({ instanceId: id });
    const step = opened.step;
    if (step === null) throw new Error("no step proposed");
    const events: { kind: string; status?: string; seq?: number }[] = [];
    const stream = await operator.incidents.events({ incidentId: opened.incident.id });
    const collecting = (async () => {
      for await (const event of stream) {
        events.push(event);
        // Leaving the loop ends the subscription (its listener is removed).
        if (event.kind === "snapshot") break;
      }
    })();
    await approver.steps.approve({
      stepId: step.id,
      confirm: step.confirmationRequired ?? undefined,
    });
    await operator.steps.run({ stepId: step.id });
    await Promise.race([collecting, new Promise((resolve) => setTimeout(resolve, 5000))]);
    const statuses = events.filter((event) => event.kind === "step").map((event) => event.status);
    expect(statuses).toEqual(expect.arrayContaining(["RUNNING", "SUCCEEDED"]));
    const outputSeqs = events
      .filter((event) => event.kind === "output")
      .map((event) => event.seq ?? 0);
    expect(outputSeqs.length).toBeGreaterThan(0);
    expect(outputSeqs).toEqual([...outputSeqs].sort((a, b) => a - b));
    expect(events.some((event) => event.kind === "snapshot")).toBe(true);
    await operator.incidents.close({
      incidentId: opened.incident.id,
      outcome: "RECOVERED",
      summary: "streamed",
    });
  });

  it("marks a step that was running when the console stopped as INTERRUPTED at the next start", async () => {
    const { lab: pg, id } = instance("pg18");
    await lab.breakInstance(pg, "stale-pidfile");
    const opened = await operator.incidents.open({ instanceId: id });
    const step = opened.step;
    if (step === null) throw new Error("no step proposed");
    // What a console that died mid-step leaves behind.
    await server.store.db.step.update({
      where: { id: step.id },
      data: { status: "RUNNING", startedAt: new Date() },
    });
    expect(await markInterruptedSteps(server.store.db)).toBe(1);
    const detail = await operator.incidents.get({ incidentId: opened.incident.id });
    expect(detail.steps.find((candidate) => candidate.id === step.id)).toMatchObject({
      status: "INTERRUPTED",
      error: expect.stringMatching(/outcome is unknown/) as unknown,
    });
    await operator.incidents.close({
      incidentId: opened.incident.id,
      outcome: "ABORTED",
      summary: "console restarted",
    });
    await lab.breakInstance(pg, "healthy");
  });

  it("never lets a credential leave the server: not in host listings, not in exports, not in the store in plaintext", async () => {
    const secretMarker = "OPENSSH PRIVATE KEY";
    expect(lab.logins.postgres.privateKey).toContain(secretMarker);
    expect(JSON.stringify(await admin.hosts.list())).not.toContain(secretMarker);
    const { lab: pg, id } = instance("pg18");
    await lab.breakInstance(pg, "healthy");
    const opened = await operator.incidents.open({ instanceId: id });
    await operator.incidents.close({
      incidentId: opened.incident.id,
      outcome: "FALSE_ALARM",
      summary: "credential check",
    });
    for (const format of ["md", "json"] as const) {
      expect(
        (await operator.incidents.export({ incidentId: opened.incident.id, format })).body,
      ).not.toContain(secretMarker);
    }
    const sealed = await server.store.db.credential.findMany({ select: { sealed: true } });
    expect(sealed.length).toBeGreaterThan(0);
    for (const row of sealed)
      expect(Buffer.from(row.sealed).toString("latin1")).not.toContain(secretMarker);
  });

  it("keeps one active incident per instance", async () => {
    const { lab: pg, id } = instance("pg18");
    await lab.breakInstance(pg, "healthy");
    const first = await operator.incidents.open({ instanceId: id });
    await expect(operator.incidents.open({ instanceId: id })).rejects.toThrow(/already open/);
    await operator.incidents.close({
      incidentId: first.incident.id,
      outcome: "FALSE_ALARM",
      summary: "healthy",
    });
    const list = await operator.incidents.list({
      instance: "pg18",
      outcome: "FALSE_ALARM",
      limit: 10,
    });
    expect(list.items.map((item) => item.id)).toContain(first.incident.id);
  });
});

describe("stored diagnoses", () => {
  it("reads a diagnosis back for any viewer, with the probe's raw output only on request", async () => {
    const { lab: pg, id } = instance("pg15");
    await lab.breakInstance(pg, "healthy");
    const diagnosis = await operator.instances.diagnose({ instanceId: id });
    const viewer = (await server.callerAs("VIEWER", "night-viewer")).caller;

    const stored = await viewer.instances.snapshot({ snapshotId: diagnosis.snapshotId });
    expect(stored).toMatchObject({
      snapshotId: diagnosis.snapshotId,
      instanceId: id,
      incidentId: null,
      materialHash: diagnosis.materialHash,
      sshExecs: diagnosis.sshExecs,
      raw: null,
    });
    expect(stored.takenBy?.email).toMatch(/^night-operator/);
    expect(stored.snapshot).toEqual(diagnosis.snapshot);

    const withRaw = await viewer.instances.snapshot({
      snapshotId: diagnosis.snapshotId,
      includeRaw: true,
    });
    expect(withRaw.raw?.stdout).toContain("@@pgrescue:");
    expect(withRaw.raw?.exitCode).toBe(0);

    const anonymous = (await server.callerAs(null)).caller;
    await expect(
      anonymous.instances.snapshot({ snapshotId: diagnosis.snapshotId }),
    ).rejects.toThrow(/sign in first/);
    await expect(viewer.instances.snapshot({ snapshotId: "no-such-snapshot" })).rejects.toThrow(
      /does not exist/,
    );
  });
});
