// Whole incidents through the API on lab hosts whose PostgreSQL is supervised: systemd as PID 1 (Debian's
// postgresql@15-NAME with and without a Restart=always drop-in, a PGDG-style unit the console may not control) and a
// single-node Patroni with etcd. Each scenario is recovered to healthy through createCaller, and at the end the
// supervisor agrees: the unit is active with MainPID = postmaster.pid's PID, or Patroni runs unpaused as leader.
// One systemd host and one Patroni host, the scenarios in sequence.
import { startLabHost, type TLabHost, type TLabInstance, type TScenario } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];
type TStep = NonNullable<Awaited<ReturnType<TCaller["incidents"]["open"]>>["step"]>;

/**
 * What many fleets give the postgres login: the ladder's systemctl commands for Debian's cluster units, nothing
 * else (the PGDG-style unit has no rule: its plans show the commands for someone with root).
 */
const POSTGRES_SYSTEMCTL_SUDOERS = [
  "# pgrescue test: the postgres login may run the ladder's systemctl commands for Debian's cluster units",
  "postgres ALL=(root) NOPASSWD: /usr/bin/systemctl stop postgresql@*, /usr/bin/systemctl start postgresql@*, /usr/bin/systemctl reset-failed postgresql@*, /usr/bin/systemctl mask --runtime postgresql@*, /usr/bin/systemctl unmask --runtime postgresql@*",
  "",
].join("\n");

let server: TTestServer;
let admin: TCaller;
let operator: TCaller;
let approver: TCaller;

beforeAll(async () => {
  server = await startTestServer({ pgCtlTimeoutSec: 20 });
  admin = (await server.callerAs("ADMIN")).caller;
  operator = (await server.callerAs("OPERATOR", "night-operator")).caller;
  approver = (await server.callerAs("APPROVER", "night-approver")).caller;
  await admin.policy.update({ fourEyesRungs: [2, 3], approvalTtlMinutes: null });
}, 60_000);

afterAll(async () => {
  await server.close();
});

async function addHost(lab: TLabHost, name: string): Promise<void> {
  await admin.hosts.add({
    name,
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
}

async function addInstance(host: string, pg: TLabInstance): Promise<string> {
  const added = await admin.instances.add({
    host,
    pgdata: pg.pgdata,
    pgBin: pg.binDir,
    logFile: pg.logFile,
    name: `${host}-${pg.name}`,
  });
  return added.id;
}

async function pidFilePid(lab: TLabHost, pg: TLabInstance): Promise<number> {
  const read = await lab.exec(`head -n 1 '${pg.pgdata}/postmaster.pid'`);
  return Number(read.stdout.trim());
}

async function runStep(step: TStep): Promise<Awaited<ReturnType<TCaller["steps"]["run"]>>> {
  await approver.steps.approve({
    stepId: step.id,
    confirm: step.confirmationRequired ?? undefined,
  });
  const outcome = await operator.steps.run({ stepId: step.id });
  expect(
    outcome.step.status,
    `rung ${String(step.rung)} (${step.title}): ${outcome.step.error ?? ""}`,
  ).toBe("SUCCEEDED");
  return outcome;
}

/**
 * Approve and run every proposed step until the diagnosis says healthy and proposes nothing more (under Patroni,
 * a healthy but paused instance still proposes the resume). "rung N: title → verdict" per step.
 */
async function driveToHealthy(incidentId: string, first: TStep | null): Promise<string[]> {
  const steps: string[] = [];
  let step = first;
  for (let round = 0; round < 12; round += 1) {
    if (step === null) {
      const again = await operator.incidents.diagnose({ incidentId });
      if (again.verdict === "healthy" && again.step === null) return steps;
      steps.push(`wait → ${again.verdict}`);
      step = again.step;
      if (step === null) await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    const outcome = await runStep(step);
    steps.push(`rung ${String(step.rung)}: ${step.title} → ${outcome.verdict ?? "?"}`);
    if (outcome.verdict === "healthy" && outcome.nextStep === null) return steps;
    step = outcome.nextStep;
  }
  throw new Error(`not healthy after 12 rounds: ${steps.join("; ")}`);
}

async function open(instanceId: string) {
  const opened = await operator.incidents.open({ instanceId });
  expect(opened.verdict).not.toBe("healthy");
  return opened;
}

async function close(incidentId: string, scenario: string, steps: string[]): Promise<void> {
  await operator.incidents.close({
    incidentId,
    outcome: "RECOVERED",
    summary: `${scenario}: ${steps.join("; ")}`,
  });
}

describe("a systemd lab host (Debian and PGDG units, a Restart=always drop-in)", () => {
  let lab: TLabHost;
  let always: TLabInstance;
  let plain: TLabInstance;
  let pgdg: TLabInstance;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    lab = await startLabHost({ name: "itest-sv-incidents", supervisor: { kind: "systemd" } });
    await lab.exec("cat >> /etc/sudoers", { input: POSTGRES_SYSTEMCTL_SUDOERS });
    always = await lab.createInstance({ name: "main", major: 15, unit: { restart: "always" } });
    plain = await lab.createInstance({ name: "plain", major: 15 });
    pgdg = await lab.createInstance({ name: "pgdg", major: 15, unit: { style: "pgdg" } });
    await addHost(lab, "sv");
    for (const pg of [always, plain, pgdg]) ids.set(pg.name, await addInstance("sv", pg));
  }, 180_000);

  afterAll(async () => {
    await lab.stop();
  });

  function id(pg: TLabInstance): string {
    const found = ids.get(pg.name);
    if (found === undefined) throw new Error(`no instance ${pg.name}`);
    return found;
  }

  /** The unit agrees: active, MainPID = postmaster.pid's PID, not masked, its Restart= as configured. */
  async function expectUnitAgrees(pg: TLabInstance): Promise<void> {
    const view = await lab.supervisorView(pg);
    if (view.kind !== "systemd") throw new Error("not a systemd instance");
    expect(view).toMatchObject({ activeState: "active", mainPid: await pidFilePid(lab, pg) });
    const shown = await lab.exec(`systemctl show -p UnitFileState -p LoadState ${view.unit}`);
    expect(shown.stdout).toContain("LoadState=loaded\n");
    expect(shown.stdout).not.toContain("masked");
  }

  // Every scenario resets the instance through its supervisor first: no "healthy" in between.
  async function recover(pg: TLabInstance, scenario: TScenario): Promise<string[]> {
    await lab.breakInstance(pg, scenario);
    const opened = await open(id(pg));
    const steps = await driveToHealthy(opened.incident.id, opened.step);
    await expectUnitAgrees(pg);
    await close(opened.incident.id, scenario, steps);
    return steps;
  }

  it("zombies under Restart=always: first aid resumes the postmaster; the unit keeps it as MainPID", async () => {
    const steps = await recover(always, "zombies");
    expect(steps[0]).toMatch(/^rung 0: First aid/);
    expect(steps).toHaveLength(1);
  });

  it("zombies under Restart=always, the operator chooses rung 3: the unit is masked first, so systemd does not restart PostgreSQL behind the kills; rung 4 unmasks and starts it through the unit", async () => {
    await lab.breakInstance(always, "zombies");
    const before = await lab.supervisorView(always);
    if (before.kind !== "systemd") throw new Error("not systemd");
    const opened = await open(id(always));
    const kill = await operator.steps.propose({
      incidentId: opened.incident.id,
      rung: 3,
      reason: "test: the hold before the kills",
    });
    expect(kill.displayCommands[0]).toBe(
      "timeout 30 sudo -n '/usr/bin/systemctl' mask --runtime 'postgresql@15-main.service'",
    );
    const killed = await runStep(kill);
    const held = await lab.supervisorView(always);
    // Restart=always did not bring PostgreSQL back behind the kills.
    expect(held).toMatchObject({ activeState: "failed", mainPid: 0, nRestarts: before.nRestarts });
    expect(killed.nextStep?.rung).toBe(4);
    expect(killed.nextStep?.displayCommands.slice(0, 3)).toEqual([
      "timeout 30 sudo -n '/usr/bin/systemctl' unmask --runtime 'postgresql@15-main.service'",
      "timeout 30 sudo -n '/usr/bin/systemctl' reset-failed 'postgresql@15-main.service'",
      "timeout 20 sudo -n '/usr/bin/systemctl' start 'postgresql@15-main.service'",
    ]);
    const steps = await driveToHealthy(opened.incident.id, killed.nextStep);
    expect(steps).toEqual([
      "rung 4: Start through systemd (systemctl start postgresql@15-main.service) and verify → healthy",
    ]);
    await expectUnitAgrees(always);
    const after = await lab.supervisorView(always);
    expect(after).toMatchObject({ restart: "always" });
    await close(opened.incident.id, "zombies, rung 3 chosen", steps);
  });

  it("stale-pidfile on a Debian unit (Restart=no): ExecStop removed the pid file and the unit failed; rung 4 starts it through systemd", async () => {
    const steps = await recover(plain, "stale-pidfile");
    expect(steps).toEqual([
      "rung 4: Start through systemd (systemctl start postgresql@15-plain.service) and verify → healthy",
    ]);
  });

  it("orphan-attached cannot be reproduced under a unit (KillMode=control-group kills the orphan): the console finds the unit failed and starts it through systemd", async () => {
    const state = await lab.breakInstance(plain, "orphan-attached");
    expect(state.orphanPids).toEqual([]);
    expect(state.supervisor).toMatchObject({ activeState: "failed" });
    const opened = await open(id(plain));
    const steps = await driveToHealthy(opened.incident.id, opened.step);
    expect(steps).toEqual([
      "rung 4: Start through systemd (systemctl start postgresql@15-plain.service) and verify → healthy",
    ]);
    await expectUnitAgrees(plain);
    await close(opened.incident.id, "orphan-attached under a unit", steps);
  });

  it("a PGDG unit the console may not control: the plan shows the commands for someone with root; run by root, the unit agrees", async () => {
    await lab.breakInstance(pgdg, "stale-pidfile");
    const opened = await operator.incidents.open({ instanceId: id(pgdg) });
    expect(opened.verdict).toBe("stale-pidfile");
    expect(opened.step).toBeNull();
    await expect(
      operator.steps.propose({ incidentId: opened.incident.id, rung: 4, reason: "try" }),
    ).rejects.toThrow(
      /Not runnable by the console — for someone with root: systemctl reset-failed postgresql-15-pgdg\.service; systemctl start postgresql-15-pgdg\.service/,
    );
    // Someone with root runs exactly those commands.
    const ran = await lab.exec(
      "systemctl reset-failed postgresql-15-pgdg.service && systemctl start postgresql-15-pgdg.service",
    );
    expect(ran.code).toBe(0);
    const again = await operator.incidents.diagnose({ incidentId: opened.incident.id });
    expect(again.verdict).toBe("healthy");
    await expectUnitAgrees(pgdg);
    await close(opened.incident.id, "stale-pidfile, started by root", ["manual start"]);
  });
});

describe("a Patroni lab host (single node, etcd)", () => {
  let lab: TLabHost;
  let main: TLabInstance;
  let instanceId: string;

  beforeAll(async () => {
    lab = await startLabHost({ name: "itest-pt-incidents", supervisor: { kind: "patroni" } });
    main = await lab.createInstance({ name: "main", major: 15 });
    await addHost(lab, "pt");
    instanceId = await addInstance("pt", main);
  }, 180_000);

  afterAll(async () => {
    await lab.stop();
  });

  /** Patroni agrees: running, not paused, leader, and its postmaster is postmaster.pid's. */
  async function expectPatroniAgrees(): Promise<void> {
    const view = await lab.supervisorView(main);
    expect(view).toMatchObject({
      kind: "patroni",
      state: "running",
      role: "master",
      paused: false,
    });
    expect(await pidFilePid(lab, main)).toBeGreaterThan(1);
  }

  async function recover(scenario: TScenario, pause: boolean): Promise<string[]> {
    await lab.breakInstance(main, scenario, { pause });
    const opened = await open(instanceId);
    const steps = await driveToHealthy(opened.incident.id, opened.step);
    await expectPatroniAgrees();
    await close(opened.incident.id, scenario, steps);
    return steps;
  }

  it("zombies with Patroni active: pause Patroni, resume the postmaster, resume Patroni", async () => {
    const steps = await recover("zombies", false);
    expect(steps).toEqual([
      "rung 0: Maintenance mode: pause Patroni (patronictl pause) → zombies-unreaped",
      "rung 0: First aid: resume stopped processes (SIGCONT) → healthy",
      "rung 4: Hand the instance back: resume Patroni (patronictl resume) → healthy",
    ]);
  });

  it("orphan-attached with Patroni active: pause, kill the orphan, resume — Patroni starts PostgreSQL", async () => {
    const steps = await recover("orphan-attached", false);
    expect(steps[0]).toBe(
      "rung 0: Maintenance mode: pause Patroni (patronictl pause) → orphans-attached",
    );
    expect(steps[1]).toMatch(/^rung 3: Kill/);
    expect(steps.at(-1)).toBe(
      "rung 4: Resume Patroni: it starts PostgreSQL; then verify → healthy",
    );
  });

  it("stale-pidfile behind a paused Patroni: resuming it is the start", async () => {
    const steps = await recover("stale-pidfile", true);
    expect(steps).toEqual(["rung 4: Resume Patroni: it starts PostgreSQL; then verify → healthy"]);
  });
});
