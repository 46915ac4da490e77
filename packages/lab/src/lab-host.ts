// Lab hosts' lifecycle: start (booted by lab-boot.ts), attach to a running one, list, stop and remove — making sure
// nothing of a host outlives it. A host's handle (TLabHost) runs commands inside it through host-exec.ts.
import { mkdir, readFile, readdir, readlink, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { THostContext } from "./context.ts";
import { defaultBaseDir, PRIVATE_MOUNTS } from "./env.ts";
import { execInHost, LabHostError } from "./host-exec.ts";
import { captureHostState } from "./host-state.ts";
import { createInstance, resetInstance, startServer, toLabInstance } from "./instances.ts";
import { bootHost, detectMode, requireTools } from "./lab-boot.ts";
import { LabSetupError } from "./pg-binaries.ts";
import { isProcessAlive, readPidNamespace, run, sleep, waitFor } from "./run.ts";
import { breakInstance } from "./scenarios.ts";
import { quoteAll } from "./shell.ts";
import { readLabState, writeLabState, type TLabState } from "./state-file.ts";
import { hooksFor, removeLabCgroup, type TSupervisorOptions } from "./supervisors/index.ts";
import type { TLabHost, TLabHostSummary, TLabLogin } from "./types.ts";

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

export type TStartLabHostOptions = {
  name?: string;
  baseDir?: string;
  /** The host is meant to outlive this process (the CLI): a later start with the same name refuses instead of replacing it. */
  detached?: boolean;
  /** PID 1 and what runs PostgreSQL (default tini with plain pg_ctl); systemd and Patroni need root. */
  supervisor?: TSupervisorOptions;
};

export function validateHostName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new LabHostError(
      `invalid lab host name "${name}": use 1-40 lowercase letters, digits and dashes, starting with a letter or digit`,
    );
  }
}

export async function startLabHost(opts: TStartLabHostOptions = {}): Promise<TLabHost> {
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
    const state = await bootHost({
      name,
      dir,
      mode,
      detached: opts.detached ?? false,
      supervisor,
    });
    return await openHandle(state, opts.baseDir);
  } catch (error) {
    await removeHost(dir).catch(() => undefined);
    throw error;
  }
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

export function makeContext(initial: TLabState, baseDir: string): THostContext {
  const dir = initial.dir;
  const readState = async (): Promise<TLabState> => {
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

/** A TLabHost for a state: the object tests and the CLI work with. Reads the login keys first. */
async function openHandle(
  initial: TLabState,
  baseDirOption: string | undefined,
): Promise<TLabHost> {
  const dir = initial.dir;
  const baseDir = path.resolve(baseDirOption ?? path.dirname(dir));
  const context = makeContext(initial, baseDir);
  const readState = context.readState;
  const withKey = async (login: TLabState["logins"]["postgres"]): Promise<TLabLogin> => ({
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
export async function attachLabHost(name: string, baseDir?: string): Promise<TLabHost> {
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

async function isHostRunning(state: TLabState): Promise<boolean> {
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

async function killHost(state: TLabState): Promise<void> {
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
async function killPlainHost(state: TLabState): Promise<void> {
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

export async function listLabHosts(baseDir?: string): Promise<TLabHostSummary[]> {
  const base = path.resolve(baseDir ?? defaultBaseDir());
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const summaries: TLabHostSummary[] = [];
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
