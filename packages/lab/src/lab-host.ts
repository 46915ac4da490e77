// Lab hosts: own PID/IPC/mount/UTS namespaces with tini as PID 1, private /dev/shm, /tmp and /run, its own
// user database and a real OpenSSH sshd on 127.0.0.1 — started, attached to, listed and stopped.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { chown, mkdir, readFile, readdir, readlink, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import type { HostContext } from "./context.ts";
import { defaultBaseDir, forcedMode, PRIVATE_MOUNTS } from "./env.ts";
import { HOST_HELPER_SCRIPT } from "./host-helper.ts";
import { captureHostState } from "./host-state.ts";
import { createInstance, resetInstance, startServer, toLabInstance } from "./instances.ts";
import { LabSetupError } from "./pg-binaries.ts";
import { findFreePort } from "./ports.ts";
import {
  isProcessAlive,
  readPidNamespace,
  readStartTime,
  run,
  runChecked,
  sleep,
  waitFor,
} from "./run.ts";
import { breakInstance } from "./scenarios.ts";
import {
  cgroupJoinPrefix,
  createLabCgroup,
  hooksFor,
  removeLabCgroup,
  renderSshdUnitCommand,
  renderSystemdInitScript,
  startEtcd,
  supervisorTools,
  writeSystemdTree,
  type SupervisorOptions,
  type SupervisorRecord,
} from "./supervisors/index.ts";
import { quote, quoteAll } from "./shell.ts";
import { renderSshdConfig } from "./sshd-config.ts";
import {
  fingerprintPublicKey,
  generateKeyPair,
  renderKnownHostsLine,
  type KeyPair,
} from "./ssh-keys.ts";
import { readLabState, writeLabState, type LabState } from "./state-file.ts";
import type {
  LabExecOptions,
  LabExecResult,
  LabHost,
  LabHostSummary,
  LabLogin,
  LabMode,
} from "./types.ts";
import {
  planLabUsers,
  renderGroup,
  renderHosts,
  renderPasswd,
  renderShadow,
  renderSudoers,
  type LabUsers,
} from "./users.ts";

export class LabHostError extends Error {
  override name = "LabHostError";
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const EXEC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

export type StartLabHostOptions = {
  name?: string;
  baseDir?: string;
  /** The host is meant to outlive this process (the CLI): a later start with the same name refuses instead of replacing it. */
  detached?: boolean;
  /** PID 1 and what runs PostgreSQL (default tini with plain pg_ctl); systemd and Patroni need root. */
  supervisor?: SupervisorOptions;
};

export function validateHostName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new LabHostError(
      `invalid lab host name "${name}": use 1-40 lowercase letters, digits and dashes, starting with a letter or digit`,
    );
  }
}

let detectedMode: Promise<LabMode> | undefined;

/** root with real namespaces; without root, unprivileged user namespaces if the kernel allows them; else plain processes. */
export function detectMode(): Promise<LabMode> {
  detectedMode ??= (async (): Promise<LabMode> => {
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

async function requireTools(mode: LabMode, supervisor: SupervisorOptions): Promise<void> {
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

export async function startLabHost(opts: StartLabHostOptions = {}): Promise<LabHost> {
  const baseDir = path.resolve(opts.baseDir ?? defaultBaseDir());
  const name = opts.name ?? "lab";
  validateHostName(name);
  const dir = path.join(baseDir, name);
  const hidden = PRIVATE_MOUNTS.find((mount) => dir === mount || dir.startsWith(`${mount}/`));
  if (hidden !== undefined) {
    throw new LabSetupError(
      `the lab base dir ${baseDir} is under ${hidden}, which a lab host replaces with its own private mount: use another one, e.g. /var/lib/pgrescue-lab (not /var/tmp: sshd refuses keys below a world-writable directory)`,
    );
  }
  await clearLeftover(dir, name);
  const mode = await detectMode();
  const supervisor = opts.supervisor ?? { kind: "tini" };
  if (supervisor.kind !== "tini" && mode !== "root")
    throw new LabSetupError(
      `a lab host with ${supervisor.kind} needs root (real PID, mount and cgroup namespaces); this runs in ${mode} mode`,
    );
  await requireTools(mode, supervisor);
  try {
    await mkdir(baseDir, { recursive: true, mode: 0o755 });
    await mkdir(dir, { mode: 0o755 });
  } catch (error) {
    throw new LabSetupError(
      `cannot create ${dir} (${error instanceof Error ? error.message : String(error)}): choose a base dir you can write with --base-dir or PGRESCUE_LAB_DIR`,
    );
  }
  try {
    return await bootHost({
      name,
      dir,
      baseDir,
      mode,
      detached: opts.detached ?? false,
      supervisor,
    });
  } catch (error) {
    await removeHost(dir).catch(() => undefined);
    throw error;
  }
}

async function bootHost(opts: {
  name: string;
  dir: string;
  baseDir: string;
  mode: LabMode;
  detached: boolean;
  supervisor: SupervisorOptions;
}): Promise<LabHost> {
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
  let supervisor: SupervisorRecord =
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
  let state: LabState = {
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
  return openHandle(state, opts.baseDir);
}

function pickUser(user: {
  name: string;
  uid: number;
  gid: number;
  home: string;
}): LabState["users"]["postgres"] {
  return { name: user.name, uid: user.uid, gid: user.gid, home: user.home };
}

/** Root mode: the lab's own passwd/shadow/group/sudoers/hosts, bind-mounted over /etc inside its mount namespace. */
async function writeUserDatabase(
  dir: string,
  hostname: string,
  adminPassword: string,
): Promise<LabUsers> {
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
async function writeOwnUserDatabase(dir: string, hostname: string): Promise<LabUsers> {
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

async function writeAuthorizedKeys(dir: string, entries: [string, KeyPair][]): Promise<void> {
  const byUser = new Map<string, string[]>();
  for (const [user, key] of entries) byUser.set(user, [...(byUser.get(user) ?? []), key.publicKey]);
  for (const [user, keys] of byUser) {
    await writeFile(path.join(dir, "ssh", "authorized_keys", user), keys.join("\n") + "\n", {
      mode: 0o644,
    });
  }
}

export function renderInitScript(opts: { dir: string; hostname: string; mode: LabMode }): string {
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

type Launched = { initPid: number; initStartTime: number; pidNamespace: string | null };

/** Starts `unshare … tini -- bash init.sh` in its own session, detached from this process's stdio. */
async function launchNamespace(opts: {
  dir: string;
  mode: LabMode;
  initScript: string;
  supervisor: SupervisorRecord;
}): Promise<Launched> {
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

async function waitForInit(state: LabState): Promise<void> {
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

type SshdStarted = { port: number; pid: number; startTime: number };

/** Starts sshd inside the host on a free loopback port, retrying with another port when that one was taken meanwhile. */
async function startSshd(state: LabState, users: LabUsers): Promise<SshdStarted> {
  const unprivileged = state.mode !== "root";
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    const config = renderSshdConfig({
      port,
      hostKeyPath: path.join(state.dir, "ssh", "host_ed25519_key"),
      pidFile: path.join(state.dir, "run", "sshd.pid"),
      authorizedKeysDir: path.join(state.dir, "ssh", "authorized_keys"),
      allowUsers: [...new Set([users.postgres.name, users.admin.name, users.app.name])],
      passwordUsers: state.mode === "root" ? [users.admin.name] : [],
      unprivileged,
    });
    await writeFile(state.ssh.configFile, config, { mode: 0o644 });
    await writeFile(
      state.ssh.logFile,
      `--- sshd on port ${String(port)} (attempt ${String(attempt)})\n`,
      { flag: "a" },
    );
    await rm(path.join(state.dir, "run", "sshd.pid"), { force: true });
    let pid: number;
    if (state.mode === "plain") {
      const log = openSync(state.ssh.logFile, "a");
      const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", state.ssh.configFile], {
        detached: true,
        stdio: ["ignore", log, log],
        cwd: "/",
      });
      closeSync(log);
      child.unref();
      pid = child.pid ?? 0;
    } else {
      const started = await execInHost(
        state,
        state.supervisor.kind === "systemd"
          ? renderSshdUnitCommand({ configFile: state.ssh.configFile, logFile: state.ssh.logFile })
          : `setsid -f /usr/sbin/sshd -D -e -f ${quote(state.ssh.configFile)} </dev/null >>${quote(state.ssh.logFile)} 2>&1`,
        {},
      );
      if (started.code !== 0) throw new LabHostError(`could not start sshd: ${started.stderr}`);
      pid = 0;
    }
    const banner = await waitForBanner(port, 5_000);
    if (banner) {
      const startTime = state.mode === "plain" ? ((await readStartTime(pid)) ?? 0) : 0;
      return { port, pid, startTime };
    }
    const log = await readFile(state.ssh.logFile, "utf8").catch(() => "");
    if (attempt >= 5 || !/Bind to port|Cannot bind|Address already in use/.test(log)) {
      throw new LabHostError(
        `sshd did not answer on 127.0.0.1:${String(port)}: ${log.split("\n").slice(-15).join("\n")}`,
      );
    }
  }
}

/** True once something on 127.0.0.1:port greets with an SSH-2.0 banner. */
async function waitForBanner(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await readBanner(port)) return true;
    await sleep(50);
  }
  return false;
}

function readBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let seen = "";
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => {
      finish(false);
    });
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (seen.includes("\n")) finish(seen.startsWith("SSH-2.0-OpenSSH"));
    });
    socket.on("error", () => {
      finish(false);
    });
    socket.on("end", () => {
      finish(false);
    });
  });
}

function userRecord(
  state: LabState,
  name: string,
): { uid: number; gid: number; home: string } | null {
  if (name === "root") return { uid: 0, gid: 0, home: "/root" };
  const user = Object.values(state.users).find((candidate) => candidate.name === name);
  return user ?? null;
}

/** Runs `sh -c command` inside the host's namespaces as `user` (root by default in root mode), with a clean C-locale environment. */
export async function execInHost(
  state: LabState,
  command: string,
  opts: LabExecOptions,
): Promise<LabExecResult> {
  const user = opts.user ?? (state.mode === "root" ? "root" : state.users.postgres.name);
  if (state.mode !== "plain" && !(await isProcessAlive(state.initPid, state.initStartTime))) {
    throw new LabHostError(
      `lab host "${state.name}" is not running (its init PID ${String(state.initPid)} is gone)`,
    );
  }
  const known = userRecord(state, user);
  if (state.mode !== "root" && user !== state.users.postgres.name) {
    throw new LabHostError(
      `lab host "${state.name}" runs without root (${state.mode} mode): commands can only run as ${state.users.postgres.name}, not ${user}`,
    );
  }
  const env = [
    "env",
    "-i",
    `HOME=${known?.home ?? "/"}`,
    `USER=${user}`,
    `LOGNAME=${user}`,
    `PATH=${EXEC_PATH}`,
    "LC_ALL=C",
    "LANG=C",
    "SHELL=/bin/sh",
  ];
  const shell = ["/bin/sh", "-c", command];
  let argv: string[];
  if (state.mode === "root") {
    const drop =
      user === "root"
        ? []
        : known === null
          ? ["runuser", "-u", user, "--"]
          : [
              "setpriv",
              `--reuid=${String(known.uid)}`,
              `--regid=${String(known.gid)}`,
              "--init-groups",
              "--",
            ];
    argv = [
      ...cgroupJoinPrefix(state.supervisor),
      "nsenter",
      `--target=${String(state.initPid)}`,
      "--pid",
      "--ipc",
      "--mount",
      "--uts",
      ...(state.supervisor.kind === "systemd" ? ["--cgroup"] : []),
      "--",
      ...drop,
      ...env,
      ...shell,
    ];
  } else if (state.mode === "userns") {
    argv = [
      "nsenter",
      `--target=${String(state.initPid)}`,
      "--user",
      "--preserve-credentials",
      "--pid",
      "--ipc",
      "--mount",
      "--uts",
      "--",
      ...env,
      ...shell,
    ];
  } else {
    argv = [...env, ...shell];
  }
  const [file, ...args] = argv;
  if (file === undefined) throw new LabHostError("empty command");
  return run(file, args, {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
  });
}

const stateLocks = new Map<string, Promise<unknown>>();

/** Read-modify-write of a state file one at a time within this process (e.g. two createInstance calls in parallel). */
function serialized<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const previous = stateLocks.get(dir) ?? Promise.resolve();
  const next = previous.then(task, task);
  stateLocks.set(
    dir,
    next.catch(() => undefined),
  );
  return next;
}

export function makeContext(initial: LabState, baseDir: string): HostContext {
  const dir = initial.dir;
  const readState = async (): Promise<LabState> => {
    const state = await readLabState(dir);
    if (state === null)
      throw new LabHostError(
        `lab host "${initial.name}" has no state file any more (${dir}/state.json): was it stopped?`,
      );
    return state;
  };
  return {
    dir,
    baseDir,
    mode: initial.mode,
    users: initial.users,
    helper: path.join(dir, "bin", "lab-helper.pl"),
    exec: (command, opts) => execInHost(initial, command, opts ?? {}),
    supervisor: hooksFor(initial.supervisor),
    readState,
    updateState: (change) =>
      serialized(dir, async () => {
        const next = change(await readState());
        await writeLabState(next);
        return next;
      }),
  };
}

/** A LabHost for a state: the object tests and the CLI work with. Reads the login keys first. */
async function openHandle(initial: LabState, baseDirOption: string | undefined): Promise<LabHost> {
  const dir = initial.dir;
  const baseDir = path.resolve(baseDirOption ?? path.dirname(dir));
  const context = makeContext(initial, baseDir);
  const readState = context.readState;
  const withKey = async (login: LabState["logins"]["postgres"]): Promise<LabLogin> => ({
    ...login,
    privateKey: await readFile(login.privateKeyPath, "utf8"),
  });
  const logins = {
    postgres: await withKey(initial.logins.postgres),
    admin: await withKey(initial.logins.admin),
    postgresRsa: await withKey(initial.logins.postgresRsa),
    app: await withKey(initial.logins.app),
  };
  return {
    name: initial.name,
    dir,
    mode: initial.mode,
    initPid: initial.initPid,
    ssh: {
      host: initial.ssh.host,
      port: initial.ssh.port,
      hostKeyFingerprint: initial.ssh.hostKeyFingerprint,
      hostPublicKey: initial.ssh.hostPublicKey,
      knownHostsLine: initial.ssh.knownHostsLine,
      knownHostsFile: initial.ssh.knownHostsFile,
      configFile: initial.ssh.configFile,
      pidFile: path.join(dir, "run", "sshd.pid"),
    },
    logins,
    supervisor: initial.supervisor,
    exec: context.exec,
    createInstance: (opts) => createInstance(context, opts),
    breakInstance: (instance, scenario, opts) => breakInstance(context, instance, scenario, opts),
    supervisorView: async (instance) => {
      const record = (await readState()).instances.find((entry) => entry.name === instance.name);
      if (record === undefined)
        throw new LabHostError(`no instance "${instance.name}" on lab host ${initial.name}`);
      return context.supervisor.view(context, record);
    },
    captureState: async () => captureHostState(context, (await readState()).instances),
    listInstances: async () => (await readState()).instances.map(toLabInstance),
    stop: () => removeHost(dir),
  };
}

/** Attaches to a running lab host started by this or another process (e.g. the CLI). */
export async function attachLabHost(name: string, baseDir?: string): Promise<LabHost> {
  validateHostName(name);
  const dir = path.join(path.resolve(baseDir ?? defaultBaseDir()), name);
  const state = await readLabState(dir);
  if (state === null)
    throw new LabHostError(
      `no lab host "${name}" under ${path.dirname(dir)} (start one with pnpm lab up --name ${name})`,
    );
  if (!(await isHostRunning(state)))
    throw new LabHostError(
      `lab host "${name}" is not running any more (remove it with pnpm lab down --name ${name})`,
    );
  return openHandle(state, baseDir);
}

async function isHostRunning(state: LabState): Promise<boolean> {
  return isProcessAlive(state.initPid, state.initStartTime);
}

/** If a lab host of this name exists: replace it when it is a leftover of a crashed test, refuse when somebody still uses it. */
async function clearLeftover(dir: string, name: string): Promise<void> {
  const state = await readLabState(dir);
  if (state !== null && (await isHostRunning(state))) {
    const ownerAlive = await isProcessAlive(state.ownerPid, state.ownerStartTime);
    if (state.detached || ownerAlive) {
      throw new LabHostError(
        `lab host "${name}" is already running (init PID ${String(state.initPid)}, ssh port ${String(state.ssh.port)}, started ${state.startedAt} by PID ${String(state.ownerPid)}); stop it first: pnpm lab down --name ${name}`,
      );
    }
  }
  try {
    await stat(dir);
  } catch {
    return;
  }
  await removeHost(dir);
}

/** Kills the host (its PID namespace dies with tini), checks that nothing of it is left, and deletes its directory. */
export async function removeHost(dir: string): Promise<void> {
  const state = await readLabState(dir);
  if (state !== null) await killHost(state);
  // A systemd host's cgroup: from the state, or from run/cgroup when the boot failed before the state was written.
  const cgroupDir =
    state?.supervisor.kind === "systemd"
      ? state.supervisor.cgroupDir
      : (await readFile(path.join(dir, "run", "cgroup"), "utf8").catch(() => "")).trim();
  if (cgroupDir !== "") await removeLabCgroup(cgroupDir);
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function killHost(state: LabState): Promise<void> {
  if (state.mode === "plain") {
    await killPlainHost(state);
    return;
  }
  if (await isProcessAlive(state.initPid, state.initStartTime)) {
    try {
      process.kill(state.initPid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await waitFor(
    async () => ((await isProcessAlive(state.initPid, state.initStartTime)) ? undefined : true),
    10_000,
    () => `tini (PID ${String(state.initPid)}) of lab host "${state.name}" did not die`,
  );
  const namespace = state.pidNamespace;
  if (namespace === null) return;
  await waitFor(
    async () => ((await pidsInNamespace(namespace)).length === 0 ? true : undefined),
    10_000,
    async () =>
      `processes of lab host "${state.name}" survived its init: ${(await pidsInNamespace(namespace)).join(", ")}`,
  );
}

/** Machine PIDs (live or zombie) in a PID namespace. */
export async function pidsInNamespace(namespace: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if ((await readPidNamespace(pid)) === namespace) pids.push(pid);
  }
  return pids;
}

/**
 * Plain mode has no namespace to kill: each instance is reset (its processes killed, the scenario's
 * semaphore sets removed) and started and stopped once more, so that PostgreSQL removes its own SysV
 * segment and /dev/shm files from the machine; then sshd and anything else started from the lab dir ends.
 */
async function killPlainHost(state: LabState): Promise<void> {
  const context = makeContext(state, path.dirname(state.dir));
  for (const instance of state.instances) {
    try {
      const cleared = await resetInstance(context, instance);
      await startServer(context, cleared);
      await context.exec(
        quoteAll([
          path.join(instance.binDir, "pg_ctl"),
          "stop",
          "-D",
          instance.pgdata,
          "-m",
          "fast",
          "-w",
          "-t",
          "30",
        ]),
        { timeoutMs: 60_000 },
      );
    } catch {
      // best effort: whatever is left is killed below
    }
  }
  const victims: number[] = [];
  if (await isProcessAlive(state.initPid, state.initStartTime)) victims.push(state.initPid);
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cwd.startsWith(state.dir) || cmdline.includes(state.dir)) victims.push(Number(entry));
  }
  for (const instance of state.instances)
    for (const ref of instance.artifacts.processes)
      if (await isProcessAlive(ref.pid, ref.startTime)) victims.push(ref.pid);
  for (const pid of victims) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await sleep(200);
}

/** Mounts made inside a lab host stay in its mount namespace; this only catches a leak (it should find nothing). */
async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run("umount", ["-l", point]).catch(() => undefined);
}

export async function listLabHosts(baseDir?: string): Promise<LabHostSummary[]> {
  const base = path.resolve(baseDir ?? defaultBaseDir());
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const summaries: LabHostSummary[] = [];
  for (const entry of entries.sort()) {
    if (entry.startsWith(".") || !NAME_PATTERN.test(entry)) continue;
    const dir = path.join(base, entry);
    if (!(await stat(dir)).isDirectory()) continue;
    const state = await readLabState(dir);
    if (state === null) {
      summaries.push({
        name: entry,
        dir,
        mode: "unknown",
        supervisor: "unknown",
        status: "broken",
        initPid: null,
        sshPort: null,
        startedAt: null,
        ownerPid: null,
        ownerAlive: false,
        detached: false,
        instances: [],
      });
      continue;
    }
    summaries.push({
      name: state.name,
      dir,
      mode: state.mode,
      supervisor: state.supervisor.kind,
      status: (await isHostRunning(state)) ? "running" : "dead",
      initPid: state.initPid,
      sshPort: state.ssh.port,
      startedAt: state.startedAt,
      ownerPid: state.ownerPid,
      ownerAlive: await isProcessAlive(state.ownerPid, state.ownerStartTime),
      detached: state.detached,
      instances: state.instances.map(toLabInstance),
    });
  }
  return summaries;
}

export async function stopLabHost(name: string, baseDir?: string): Promise<void> {
  validateHostName(name);
  const dir = path.join(path.resolve(baseDir ?? defaultBaseDir()), name);
  try {
    await stat(dir);
  } catch {
    throw new LabHostError(`no lab host "${name}" under ${path.dirname(dir)}`);
  }
  await removeHost(dir);
}
