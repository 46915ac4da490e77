// Booting a lab host: its own PID/IPC/mount/UTS namespaces with tini (or systemd) as PID 1, private /dev/shm, /tmp,
// /run and /var/log mounted by its init script, its own user database and login keys, then its sshd (and etcd for
// Patroni). Lifecycle (start, attach, list, stop) is lab-host.ts.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import { forcedMode } from "./env.ts";
import { HOST_HELPER_SCRIPT } from "./host-helper.ts";
import { execInHost, LabHostError } from "./host-exec.ts";
import { startSshd } from "./lab-sshd.ts";
import { LabSetupError } from "./pg-binaries.ts";
import {
  isProcessAlive,
  readPidNamespace,
  readStartTime,
  run,
  runChecked,
  waitFor,
} from "./run.ts";
import { quote } from "./shell.ts";
import {
  fingerprintPublicKey,
  generateKeyPair,
  renderKnownHostsLine,
  type TKeyPair,
} from "./ssh-keys.ts";
import { writeLabState, type TLabState } from "./state-file.ts";
import {
  cgroupJoinPrefix,
  createLabCgroup,
  renderSystemdInitScript,
  startEtcd,
  supervisorTools,
  writeSystemdTree,
  type TSupervisorOptions,
  type TSupervisorRecord,
} from "./supervisors/index.ts";
import type { TLabMode } from "./types.ts";
import {
  planLabUsers,
  renderGroup,
  renderHosts,
  renderPasswd,
  renderShadow,
  renderSudoers,
  type TLabUsers,
} from "./users.ts";

/** A host's own PID, IPC, mount and UTS namespaces, /proc mounted afresh, mounts kept private to it. */
const NAMESPACE_FLAGS = [
  "--pid",
  "--ipc",
  "--mount",
  "--uts",
  "--fork",
  "--mount-proc",
  "--propagation",
  "private",
];

let detectedMode: Promise<TLabMode> | undefined;

/** root with real namespaces; without root, unprivileged user namespaces if the kernel allows them; else plain processes. */
export function detectMode(): Promise<TLabMode> {
  detectedMode ??= (async (): Promise<TLabMode> => {
    const uid = process.getuid?.() ?? -1;
    if (uid === 0) return "root";
    const forced = forcedMode();
    if (forced !== undefined) return forced;
    const gid = process.getgid?.() ?? -1;
    const probe = await run(
      "unshare",
      [
        "--user",
        `--map-user=${String(uid)}`,
        `--map-group=${String(gid)}`,
        "--keep-caps",
        ...NAMESPACE_FLAGS,
        "true",
      ],
      {
        timeoutMs: 10_000,
      },
    ).catch(() => null);
    return probe?.code === 0 ? "userns" : "plain";
  })();
  return detectedMode;
}

/** Paths each lab host mounts privately (init script), so the lab dir cannot live below them. */

export async function requireTools(mode: TLabMode, supervisor: TSupervisorOptions): Promise<void> {
  const tools: [string, string][] = [
    ...supervisorTools(supervisor),
    ["/usr/sbin/sshd", "openssh-server"],
    ["/usr/bin/ssh-keygen", "openssh-client"],
    ["/usr/bin/perl", "perl"],
  ];
  if (mode !== "plain")
    tools.push(
      ["/usr/bin/tini", "tini"],
      ["/usr/bin/unshare", "util-linux"],
      ["/usr/bin/nsenter", "util-linux"],
    );
  if (mode === "root") tools.push(["/usr/bin/setpriv", "util-linux"], ["/usr/bin/sudo", "sudo"]);
  const missing: string[] = [];
  for (const [file, pkg] of tools) {
    try {
      await stat(file);
    } catch {
      missing.push(`${file} (apt-get install ${pkg})`);
    }
  }
  const perl = await run("perl", ["-MJSON::PP", "-MIPC::SysV", "-MTime::HiRes", "-e", "1"]).catch(
    () => null,
  );
  if (perl?.code !== 0)
    missing.push("Perl modules JSON::PP, IPC::SysV, Time::HiRes (apt-get install perl)");
  if (missing.length > 0) throw new LabSetupError(`a lab host needs: ${missing.join("; ")}`);
}

/** Boots a host in an empty directory and returns its state (also written to state.json). */
export async function bootHost(opts: {
  name: string;
  dir: string;
  mode: TLabMode;
  detached: boolean;
  supervisor: TSupervisorOptions;
}): Promise<TLabState> {
  const { name, dir, mode } = opts;
  for (const sub of [
    "etc",
    "ssh",
    "ssh/authorized_keys",
    "home",
    "instances",
    "logs",
    "run",
    "bin",
  ]) {
    await mkdir(path.join(dir, sub), { recursive: true, mode: 0o755 });
  }
  await mkdir(path.join(dir, "keys"), { mode: 0o700 });
  const hostname = `lab-${name}`.slice(0, 63);
  const adminPassword = randomBytes(12).toString("base64url");
  const rsaPassphrase = randomBytes(12).toString("base64url");
  const users =
    mode === "root"
      ? await writeUserDatabase(dir, hostname, adminPassword)
      : await writeOwnUserDatabase(dir, hostname);
  if (mode === "root") await requireTraversable(dir, users.postgres);
  for (const user of Object.values(users)) {
    await mkdir(user.home, { recursive: true, mode: 0o755 });
    if (mode === "root") await chown(user.home, user.uid, user.gid);
  }

  const keyPath = (file: string): string => path.join(dir, "keys", file);
  const [hostKey, postgresKey, adminKey, rsaKey, appKey] = await Promise.all([
    generateKeyPair({
      path: path.join(dir, "ssh", "host_ed25519_key"),
      type: "ed25519",
      comment: `host@${hostname}`,
    }),
    generateKeyPair({
      path: keyPath("postgres_ed25519"),
      type: "ed25519",
      comment: `postgres@${hostname}`,
    }),
    generateKeyPair({
      path: keyPath("admin_ed25519"),
      type: "ed25519",
      comment: `${users.admin.name}@${hostname}`,
    }),
    generateKeyPair({
      path: keyPath("postgres_rsa"),
      type: "rsa",
      comment: `postgres-rsa@${hostname}`,
      passphrase: rsaPassphrase,
    }),
    generateKeyPair({
      path: keyPath("app_ed25519"),
      type: "ed25519",
      comment: `${users.app.name}@${hostname}`,
    }),
  ]);
  await writeAuthorizedKeys(dir, [
    [users.postgres.name, postgresKey],
    [users.postgres.name, rsaKey],
    [users.admin.name, adminKey],
    [users.app.name, appKey],
  ]);
  const helper = path.join(dir, "bin", "lab-helper.pl");
  await writeFile(helper, HOST_HELPER_SCRIPT, { mode: 0o755 });
  const initScript = path.join(dir, "bin", "init.sh");
  let supervisor: TSupervisorRecord =
    opts.supervisor.kind === "systemd"
      ? {
          kind: "systemd",
          unitStyle: opts.supervisor.unitStyle ?? "debian",
          restart: opts.supervisor.restart ?? "no",
          cgroupDir: "",
        }
      : { kind: "tini" };
  if (supervisor.kind === "systemd") {
    await writeSystemdTree({ dir, hostname });
    await writeFile(initScript, renderSystemdInitScript({ dir, hostname }), { mode: 0o755 });
    // Recorded before launching, so that a failed boot still removes it (removeHost reads cgroupDir from the state).
    supervisor = { ...supervisor, cgroupDir: await createLabCgroup(name) };
    await writeFile(path.join(dir, "run", "cgroup"), supervisor.cgroupDir);
  } else {
    await writeFile(initScript, renderInitScript({ dir, hostname, mode }), { mode: 0o755 });
  }

  const sshdConfig = path.join(dir, "ssh", "sshd_config");
  const sshdLog = path.join(dir, "logs", "sshd.log");
  const knownHostsFile = path.join(dir, "ssh", "known_hosts");
  const hostPublicKey = hostKey.publicKey.split(/\s+/).slice(0, 2).join(" ");
  const logins = {
    postgres: { username: users.postgres.name, privateKeyPath: postgresKey.privateKeyPath },
    admin: {
      username: users.admin.name,
      privateKeyPath: adminKey.privateKeyPath,
      ...(mode === "root" ? { password: adminPassword } : {}),
    },
    postgresRsa: {
      username: users.postgres.name,
      privateKeyPath: rsaKey.privateKeyPath,
      passphrase: rsaPassphrase,
    },
    app: { username: users.app.name, privateKeyPath: appKey.privateKeyPath },
  };
  const stateUsers = {
    postgres: pickUser(users.postgres),
    admin: pickUser(users.admin),
    app: pickUser(users.app),
  };

  const launched = await launchNamespace({ dir, mode, initScript, supervisor });
  const ownerStartTime = await readStartTime(process.pid);
  let state: TLabState = {
    version: 1,
    name,
    dir,
    mode,
    hostname,
    initPid: launched.initPid,
    initStartTime: launched.initStartTime,
    pidNamespace: launched.pidNamespace,
    ownerPid: process.pid,
    ownerStartTime,
    detached: opts.detached,
    startedAt: new Date().toISOString(),
    ssh: {
      host: "127.0.0.1",
      port: 0,
      hostKeyFingerprint: fingerprintPublicKey(hostPublicKey),
      hostPublicKey,
      knownHostsLine: "",
      knownHostsFile,
      configFile: sshdConfig,
      logFile: sshdLog,
    },
    logins,
    users: stateUsers,
    instances: [],
    supervisor,
  };
  await writeLabState(state);
  await waitForInit(state);

  const sshd = await startSshd(state, users);
  state = {
    ...state,
    initPid: mode === "plain" ? sshd.pid : state.initPid,
    initStartTime: mode === "plain" ? sshd.startTime : state.initStartTime,
    ssh: {
      ...state.ssh,
      port: sshd.port,
      knownHostsLine: renderKnownHostsLine("127.0.0.1", sshd.port, hostPublicKey),
    },
  };
  await writeFile(knownHostsFile, `${state.ssh.knownHostsLine}\n`, { mode: 0o644 });
  await writeLabState(state);
  if (opts.supervisor.kind === "patroni") {
    const launchedState = state;
    const etcd = await startEtcd(
      (command, execOpts) => execInHost(launchedState, command, execOpts ?? {}),
      dir,
    );
    state = { ...state, supervisor: { kind: "patroni", etcd } };
    await writeLabState(state);
  }
  return state;
}

function pickUser(user: {
  name: string;
  uid: number;
  gid: number;
  home: string;
}): TLabState["users"]["postgres"] {
  return { name: user.name, uid: user.uid, gid: user.gid, home: user.home };
}

/** Root mode: the lab's own passwd/shadow/group/sudoers/hosts, bind-mounted over /etc inside its mount namespace. */
async function writeUserDatabase(
  dir: string,
  hostname: string,
  adminPassword: string,
): Promise<TLabUsers> {
  const etc = (file: string): Promise<string> => readFile(path.join("/etc", file), "utf8");
  const [passwd, group, shadow, sudoers, hosts] = await Promise.all([
    etc("passwd"),
    etc("group"),
    etc("shadow"),
    etc("sudoers"),
    etc("hosts"),
  ]);
  const salt = randomBytes(12)
    .toString("base64")
    .replace(/[^A-Za-z0-9./]/g, ".")
    .slice(0, 16);
  const hash = (
    await runChecked("perl", [
      "-e",
      "print crypt($ARGV[0], '$6$' . $ARGV[1] . '$')",
      "--",
      adminPassword,
      salt,
    ])
  ).stdout.trim();
  if (!hash.startsWith("$6$"))
    throw new LabSetupError("this system's crypt() cannot make SHA-512 password hashes");
  const users = planLabUsers({ passwd, group, homeDir: path.join(dir, "home"), adminShadow: hash });
  const days = Math.floor(Date.now() / 86_400_000);
  const target = (file: string): string => path.join(dir, "etc", file);
  await writeFile(target("passwd"), renderPasswd(passwd, users), { mode: 0o644 });
  await writeFile(target("group"), renderGroup(group, users), { mode: 0o644 });
  await writeFile(target("shadow"), renderShadow(shadow, users, days), { mode: 0o640 });
  await writeFile(target("sudoers"), renderSudoers(sudoers, users), { mode: 0o440 });
  await writeFile(target("hosts"), renderHosts(hosts, hostname), { mode: 0o644 });
  const shadowGid = (await stat("/etc/shadow")).gid;
  await chown(target("shadow"), 0, shadowGid);
  return users;
}

/**
 * Without root every login is the invoking user (sshd running as that user can only log in that user).
 * In userns mode passwd/shadow/hosts copies are bind-mounted: lab home, bash as shell, "*" as password.
 */
async function writeOwnUserDatabase(dir: string, hostname: string): Promise<TLabUsers> {
  const me = userInfo();
  const user = {
    name: me.username,
    uid: me.uid,
    gid: me.gid,
    group: me.username,
    home: path.join(dir, "home", me.username),
    shell: "/bin/bash",
    shadow: "*",
  };
  const users = { postgres: user, admin: user, app: user };
  const [passwd, hosts] = await Promise.all([
    readFile("/etc/passwd", "utf8"),
    readFile("/etc/hosts", "utf8"),
  ]);
  const days = Math.floor(Date.now() / 86_400_000);
  const target = (file: string): string => path.join(dir, "etc", file);
  await writeFile(target("passwd"), renderPasswd(passwd, users), { mode: 0o644 });
  await writeFile(target("shadow"), renderShadow("", users, days), { mode: 0o600 });
  await writeFile(target("hosts"), renderHosts(hosts, hostname), { mode: 0o644 });
  return users;
}

async function requireTraversable(
  dir: string,
  user: { name: string; uid: number; gid: number },
): Promise<void> {
  const probe = await run("setpriv", [
    `--reuid=${String(user.uid)}`,
    `--regid=${String(user.gid)}`,
    "--clear-groups",
    "--",
    "test",
    "-x",
    dir,
  ]);
  if (probe.code !== 0) {
    throw new LabSetupError(
      `the OS user ${user.name} cannot reach ${dir} (a parent directory is not searchable by others): choose another base dir with --base-dir or PGRESCUE_LAB_DIR, e.g. /var/lib/pgrescue-lab`,
    );
  }
}

async function writeAuthorizedKeys(dir: string, entries: [string, TKeyPair][]): Promise<void> {
  const byUser = new Map<string, string[]>();
  for (const [user, key] of entries) byUser.set(user, [...(byUser.get(user) ?? []), key.publicKey]);
  for (const [user, keys] of byUser) {
    await writeFile(path.join(dir, "ssh", "authorized_keys", user), keys.join("\n") + "\n", {
      mode: 0o644,
    });
  }
}

export function renderInitScript(opts: { dir: string; hostname: string; mode: TLabMode }): string {
  const lines = [
    "#!/bin/bash",
    `# pgrescue lab host ${opts.hostname}: runs under tini (PID 1) in the host's namespaces; private mounts, then idles.`,
    "set -euo pipefail",
    `lab_dir=${quote(opts.dir)}`,
    "mount --make-rprivate /",
    "mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m lab-shm /dev/shm",
    "mount -t tmpfs -o mode=1777,nosuid,nodev,size=512m lab-tmp /tmp",
    "mount -t tmpfs -o mode=0755,nosuid,nodev,size=32m lab-run /run",
    "mkdir -m 0755 /run/sshd",
    "mkdir -m 1777 /run/lock",
    "mount -t tmpfs -o mode=0755,nosuid,nodev,size=32m lab-log /var/log",
  ];
  if (opts.mode === "root") {
    lines.push(
      'for file in passwd shadow group sudoers hosts; do mount --bind "$lab_dir/etc/$file" "/etc/$file"; done',
    );
  } else {
    // Without root: the invoking user with a lab home, a usable shell and an unlocked shadow entry.
    lines.push(
      'for file in passwd shadow hosts; do mount --bind "$lab_dir/etc/$file" "/etc/$file"; done',
    );
    // Processes started later cannot write ns_last_pid (no capabilities after exec), so getting a chosen PID
    // (pid-reused, legacy-semaphores) means cycling through all PIDs: keep them few (the kernel would allow
    // 4 million here), and start above 300, below which PIDs are never handed out again after a wrap.
    lines.push(
      "echo 8192 > /proc/sys/kernel/pid_max 2>/dev/null || true",
      "echo 1000 > /proc/sys/kernel/ns_last_pid 2>/dev/null || true",
    );
  }
  // hostname(1) uses sethostname(2), which a user namespace allows; /proc/sys is owned by the machine's root.
  const name = quote(opts.hostname);
  lines.push(
    `hostname ${name} 2>/dev/null || echo ${name} > /proc/sys/kernel/hostname`,
    'touch "$lab_dir/run/ready"',
    "exec -a pgrescue-lab-init sleep infinity",
  );
  return lines.join("\n") + "\n";
}

type TLaunched = { initPid: number; initStartTime: number; pidNamespace: string | null };

/** Starts `unshare … tini -- bash init.sh` in its own session, detached from this process's stdio. */
async function launchNamespace(opts: {
  dir: string;
  mode: TLabMode;
  initScript: string;
  supervisor: TSupervisorRecord;
}): Promise<TLaunched> {
  if (opts.mode === "plain") {
    // No namespaces: the "init" is the sshd started next; nothing to mount.
    await writeFile(path.join(opts.dir, "run", "ready"), "");
    return {
      initPid: process.pid,
      initStartTime: (await readStartTime(process.pid)) ?? 0,
      pidNamespace: null,
    };
  }
  const userFlags =
    opts.mode === "userns"
      ? [
          "--user",
          `--map-user=${String(process.getuid?.() ?? 0)}`,
          `--map-group=${String(process.getgid?.() ?? 0)}`,
          "--keep-caps",
        ]
      : [];
  const log = openSync(path.join(opts.dir, "logs", "init.log"), "a");
  // systemd is PID 1 itself (the init script execs it) and gets a cgroup namespace rooted at the lab's cgroup.
  const systemd = opts.supervisor.kind === "systemd";
  const argv = [
    ...cgroupJoinPrefix(opts.supervisor),
    "unshare",
    ...userFlags,
    ...NAMESPACE_FLAGS,
    ...(systemd ? ["--cgroup"] : []),
    "--kill-child=SIGKILL",
    "--",
    ...(systemd ? [] : ["tini", "--"]),
    "/bin/bash",
    opts.initScript,
  ];
  const [launcher, ...launcherArgs] = argv;
  if (launcher === undefined) throw new LabHostError("empty launcher command");
  const child = spawn(launcher, launcherArgs, {
    detached: true,
    stdio: ["ignore", log, log],
    cwd: "/",
  });
  closeSync(log);
  child.unref();
  const launcherPid = child.pid;
  if (launcherPid === undefined) throw new LabHostError("could not start unshare");
  const initPid = await waitFor(
    async () => {
      try {
        const children = await readFile(
          `/proc/${String(launcherPid)}/task/${String(launcherPid)}/children`,
          "utf8",
        );
        const first = Number(children.trim().split(/\s+/)[0]);
        return first > 0 ? first : undefined;
      } catch {
        throw new LabHostError(
          `unshare exited at once: ${await readFile(path.join(opts.dir, "logs", "init.log"), "utf8").catch(() => "")}`,
        );
      }
    },
    10_000,
    () => "unshare did not start tini within 10 s",
  );
  const initStartTime = await readStartTime(initPid);
  if (initStartTime === null)
    throw new LabHostError(
      `tini (PID ${String(initPid)}) died at once: ${await readFile(path.join(opts.dir, "logs", "init.log"), "utf8")}`,
    );
  return { initPid, initStartTime, pidNamespace: await readPidNamespace(initPid) };
}

async function waitForInit(state: TLabState): Promise<void> {
  const initLog = (): Promise<string> =>
    readFile(path.join(state.dir, "logs", "init.log"), "utf8").catch(() => "");
  await waitFor(
    async () => {
      if (state.mode !== "plain" && !(await isProcessAlive(state.initPid, state.initStartTime))) {
        throw new LabHostError(`the lab host's init exited while setting up: ${await initLog()}`);
      }
      try {
        await stat(path.join(state.dir, "run", "ready"));
        return true;
      } catch {
        return undefined;
      }
    },
    15_000,
    async () => `the lab host's init did not finish its setup within 15 s: ${await initLog()}`,
  );
}
