import { describe, expect, it } from "vitest";
import { PROBE_FIXTURES } from "../__fixtures__/probe-fixtures.ts";
import {
  SUPERVISED_FIXTURES,
  loadSupervisedFixture,
  type TSupervisedFixture,
} from "../__fixtures__/supervised-fixtures.ts";
import { diagnose } from "./diagnose.ts";
import { canonicalMaterialFacts } from "./material-facts.ts";
import { ZSnapshot, type TSnapshot } from "./snapshot-schema.ts";
import { SUPERVISOR_NOT_PROBED } from "./supervisor-schema.ts";

function run(fixture: TSupervisedFixture): TSnapshot {
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

const byName = (name: string): TSnapshot => run(loadSupervisedFixture(name));

describe("who supervises the postmaster, on real captures, against what the lab read from systemd and Patroni", () => {
  it("has a capture of every supervisor the lab runs", () => {
    expect([...SUPERVISED_FIXTURES.keys()].sort()).toEqual([
      "patroni-healthy",
      "patroni-healthy-paused",
      "patroni-orphan-attached",
      "patroni-rest-down",
      "patroni-stale-pidfile-paused",
      "patroni-zombies",
      "systemd-debian-always-healthy",
      "systemd-debian-always-zombies",
      "systemd-debian-masked-crashed",
      "systemd-debian-outside-unit",
      "systemd-debian-stale-pidfile",
      "systemd-pgdg-stale-pidfile",
      "tini-healthy",
      "tini-stale-pidfile",
    ]);
  });

  describe.each(
    [...SUPERVISED_FIXTURES.values()]
      .filter((f) => f.meta.supervisorView.kind === "systemd")
      .map((f) => [f.name, f] as const),
  )("%s", (_name, fixture) => {
    const s = run(fixture).supervisor;
    const lab = fixture.meta.supervisorView;
    it("names the unit and reads its state as systemd reported it to the lab", () => {
      if (lab.kind !== "systemd") throw new Error("not systemd");
      expect(s.kind).toBe("systemd");
      expect(s.systemd).toMatchObject({
        unit: lab.unit,
        activeState: lab.activeState,
        subState: lab.subState,
        mainPid: lab.mainPid,
        result: lab.result,
        nRestarts: lab.nRestarts,
        dropIns: lab.dropIns,
      });
      // A masked unit loses its settings (systemd reports Restart=no for it): the lab's record says what was configured.
      if (s.systemd?.maskedRuntime !== true)
        expect(s.systemd?.restart).toBe(fixture.meta.supervision?.restart);
    });
  });

  it("a Debian cluster unit that owns its postmaster: found through the cgroup, with the cluster, drop-in and sudo rights", () => {
    const s = byName("systemd-debian-always-healthy").supervisor;
    expect(s.unitOwnsPostmaster).toBe(true);
    expect(s.contradictions).toEqual([]);
    expect(s.postmasterCgroup).toBe(
      "/system.slice/system-postgresql.slice/postgresql@15-main.service",
    );
    expect(s.systemd).toMatchObject({
      source: "cgroup",
      style: "debian",
      type: "forking",
      killMode: "control-group",
      timeoutStopSec: 3600,
      execStop: ["/usr/bin/pg_ctlcluster --skip-systemctl-redirect -m fast 15-main stop"],
      control: "sudo",
      allowedVerbs: ["stop", "start", "reset-failed", "mask", "unmask"],
      maskedRuntime: false,
    });
    expect(s.debianCluster).toMatchObject({
      version: "15",
      name: "main",
      configDir: "/etc/postgresql/15/main",
      startConf: "auto",
      status: "online",
    });
    expect(s.summary).toBe(
      "systemd unit postgresql@15-main.service (Debian cluster 15/main, pg_ctlcluster): active, Restart=always",
    );
  });

  it("a postmaster outside its unit (pg_ctlcluster start as postgres after the unit failed) is said as such", () => {
    const snapshot = byName("systemd-debian-outside-unit");
    expect(snapshot.verdict.code).toBe("healthy");
    expect(snapshot.supervisor.unitOwnsPostmaster).toBe(false);
    expect(snapshot.supervisor.contradictions).toEqual([
      expect.stringMatching(
        /^a postmaster outside its unit: PostgreSQL runs \(PID \d+\) while systemd reports postgresql@15-plain\.service failed/,
      ),
    ]);
    expect(snapshot.verdict.evidence).toContain(
      `contradiction: ${snapshot.supervisor.contradictions[0] ?? ""}`,
    );
    expect(snapshot.recommendation.cautions.join("\n")).toMatch(
      /stop it \(rung 1, pg_ctl\) and start it through postgresql@15-plain\.service \(rung 4\)/,
    );
  });

  it("after Debian's ExecStop removed the pid file, the unit is found through the cluster and rung 4 starts through it", () => {
    const snapshot = byName("systemd-debian-stale-pidfile");
    expect(snapshot.supervisor.systemd).toMatchObject({
      source: "debian-cluster",
      activeState: "failed",
    });
    expect(snapshot.supervisor.debianCluster?.status).toBe("down");
    expect(snapshot.recommendation.rung).toBe(4);
    expect(snapshot.recommendation.reason).toContain(
      "Under systemd rung 4 starts it through the unit (systemctl reset-failed, systemctl start postgresql@15-plain.service)",
    );
  });

  it("a PGDG-style unit is found through its PGDATA=; without a sudo rule the console may not control it", () => {
    const snapshot = byName("systemd-pgdg-stale-pidfile");
    expect(snapshot.supervisor.systemd).toMatchObject({
      unit: "postgresql-15-pgdg.service",
      source: "search",
      style: "pgdg",
      type: "notify",
      killMode: "mixed",
      control: "none",
      allowedVerbs: [],
    });
    expect(snapshot.supervisor.debianCluster).toBeNull();
    expect(snapshot.recommendation.cautions).toContain(
      "The console's login may not run systemctl reset-failed postgresql-15-pgdg.service, systemctl start postgresql-15-pgdg.service (not root, no sudo -n rule): that part is for someone with root; the plan shows the exact commands.",
    );
  });

  it("the ladder's hold (a runtime mask) is recognised: rung 4 unmasks", () => {
    const snapshot = byName("systemd-debian-masked-crashed");
    expect(snapshot.supervisor.systemd).toMatchObject({
      maskedRuntime: true,
      loadState: "masked",
      unitFileState: "masked-runtime",
    });
    expect(snapshot.recommendation.reason).toContain(
      "systemctl unmask --runtime, systemctl reset-failed, systemctl start postgresql@15-main.service",
    );
  });

  it("Restart=always is part of every prediction about a postmaster that may exit", () => {
    const snapshot = byName("systemd-debian-always-zombies");
    expect(snapshot.recommendation.rung).toBe(0);
    expect(snapshot.recommendation.reason).toContain(
      "Restart=always: if the postmaster shuts down once resumed (a pending stop signal), systemd starts it again by itself.",
    );
  });
});

describe("Patroni on real captures", () => {
  it.each([
    ["patroni-healthy", "running", "master", false],
    ["patroni-zombies", "running", "master", false],
    ["patroni-healthy-paused", "running", "master", true],
    ["patroni-stale-pidfile-paused", null, "master", true],
  ] as const)("%s: Patroni's own view, as the lab read it", (name, state, role, paused) => {
    const fixture = loadSupervisedFixture(name);
    const s = run(fixture).supervisor;
    const lab = fixture.meta.supervisorView;
    if (lab.kind !== "patroni") throw new Error("not patroni");
    expect(s.kind).toBe("patroni");
    expect(s.patroni).toMatchObject({
      pid: lab.patroniPid,
      restUrl: lab.restUrl,
      match: "data_dir",
      scope: "main",
      client: "curl",
      patronictl: "/usr/bin/patronictl",
      configReadable: true,
      status: { role, paused, version: "3.0.2" },
    });
    if (state !== null) expect(s.patroni?.status?.state).toBe(state);
    expect(s.patroni?.members).toHaveLength(1);
  });

  it("active and unpaused while a direct step is needed: pause first (rung 0), never a direct rung", () => {
    const snapshot = byName("patroni-zombies");
    expect(snapshot.verdict.code).toBe("zombies-unreaped");
    expect(snapshot.recommendation.rung).toBe(0);
    expect(snapshot.recommendation.reason).toMatch(
      /^Patroni manages this instance and is not paused \(role master, state running\): a direct step would fight it/,
    );
    expect(snapshot.verdict.evidence).toContain(
      "supervisor: Patroni 3.0.2 says: role master, state running, not paused, timeline 3",
    );
  });

  it("orphans behind an active Patroni that keeps failing to restart: pause first", () => {
    const snapshot = byName("patroni-orphan-attached");
    expect(snapshot.verdict.code).toBe("orphans-attached");
    expect(snapshot.recommendation.rung).toBe(0);
    expect(snapshot.supervisor.patroni?.status).toMatchObject({
      role: "replica",
      state: "starting",
    });
  });

  it("paused and crashed: rung 4 resumes Patroni, which starts PostgreSQL", () => {
    const snapshot = byName("patroni-stale-pidfile-paused");
    expect(snapshot.recommendation.rung).toBe(4);
    expect(snapshot.recommendation.reason).toMatch(
      /Patroni is paused: rung 4 resumes it, and Patroni starts PostgreSQL itself\.$/,
    );
  });

  it("healthy but paused: the resume is proposed (rung 4), the verdict stays healthy", () => {
    const snapshot = byName("patroni-healthy-paused");
    expect(snapshot.verdict.code).toBe("healthy");
    expect(snapshot.recommendation.rung).toBe(4);
  });

  it("a Patroni whose REST API does not answer (its process stopped): unknown, never guessed", () => {
    const snapshot = byName("patroni-rest-down");
    expect(snapshot.supervisor.patroni?.status).toBeNull();
    expect(snapshot.supervisor.patroni?.error).toMatch(/\/patroni did not answer \(exit 124\)/);
    expect(snapshot.supervisor.summary).toMatch(/its REST API did not answer$/);
    expect(snapshot.recommendation.cautions.join("\n")).toMatch(/whether it is paused is unknown/);
    // The probe asked once, not twice: the second GET is skipped when the first one timed out.
    expect(snapshot.probe.sections).not.toContain("patroni_cluster");
  });
});

describe("containers and plain pg_ctl", () => {
  it("this machine's /.dockerenv makes a tini lab host a Docker container whose PID 1 reaps", () => {
    const snapshot = byName("tini-healthy");
    expect(snapshot.supervisor).toMatchObject({
      kind: "container",
      pid1: "tini",
      container: {
        markers: ["/.dockerenv exists"],
        runtime: "docker",
        pid1Reaps: true,
        postmasterIsPid1: false,
        postmasterParentIsPid1: true,
      },
    });
    expect(snapshot.recommendation.cautions).toEqual([]);
  });

  it("a diagnosis from before supervisors were probed says so, and changes nothing else", () => {
    for (const fixture of PROBE_FIXTURES.values()) {
      const snapshot = diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
      expect(snapshot.supervisor).toEqual(SUPERVISOR_NOT_PROBED);
      expect(canonicalMaterialFacts(snapshot)).not.toContain("supervisor");
    }
  });

  it("a snapshot stored before the supervisor field parses, reading as not probed", () => {
    const stored: Record<string, unknown> = JSON.parse(
      JSON.stringify(byName("systemd-debian-always-healthy")),
    ) as Record<string, unknown>;
    delete stored.supervisor;
    expect(ZSnapshot.parse(stored).supervisor).toEqual(SUPERVISOR_NOT_PROBED);
  });

  it("supervisor facts that an approval depends on are material (unit state, Patroni's pause)", () => {
    const facts = JSON.parse(canonicalMaterialFacts(byName("patroni-healthy-paused"))) as {
      supervisor: unknown;
    };
    expect(facts.supervisor).toMatchObject({
      kind: "patroni",
      patroniPaused: true,
      patroniAnswered: true,
    });
    const unit = JSON.parse(canonicalMaterialFacts(byName("systemd-debian-masked-crashed"))) as {
      supervisor: unknown;
    };
    expect(unit.supervisor).toMatchObject({
      kind: "systemd",
      unit: "postgresql@15-main.service",
      activeState: "failed",
      mainPid: 0,
      maskedRuntime: true,
    });
  });
});
