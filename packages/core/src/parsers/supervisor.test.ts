import { describe, expect, it } from "vitest";
import { loadSupervisedFixture } from "../__fixtures__/supervised-fixtures.ts";
import { findSection, parseProbeOutput } from "../probe/probe-output.ts";
import {
  detectContainerCgroup,
  findLsclustersStatus,
  findServiceInCgroup,
  parseCgroupPath,
  parsePatroniCluster,
  parsePatroniStatus,
  parseSupervisorProbe,
  parseSystemdExec,
  parseTimespan,
} from "./supervisor.ts";

function sections(name: string) {
  return parseProbeOutput(loadSupervisedFixture(name).text);
}

describe("the supervisor sections of real captures", () => {
  it("systemd, Debian: cgroups, cluster, pg_lsclusters, the unit's properties and the sudo verbs", () => {
    const probe = parseSupervisorProbe(sections("systemd-debian-always-healthy").sections);
    expect(probe).toMatchObject({
      present: true,
      complete: true,
      pid1Comm: "systemd",
      systemdBooted: true,
      containerMarkers: ["dockerenv"],
      systemctl: "/usr/bin/systemctl",
      debianCluster: {
        version: "15",
        name: "main",
        startConf: "auto",
        unit: "postgresql@15-main.service",
      },
      unit: { unit: "postgresql@15-main.service", source: "cgroup", rc: 0, control: "sudo" },
      patroni: null,
    });
    expect(probe.unit?.sudoAllowed).toEqual(["stop", "start", "reset-failed", "mask", "unmask"]);
    expect(probe.unit?.show.get("TimeoutStopUSec")).toBe("1h");
    expect(parseCgroupPath(probe.postmasterCgroup ?? [])).toBe(
      "/system.slice/system-postgresql.slice/postgresql@15-main.service",
    );
    expect(parseCgroupPath(probe.probeCgroup ?? [])).toBe("/");
    expect(findLsclustersStatus(probe.debianCluster?.lsclusters ?? [], "15", "main")).toBe(
      "online",
    );
  });

  it("systemd ExecStart/ExecStop values as systemctl show prints them", () => {
    const probe = parseSupervisorProbe(sections("systemd-debian-always-healthy").sections);
    expect(parseSystemdExec(probe.unit?.show.get("ExecStart") ?? "")).toEqual([
      "/usr/bin/pg_ctlcluster --skip-systemctl-redirect 15-main start",
    ]);
    const pgdg = parseSupervisorProbe(sections("systemd-pgdg-stale-pidfile").sections);
    expect(parseSystemdExec(pgdg.unit?.show.get("ExecStart") ?? "")).toEqual([
      "/usr/lib/postgresql/15/bin/postgres -D ${PGDATA}",
    ]);
    expect(pgdg.unit).toMatchObject({ source: "search", control: "none", sudoAllowed: [] });
  });

  it("Patroni: its process, configuration, REST answers", () => {
    const output = sections("patroni-healthy");
    const probe = parseSupervisorProbe(output.sections);
    expect(probe.patroni).toMatchObject({
      candidates: 1,
      match: "data_dir",
      configReadable: true,
      patronictl: "/usr/bin/patronictl",
      client: "curl",
      status: { rc: 0 },
      cluster: { rc: 0 },
    });
    expect(probe.patroni?.facts.get("scope")).toBe("main");
    const status = parsePatroniStatus(
      findSection(output, "patroni_patroni")?.content.join("\n") ?? "",
    );
    expect(status).toMatchObject({
      state: "running",
      role: "master",
      paused: false,
      version: "3.0.2",
    });
    expect(status?.systemIdentifier).toMatch(/^\d{19}$/);
    const cluster = parsePatroniCluster(
      findSection(output, "patroni_cluster")?.content.join("\n") ?? "",
    );
    expect(cluster?.members).toEqual([
      expect.objectContaining({
        name: "lab-pt-fixtures",
        role: "leader",
        state: "running",
        host: "127.0.0.1",
      }),
    ]);
  });

  it("paused: GET /patroni says pause true", () => {
    const output = sections("patroni-healthy-paused");
    const status = parsePatroniStatus(
      findSection(output, "patroni_patroni")?.content.join("\n") ?? "",
    );
    expect(status?.paused).toBe(true);
  });

  it("an older capture has no supervisor section: not present", () => {
    expect(parseSupervisorProbe([])).toMatchObject({ present: false, unit: null, patroni: null });
  });

  it("answers that are not Patroni's are not read as Patroni's", () => {
    expect(parsePatroniStatus("curl: (7) Failed to connect to 127.0.0.1 port 8008")).toBeNull();
    expect(parsePatroniStatus('{"state": 5}')).toBeNull();
    expect(parsePatroniStatus("{}")).toBeNull();
    expect(parsePatroniCluster('{"members": "x"}')).toBeNull();
  });
});

describe("systemd and cgroup formats", () => {
  it.each([
    ["1h", 3600],
    ["1min 30s", 90],
    ["100ms", 0.1],
    ["5s", 5],
    ["infinity", null],
    ["", null],
    ["soon", null],
  ] as const)("timespan %j is %j seconds", (text, seconds) => {
    expect(parseTimespan(text)).toBe(seconds);
  });

  it("finds the innermost service, and no service in a session scope or the root", () => {
    expect(
      findServiceInCgroup("/system.slice/system-postgresql.slice/postgresql@15-main.service"),
    ).toBe("postgresql@15-main.service");
    expect(findServiceInCgroup("/system.slice/ssh.service")).toBe("ssh.service");
    expect(findServiceInCgroup("/user.slice/user-101.slice/session-4.scope")).toBeNull();
    expect(findServiceInCgroup("/")).toBeNull();
  });

  // Formats as the runtimes document them (no Docker engine or Kubernetes on these machines to capture from).
  it.each([
    ["/docker/3f1c2e9a", "docker"],
    ["/system.slice/docker-3f1c2e9a.scope", "docker"],
    ["/kubepods/burstable/pod1234/3f1c2e9a", "kubernetes"],
    ["/machine.slice/libpod-3f1c2e9a.scope/container", "podman"],
    ["/lxc.payload.db1", "lxc"],
    ["/machine.slice/machine-db1.scope", "systemd-nspawn"],
    ["/system.slice/system-postgresql.slice/postgresql@15-main.service", null],
    ["/", null],
  ] as const)("cgroup %j says container runtime %j", (path, runtime) => {
    expect(detectContainerCgroup(path)).toBe(runtime);
  });
});
