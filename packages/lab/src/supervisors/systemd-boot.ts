// Booting systemd as PID 1 of a lab host. systemd cleans and mounts whatever it can see, so it gets its own world:
// private /tmp, /var/tmp, /run, /var/log, /var/lib/systemd and /dev, a read-only /sys and /proc/sys, its own cgroup
// (a cgroup namespace rooted at a fresh cgroup2 directory on the machine), and a unit directory holding only the
// units a lab host needs — systemd-tmpfiles and everything else it could touch the machine with is simply absent,
// and masked on top. Without this isolation its tmpfiles clean-up once emptied this machine's shared /tmp.
import { randomBytes } from "node:crypto";
import {
  copyFile,
  mkdir,
  readFile,
  readdir,
  rmdir,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { quote } from "../shell.ts";
import { sleep } from "../run.ts";

/** Units taken as they are from the machine's /lib/systemd/system (Debian's files, not copies of our own). */
export const MACHINE_UNITS = [
  "systemd-journald.service",
  "systemd-journald.socket",
  "systemd-journald-dev-log.socket",
  "dbus.service",
  "dbus.socket",
  "postgresql@.service",
  "postgresql.service",
  "basic.target",
  "sysinit.target",
  "sockets.target",
  "multi-user.target",
  "network.target",
  "network-online.target",
  "shutdown.target",
  "paths.target",
  "timers.target",
  "slices.target",
  "local-fs.target",
  "final.target",
  "umount.target",
  "exit.target",
] as const;

/** Masked although absent from the unit directory: these are the ones that must never run in a lab host. */
export const MASKED_UNITS = [
  "systemd-tmpfiles-setup.service",
  "systemd-tmpfiles-setup-dev.service",
  "systemd-tmpfiles-clean.service",
  "systemd-tmpfiles-clean.timer",
  "systemd-logind.service",
  "systemd-networkd.service",
  "systemd-resolved.service",
  "systemd-timesyncd.service",
  "systemd-sysctl.service",
  "systemd-modules-load.service",
  "systemd-udevd.service",
  "systemd-remount-fs.service",
  "getty@.service",
  "console-getty.service",
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "man-db.timer",
  "e2scrub_all.timer",
  "fstrim.timer",
  "logrotate.timer",
] as const;

export const LAB_TARGET = "pgrescue-lab.target";
const READY_UNIT = "pgrescue-lab-ready.service";

/** Where the lab keeps systemd's private world on the machine. */
export function systemdPaths(dir: string): {
  root: string;
  units: string;
  etcSystemd: string;
  generators: string;
  empty: string;
  etcPostgresql: string;
  hostnameFile: string;
  consoleLog: string;
} {
  const root = path.join(dir, "systemd");
  return {
    root,
    units: path.join(root, "units"),
    etcSystemd: path.join(root, "etc-systemd"),
    generators: path.join(root, "generators"),
    empty: path.join(root, "empty"),
    etcPostgresql: path.join(root, "etc-postgresql"),
    hostnameFile: path.join(root, "hostname"),
    consoleLog: path.join(dir, "logs", "console.log"),
  };
}

export function renderLabTarget(): string {
  return [
    "[Unit]",
    "Description=pgrescue lab host",
    "Requires=basic.target",
    "Wants=multi-user.target " + READY_UNIT,
    "After=basic.target multi-user.target",
    "AllowIsolate=yes",
    "",
  ].join("\n");
}

export function renderReadyUnit(readyFile: string): string {
  return [
    "[Unit]",
    "Description=pgrescue lab host is up",
    "After=basic.target multi-user.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/usr/bin/touch ${readyFile}`,
    "",
  ].join("\n");
}

/** Writes the unit directory, /etc/systemd, generators and hostname the lab's systemd will see (bind-mounted by the init script). */
export async function writeSystemdTree(opts: { dir: string; hostname: string }): Promise<void> {
  const paths = systemdPaths(opts.dir);
  const system = path.join(paths.etcSystemd, "system");
  for (const sub of [
    paths.units,
    system,
    path.join(system, "sockets.target.wants"),
    path.join(system, "sysinit.target.wants"),
    path.join(system, "multi-user.target.wants"),
    paths.generators,
    paths.empty,
    paths.etcPostgresql,
  ]) {
    await mkdir(sub, { recursive: true, mode: 0o755 });
  }
  for (const unit of MACHINE_UNITS) {
    try {
      await copyFile(path.join("/lib/systemd/system", unit), path.join(paths.units, unit));
    } catch {
      // postgresql@.service is absent without postgresql-common, network-online.target on minimal systems: the
      // instance code says what is missing when it needs it.
    }
  }
  await writeFile(path.join(paths.units, LAB_TARGET), renderLabTarget(), { mode: 0o644 });
  await writeFile(
    path.join(paths.units, READY_UNIT),
    renderReadyUnit(path.join(opts.dir, "run", "ready")),
    {
      mode: 0o644,
    },
  );
  await symlink(LAB_TARGET, path.join(paths.units, "default.target"));
  for (const unit of MASKED_UNITS) await symlink("/dev/null", path.join(system, unit));
  // What `systemctl enable` would have made: the sockets journald and D-Bus are activated by, and PostgreSQL's
  // umbrella unit (Debian's generator adds every cluster whose start.conf says auto to it).
  const wants: [string, string][] = [
    ["sockets.target.wants", "systemd-journald.socket"],
    ["sockets.target.wants", "systemd-journald-dev-log.socket"],
    ["sockets.target.wants", "dbus.socket"],
    ["sysinit.target.wants", "systemd-journald.service"],
    ["multi-user.target.wants", "postgresql.service"],
  ];
  for (const [dirName, unit] of wants)
    await symlink(`/lib/systemd/system/${unit}`, path.join(system, dirName, unit));
  // Of the machine's generators only Debian's postgresql-generator: it reads the lab's private /etc/postgresql.
  try {
    await stat("/lib/systemd/system-generators/postgresql-generator");
    await symlink(
      "/lib/systemd/system-generators/postgresql-generator",
      path.join(paths.generators, "postgresql-generator"),
    );
  } catch {
    // no postgresql-common: no generator
  }
  await writeFile(paths.hostnameFile, `${opts.hostname}\n`, { mode: 0o644 });
  await writeFile(paths.consoleLog, "", { mode: 0o644 });
}

/**
 * The init script for a systemd lab host: the lab's usual private mounts and user database, then systemd's private
 * world, then `exec systemd` (PID 1 stays PID 1). Runs in new PID, IPC, mount, UTS and cgroup namespaces.
 */
export function renderSystemdInitScript(opts: { dir: string; hostname: string }): string {
  const paths = systemdPaths(opts.dir);
  const bind = (from: string, to: string): string => `mount --bind ${quote(from)} ${to}`;
  return [
    "#!/bin/bash",
    `# pgrescue lab host ${opts.hostname}: private mounts, then systemd as PID 1 with only the lab's units.`,
    "set -euo pipefail",
    `lab_dir=${quote(opts.dir)}`,
    "mount --make-rprivate /",
    "mount -t tmpfs -o mode=1777,nosuid,nodev,size=512m lab-tmp /tmp",
    "mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m lab-vartmp /var/tmp",
    "mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m lab-run /run",
    "mkdir -m 0755 /run/sshd /run/lock",
    "install -d -m 2775 -o postgres -g postgres /run/postgresql",
    "mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m lab-log /var/log",
    "install -d -m 1775 -o postgres -g postgres /var/log/postgresql",
    "mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m lab-systemd-state /var/lib/systemd",
    // A /dev of its own: systemd creates symlinks and nodes there.
    "mount -t tmpfs -o mode=0755,nosuid,size=1m lab-dev /dev",
    'for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do set -- $node; mknod -m 0666 "/dev/$1" c "$2" "$3"; done',
    "mkdir -m 0755 /dev/pts /dev/mqueue && mkdir -m 1777 /dev/shm",
    "mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 lab-devpts /dev/pts",
    "ln -s pts/ptmx /dev/ptmx",
    "mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m lab-shm /dev/shm",
    "ln -s /proc/self/fd /dev/fd && ln -s /proc/self/fd/0 /dev/stdin && ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr",
    `touch /dev/console && ${bind(paths.consoleLog, "/dev/console")}`,
    // The lab's user database, as on every lab host.
    'for file in passwd shadow group sudoers hosts; do mount --bind "$lab_dir/etc/$file" "/etc/$file"; done',
    // systemd's view: its units, its generators, no tmpfiles configuration, its /etc/systemd, a Debian /etc/postgresql.
    bind(paths.units, "/usr/lib/systemd/system"),
    bind(paths.generators, "/usr/lib/systemd/system-generators"),
    bind(paths.empty, "/usr/lib/tmpfiles.d"),
    bind(paths.empty, "/etc/tmpfiles.d"),
    bind(paths.etcSystemd, "/etc/systemd"),
    bind(paths.etcPostgresql, "/etc/postgresql"),
    bind(paths.hostnameFile, "/etc/hostname"),
    `hostname ${quote(opts.hostname)}`,
    // /sys read-only with a cgroup2 of its own (the namespace's root is the lab's cgroup on the machine).
    "mount -o remount,bind,ro /sys",
    "mount -t cgroup2 -o rw,nosuid,nodev,noexec lab-cgroup /sys/fs/cgroup",
    // /proc/sys read-only except ns_last_pid, which the lab's PID-reuse scenarios write.
    "mount --bind /proc/sys /proc/sys",
    "mount --bind /proc/sys/kernel/ns_last_pid /proc/sys/kernel/ns_last_pid",
    "mount -o remount,bind,ro /proc/sys",
    "mount -o remount,bind,rw /proc/sys/kernel/ns_last_pid",
    `exec env -i container=pgrescue-lab PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /lib/systemd/systemd --system --unit=${LAB_TARGET} --log-target=console --show-status=no`,
    "",
  ].join("\n");
}

/** The cgroup2 mount point on the machine: /sys/fs/cgroup/unified on hybrid hosts like these, /sys/fs/cgroup on pure v2 ones. */
export async function findCgroup2Mount(): Promise<string | null> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (before === undefined || after === undefined) continue;
    if (after.split(" ")[0] === "cgroup2") return before.split(" ")[4] ?? null;
  }
  return null;
}

const LAB_CGROUP_PARENT = "pgrescue-lab";

/** Makes <cgroup2>/pgrescue-lab/<name>-<random>: the lab's own cgroup, where its systemd becomes the manager. */
export async function createLabCgroup(name: string): Promise<string> {
  const mount = await findCgroup2Mount();
  if (mount === null)
    throw new Error(
      "no cgroup2 hierarchy is mounted on this machine: systemd in a lab host needs one (mount -t cgroup2 none /sys/fs/cgroup/unified)",
    );
  const parent = path.join(mount, LAB_CGROUP_PARENT);
  await mkdir(parent, { recursive: true });
  const dir = path.join(parent, `${name}-${randomBytes(3).toString("hex")}`);
  await mkdir(dir);
  return dir;
}

/** True only for directories this module creates: cleanup never touches any other cgroup. */
export function isLabCgroup(dir: string): boolean {
  const parts = dir.split("/");
  return parts.at(-2) === LAB_CGROUP_PARENT && /^[a-z0-9-]+-[0-9a-f]{6}$/.test(parts.at(-1) ?? "");
}

async function cgroupDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries)
    if (entry.isDirectory()) out.push(...(await cgroupDirs(path.join(dir, entry.name))));
  out.push(dir);
  return out;
}

/** PIDs (machine view) anywhere in the lab's cgroup subtree. */
export async function pidsInCgroup(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const sub of await cgroupDirs(dir)) {
    const text = await readFile(path.join(sub, "cgroup.procs"), "utf8").catch(() => "");
    for (const line of text.split("\n")) if (line.trim() !== "") pids.push(Number(line));
  }
  return pids;
}

/** Kills whatever is left in the lab's cgroup (cgroup.kill) and removes the subtree, deepest first. */
export async function removeLabCgroup(dir: string): Promise<void> {
  if (!isLabCgroup(dir)) throw new Error(`refusing to remove ${dir}: not a lab host's cgroup`);
  try {
    await stat(dir);
  } catch {
    return;
  }
  await writeFile(path.join(dir, "cgroup.kill"), "1").catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while ((await pidsInCgroup(dir)).length > 0) {
    if (Date.now() > deadline)
      throw new Error(
        `processes survived cgroup.kill in ${dir}: ${(await pidsInCgroup(dir)).join(", ")}`,
      );
    await sleep(50);
  }
  for (const sub of await cgroupDirs(dir)) await rmdir(sub);
}
