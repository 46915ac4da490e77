// Lab hosts with supervisors, booted once each: systemd as PID 1 (Debian and PGDG-style units, a Restart=always
// drop-in) without touching the machine's /tmp, /var/tmp or /run, and a single-node Patroni with etcd.
import { randomBytes } from "node:crypto";
import { readlink, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidsInNamespace, startLabHost } from "./lab-host.ts";
import { sshRun } from "./test-support.ts";
import type { TLabHost, TLabInstance } from "./types.ts";

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function pidFilePid(lab: TLabHost, instance: TLabInstance): Promise<number> {
  const text = await lab.exec(`head -n 1 ${path.join(instance.pgdata, "postmaster.pid")}`);
  return Number(text.stdout.trim());
}

describe("a systemd lab host", () => {
  const canaries = ["/tmp", "/var/tmp", "/run"].map((dir) =>
    path.join(dir, `pgrescue-lab-canary-${randomBytes(4).toString("hex")}`),
  );
  let lab: TLabHost;
  let pidNamespace: string;
  let main: TLabInstance;

  beforeAll(async () => {
    for (const canary of canaries) await writeFile(canary, "canary\n");
    lab = await startLabHost({ name: "itest-systemd", supervisor: { kind: "systemd" } });
    pidNamespace = await readlink(`/proc/${String(lab.initPid)}/ns/pid`);
  });

  afterAll(async () => {
    await lab.stop();
    for (const canary of canaries) await rm(canary, { force: true });
  });

  it("boots systemd as PID 1 with its own /tmp, /var/tmp, /run and cgroup, and without systemd-tmpfiles", async () => {
    expect((await lab.exec("ps -o comm= -p 1")).stdout.trim()).toBe("systemd");
    expect((await lab.exec("systemctl is-system-running")).stdout.trim()).toBe("running");
    for (const canary of canaries) {
      expect(await exists(canary)).toBe(true);
      expect((await lab.exec(`test -e ${canary}`)).code).toBe(1);
    }
    const tmpfiles = await lab.exec(
      "systemctl show -p LoadState -p ActiveState systemd-tmpfiles-clean.timer systemd-tmpfiles-setup.service",
    );
    expect(tmpfiles.stdout).not.toContain("ActiveState=active");
    expect(tmpfiles.stdout.match(/LoadState=masked/g)).toHaveLength(2);
    expect((await lab.exec("cat /proc/self/cgroup")).stdout).toContain("0::/\n");
    expect(lab.supervisor.kind).toBe("systemd");
  });

  it("runs Debian's postgresql@15-main: MainPID is the postmaster and its cgroup names the unit", async () => {
    main = await lab.createInstance({ name: "main", major: 15 });
    expect(main.supervision).toMatchObject({
      kind: "systemd",
      unit: "postgresql@15-main.service",
      cluster: "15/main",
      configDir: "/etc/postgresql/15/main",
    });
    const postmaster = await pidFilePid(lab, main);
    const view = await lab.supervisorView(main);
    expect(view).toMatchObject({ kind: "systemd", activeState: "active", mainPid: postmaster });
    expect((await lab.exec(`cat /proc/${String(postmaster)}/cgroup`)).stdout).toContain(
      "0::/system.slice/system-postgresql.slice/postgresql@15-main.service\n",
    );
    // Over ssh as postgres (systemctl through D-Bus, as the diagnosis will run it); the login lives in ssh.service.
    const seen = await sshRun(
      lab,
      { key: lab.logins.postgres },
      "systemctl show -p MainPID postgresql@15-main; pg_lsclusters -h; tail -n 1 /proc/self/cgroup",
    );
    expect(seen.stdout).toContain(`MainPID=${String(postmaster)}\n`);
    expect(seen.stdout).toMatch(/^15 +main +\d+ +online +postgres /m);
    expect(seen.stdout).toContain("0::/system.slice/ssh.service");
  });

  it("stale-pidfile under Debian's unit: ExecStop (pg_ctlcluster) removes the pid file and the unit fails", async () => {
    const state = await lab.breakInstance(main, "stale-pidfile");
    expect(state.postmasterPid).toBeNull();
    expect(state.pidFilePid).toBeNull();
    expect(state.supervisor).toMatchObject({ kind: "systemd", activeState: "failed", mainPid: 0 });
  });

  it("with a Restart=always drop-in systemd starts the crashed instance again", async () => {
    const restarting = await lab.createInstance({
      name: "restarting",
      major: 15,
      unit: { restart: "always" },
    });
    const before = await pidFilePid(lab, restarting);
    const state = await lab.breakInstance(restarting, "stale-pidfile");
    expect(state.supervisor).toMatchObject({
      kind: "systemd",
      unit: "postgresql@15-restarting.service",
      activeState: "active",
      restart: "always",
      nRestarts: 1,
      dropIns: ["/etc/systemd/system/postgresql@15-restarting.service.d/pgrescue-lab-restart.conf"],
    });
    expect(state.postmasterPid).not.toBeNull();
    expect(state.postmasterPid).not.toBe(before);
    expect(state.supervisor.kind === "systemd" && state.supervisor.mainPid).toBe(
      state.postmasterPid,
    );
  });

  it("a PGDG-style postgresql-15 unit (Type=notify, KillMode=mixed) leaves the stale pid file after a crash", async () => {
    const pgdg = await lab.createInstance({ name: "pgdg", major: 15, unit: { style: "pgdg" } });
    const shown = await lab.exec(
      "systemctl show -p Type -p KillMode -p MainPID postgresql-15-pgdg",
    );
    expect(shown.stdout).toContain("Type=notify\n");
    expect(shown.stdout).toContain("KillMode=mixed\n");
    const postmaster = await pidFilePid(lab, pgdg);
    expect(shown.stdout).toContain(`MainPID=${String(postmaster)}\n`);
    const state = await lab.breakInstance(pgdg, "stale-pidfile");
    expect(state.pidFilePid).not.toBeNull();
    expect(state.checks).toContain(`postmaster.pid names dead PID ${String(state.pidFilePid)}`);
    expect(state.postmasterPid).toBeNull();
    expect(state.supervisor).toMatchObject({ kind: "systemd", activeState: "failed" });
  });

  it("stops: the whole namespace dies, the lab's cgroup is removed, the machine's files are untouched", async () => {
    const cgroupDir = lab.supervisor.kind === "systemd" ? lab.supervisor.cgroupDir : "";
    expect(await exists(cgroupDir)).toBe(true);
    await lab.stop();
    expect(await pidsInNamespace(pidNamespace)).toEqual([]);
    expect(await exists(cgroupDir)).toBe(false);
    for (const canary of canaries) expect(await exists(canary)).toBe(true);
  });
});

describe("a Patroni lab host", () => {
  let lab: TLabHost;
  let pidNamespace: string;
  let main: TLabInstance;

  beforeAll(async () => {
    lab = await startLabHost({ name: "itest-patroni", supervisor: { kind: "patroni" } });
    pidNamespace = await readlink(`/proc/${String(lab.initPid)}/ns/pid`);
    main = await lab.createInstance({ name: "main", major: 15 });
  });

  afterAll(async () => {
    await lab.stop();
  });

  it("runs a single-node Patroni (etcd on loopback) whose leader is the instance", async () => {
    const view = await lab.supervisorView(main);
    expect(view).toMatchObject({
      kind: "patroni",
      state: "running",
      role: "master",
      paused: false,
    });
    expect(view.kind === "patroni" && view.patroniPid).toBeGreaterThan(1);
    if (main.supervision?.kind !== "patroni") throw new Error("main is not run by Patroni");
    const listed = await lab.exec(`patronictl -c ${main.supervision.configFile} list`, {
      user: "postgres",
    });
    expect(listed.stdout).toMatch(/\| Leader +\| running +\|/);
  });

  it("paused (patronictl pause), a crash stays a crash; healthy resumes Patroni, which starts PostgreSQL as leader", async () => {
    const crashed = await lab.breakInstance(main, "stale-pidfile", { pause: true });
    expect(crashed.supervisor).toMatchObject({ kind: "patroni", paused: true });
    expect(crashed.postmasterPid).toBeNull();
    expect(crashed.pidFilePid).not.toBeNull();
    const healthy = await lab.breakInstance(main, "healthy");
    expect(healthy.supervisor).toMatchObject({
      kind: "patroni",
      paused: false,
      state: "running",
      role: "master",
    });
    expect(healthy.postmasterPid).toBe(await pidFilePid(lab, main));
  });

  it("stops with its etcd and Patroni", async () => {
    await lab.stop();
    expect(await pidsInNamespace(pidNamespace)).toEqual([]);
  });
});
