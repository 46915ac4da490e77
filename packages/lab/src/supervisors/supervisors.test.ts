// Unit tests for the pure parts of lab supervisors: systemd's isolation script, unit files, `systemctl show`
// parsing (output captured from a lab host's postgresql@15-main), Patroni's configuration, cgroup paths.
import { describe, expect, it } from "vitest";
import { cgroupJoinPrefix, renderSshdUnitCommand } from "./index.ts";
import { renderPatroniConfig } from "./patroni.ts";
import {
  debianClusterName,
  parseSystemctlShow,
  pgdgUnitName,
  renderPgdgUnit,
  renderRestartDropIn,
  toSystemdView,
} from "./systemd.ts";
import {
  isLabCgroup,
  MACHINE_UNITS,
  MASKED_UNITS,
  renderLabTarget,
  renderSystemdInitScript,
} from "./systemd-boot.ts";

// `systemctl show postgresql@15-main -pActiveState -pSubState -pMainPID -pResult -pRestart -pNRestarts
// -pControlGroup -pDropInPaths -pJob` on a lab host, running and after the stale-pidfile scenario.
const SHOW_ACTIVE = `Restart=no
MainPID=121
Result=success
NRestarts=0
ControlGroup=/system.slice/system-postgresql.slice/postgresql@15-main.service
ActiveState=active
SubState=running
DropInPaths=
Job=
`;
const SHOW_FAILED = `Restart=no
MainPID=0
Result=exit-code
NRestarts=0
ControlGroup=
ActiveState=failed
SubState=failed
DropInPaths=
Job=
`;

describe("systemd's view of a unit", () => {
  it("reads a running unit", () => {
    expect(toSystemdView("postgresql@15-main.service", parseSystemctlShow(SHOW_ACTIVE))).toEqual({
      kind: "systemd",
      unit: "postgresql@15-main.service",
      activeState: "active",
      subState: "running",
      mainPid: 121,
      result: "success",
      restart: "no",
      nRestarts: 0,
      controlGroup: "/system.slice/system-postgresql.slice/postgresql@15-main.service",
      dropIns: [],
    });
  });

  it("reads a failed unit and drop-in paths", () => {
    const shown = parseSystemctlShow(
      SHOW_FAILED.replace(
        "DropInPaths=",
        "DropInPaths=/etc/systemd/system/postgresql@15-main.service.d/a.conf /run/x.conf",
      ),
    );
    expect(toSystemdView("postgresql@15-main.service", shown)).toMatchObject({
      activeState: "failed",
      mainPid: 0,
      result: "exit-code",
      dropIns: ["/etc/systemd/system/postgresql@15-main.service.d/a.conf", "/run/x.conf"],
    });
  });
});

describe("unit files", () => {
  it("writes a PGDG-style unit as the RPMs ship it, with Debian's binaries", () => {
    const unit = renderPgdgUnit({
      major: 15,
      binDir: "/usr/lib/postgresql/15/bin",
      pgdata: "/lab/x/data",
    });
    for (const line of [
      "Type=notify",
      "User=postgres",
      "Environment=PGDATA=/lab/x/data",
      "ExecStart=/usr/lib/postgresql/15/bin/postgres -D ${PGDATA}",
      "KillMode=mixed",
      "KillSignal=SIGINT",
      "TimeoutStopSec=1h",
      "WantedBy=multi-user.target",
    ])
      expect(unit.split("\n")).toContain(line);
    expect(pgdgUnitName(15, "main")).toBe("postgresql-15.service");
    expect(pgdgUnitName(15, "other")).toBe("postgresql-15-other.service");
  });

  it("adds Restart= in a drop-in and keeps dashes out of Debian cluster names", () => {
    expect(renderRestartDropIn("always")).toContain("[Service]\nRestart=always\n");
    expect(debianClusterName("main-twin")).toBe("main_twin");
  });

  it("boots into the lab's own target, which pulls multi-user.target", () => {
    expect(renderLabTarget()).toContain("Wants=multi-user.target pgrescue-lab-ready.service");
  });
});

describe("systemd's isolation", () => {
  const script = renderSystemdInitScript({ dir: "/work/.lab/s", hostname: "lab-s" });
  const lines = script.trimEnd().split("\n");

  it("makes mounts private first and replaces /tmp, /var/tmp, /run, /dev and systemd's state before systemd starts", () => {
    const first = lines.findIndex((line) => line.startsWith("mount"));
    expect(lines[first]).toBe("mount --make-rprivate /");
    for (const target of ["/tmp", "/var/tmp", "/run", "/var/log", "/var/lib/systemd", "/dev"])
      expect(
        lines.some((line) => line.startsWith("mount -t tmpfs") && line.endsWith(` ${target}`)),
      ).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^exec env -i container=pgrescue-lab .* \/lib\/systemd\/systemd --system --unit=pgrescue-lab\.target /,
    );
  });

  it("shows systemd only the lab's units and generators, and no tmpfiles configuration", () => {
    for (const bind of [
      "/work/.lab/s/systemd/units /usr/lib/systemd/system",
      "/work/.lab/s/systemd/generators /usr/lib/systemd/system-generators",
      "/work/.lab/s/systemd/empty /usr/lib/tmpfiles.d",
      "/work/.lab/s/systemd/empty /etc/tmpfiles.d",
      "/work/.lab/s/systemd/etc-systemd /etc/systemd",
    ])
      expect(lines).toContain(`mount --bind ${bind}`);
    expect(lines).toContain("mount -o remount,bind,ro /sys");
    expect(lines).toContain("mount -t cgroup2 -o rw,nosuid,nodev,noexec lab-cgroup /sys/fs/cgroup");
    expect(MACHINE_UNITS.some((unit) => unit.includes("tmpfiles"))).toBe(false);
    expect(MASKED_UNITS).toEqual(
      expect.arrayContaining([
        "systemd-tmpfiles-setup.service",
        "systemd-tmpfiles-clean.service",
        "systemd-tmpfiles-clean.timer",
      ]),
    );
  });

  it("removes only cgroups it made", () => {
    expect(isLabCgroup("/sys/fs/cgroup/unified/pgrescue-lab/itest-systemd-0a1b2c")).toBe(true);
    for (const other of [
      "/sys/fs/cgroup/unified",
      "/sys/fs/cgroup/unified/pgrescue-lab",
      "/sys/fs/cgroup/unified/system.slice/x-0a1b2c",
      "/sys/fs/cgroup/unified/pgrescue-lab/../x-0a1b2c",
    ])
      expect(isLabCgroup(other)).toBe(false);
  });

  it("joins the lab's cgroup only on systemd hosts and runs sshd as ssh.service", () => {
    expect(cgroupJoinPrefix({ kind: "tini" })).toEqual([]);
    expect(
      cgroupJoinPrefix({
        kind: "systemd",
        unitStyle: "debian",
        restart: "no",
        cgroupDir: "/sys/fs/cgroup/unified/pgrescue-lab/a-0a1b2c",
      }).at(-1),
    ).toBe("/sys/fs/cgroup/unified/pgrescue-lab/a-0a1b2c/cgroup.procs");
    expect(
      renderSshdUnitCommand({ configFile: "/l/sshd_config", logFile: "/l/sshd.log" }),
    ).toContain("systemd-run --quiet --unit=ssh");
  });
});

describe("Patroni's configuration", () => {
  it("points at the lab's etcd (v3 API), keeps Patroni's default timings and the lab's server settings", () => {
    const config = renderPatroniConfig({
      scope: "main",
      member: "lab-p",
      restPort: 8008,
      etcdClientPort: 2379,
      pgPort: 5432,
      pgdata: "/lab/p/instances/main/data",
      binDir: "/usr/lib/postgresql/15/bin",
      socketDir: "/lab/p/instances/main/socket",
      instanceDir: "/lab/p/instances/main",
    });
    const lines = config.split("\n");
    expect(config).toContain('etcd3:\n  hosts: "127.0.0.1:2379"\n');
    expect(config).toContain('restapi:\n  listen: "127.0.0.1:8008"\n');
    for (const line of [
      "    ttl: 30",
      "    loop_wait: 10",
      "    retry_timeout: 10",
      '  data_dir: "/lab/p/instances/main/data"',
      '  bin_dir: "/usr/lib/postgresql/15/bin"',
      '    unix_socket_directories: "/lab/p/instances/main/socket"',
      '    - "local all all trust"',
    ])
      expect(lines).toContain(line);
  });
});
