// Public types of @pgrescue/lab: lab hosts, their logins and instances, scenarios and host snapshots.
import type {
  TInstanceSupervision,
  TUnitOptions,
  TSupervisorRecord,
  TSupervisorView,
} from "./supervisors/types.ts";

/** How a lab host is isolated: root uses real namespaces and several OS users; the others are fallbacks without root. */
export type TLabMode = "root" | "userns" | "plain";

export type TLabLogin = {
  username: string;
  privateKeyPath: string;
  privateKey: string;
  passphrase?: string;
  password?: string;
};

export type TLabLogins = {
  /** The PostgreSQL OS user itself, ed25519 key without passphrase. */
  postgres: TLabLogin;
  /** An administrator who reaches postgres through `sudo -n -u postgres`; ed25519 key and a password. */
  admin: TLabLogin;
  /** The PostgreSQL OS user again, with an RSA key protected by a passphrase. */
  postgresRsa: TLabLogin;
  /** An unrelated OS user owning "another application's" processes and IPC objects (root mode only a separate user). */
  app: TLabLogin;
};

export type TLabSsh = {
  host: "127.0.0.1";
  port: number;
  /** As `ssh-keygen -lf` prints it: "SHA256:…" */
  hostKeyFingerprint: string;
  /** "ssh-ed25519 AAAA…" */
  hostPublicKey: string;
  /** "[127.0.0.1]:PORT ssh-ed25519 AAAA…" */
  knownHostsLine: string;
  /** A file holding knownHostsLine, for `ssh -o UserKnownHostsFile=…`. */
  knownHostsFile: string;
  /** sshd_config of the host's sshd; tests may edit it and send SIGHUP to the PID in pidFile (inside the host). */
  configFile: string;
  pidFile: string;
};

export type TLabInstance = {
  name: string;
  major: 15 | 18;
  pgdata: string;
  binDir: string;
  port: number;
  socketDir: string;
  logFile: string;
  /** The OS user the server runs as (postgres in root mode, the invoking user otherwise). */
  osUser: string;
  /** Its systemd unit or Patroni member; absent when plain pg_ctl starts it (tini hosts). */
  supervision?: TInstanceSupervision;
};

export type TCreateInstanceOptions = {
  name: string;
  major: 15 | 18;
  port?: number;
  unit?: TUnitOptions;
};

export type TLabExecOptions = { user?: string; timeoutMs?: number; input?: string };
export type TLabExecResult = { stdout: string; stderr: string; code: number };

export const SCENARIOS = [
  "healthy",
  "stopped-clean",
  "zombies",
  "orphan-attached",
  "stale-pidfile",
  "pid-reused",
  "two-instances",
  "legacy-semaphores",
] as const;

export type TScenario = (typeof SCENARIOS)[number];

/** How a semaphore set relates to the instance a scenario broke; only "ours" may ever be removed by a recovery. */
export type TSemaphoreKind =
  | "ours"
  | "same-user-other-creator"
  | "same-user-wrong-magic"
  | "other-user-live-creator"
  | "other-application";

export type TLabSemaphoreSet = {
  semid: number;
  key: number;
  owner: string;
  ownerUid: number;
  nsems: number;
  values: number[];
  /** sempid of the last semaphore: the PID that last set it, i.e. the creator for PostgreSQL's marker. */
  creatorPid: number;
  creatorAlive: boolean;
  kind: TSemaphoreKind;
  ours: boolean;
};

export type TLabShmSegment = { key: number; shmid: number; nattch: number; ownerUid: number };

/**
 * What a scenario left behind. All PIDs are as seen inside the lab host (what ssh, ps and /proc show
 * there), except TLabHost.initPid. Arrays are empty when they do not apply to the scenario.
 */
export type TScenarioState = {
  scenario: TScenario;
  instance: string;
  pgdata: string;
  summary: string;
  /** Live postmaster, or null when none runs. */
  postmasterPid: number | null;
  /** Line 1 of postmaster.pid, or null when there is no pid file. */
  pidFilePid: number | null;
  /** Client backends started by the scenario (pg_sleep sessions), dead or alive. */
  backendPids: number[];
  /** Processes in state Z whose parent is the (stopped) postmaster. */
  zombiePids: number[];
  /** Instance processes whose postmaster is gone, re-parented to PID 1. */
  orphanPids: number[];
  /** Processes in state T (stopped) that belong to the instance. */
  stoppedPids: number[];
  /** psql client processes still connected (or waiting) for the scenario's sessions. */
  clientPids: number[];
  /** Live processes that have nothing to do with the instance (the PID reuser, the other user's semaphore creator). */
  unrelatedPids: number[];
  /** The instance's SysV shared-memory segment (pid-file line 7), when it exists. */
  shm: TLabShmSegment | null;
  /** Every semaphore set the scenario created, with its ownership classification. */
  semaphores: TLabSemaphoreSet[];
  /** The second instance of the same OS user (two-instances), never touched by any scenario of this one. */
  twin: { instance: TLabInstance; postmasterPid: number } | null;
  /** The supervisor's view right after the scenario (systemctl show, Patroni's REST API); { kind: "tini" } otherwise. */
  supervisor: TSupervisorView;
  /** What breakInstance checked on the host before returning. */
  checks: string[];
};

export type THostProcess = {
  pid: number;
  ppid: number;
  /** /proc/PID/stat state letter: R S D T t Z X I */
  state: string;
  /** Field 22 of /proc/PID/stat (clock ticks since boot). */
  startTime: number;
  uid: number;
  comm: string;
  args: string;
  /** Working directory, or null when unreadable (zombies, kernel threads). */
  cwd: string | null;
};

export type THostShm = {
  key: number;
  shmid: number;
  perms: number;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
  cuid: number;
};
export type THostSem = {
  key: number;
  semid: number;
  perms: number;
  nsems: number;
  uid: number;
  cuid: number;
  values: number[];
  pids: number[];
};
export type THostDevShmFile = { name: string; size: number; uid: number; mtimeMs: number };
export type THostPidFile = {
  instance: string;
  path: string;
  content: string | null;
  mtimeMs: number | null;
};

export type THostState = {
  processes: THostProcess[];
  shm: THostShm[];
  sem: THostSem[];
  devShm: THostDevShmFile[];
  pidFiles: THostPidFile[];
};

export type TLabHost = {
  name: string;
  dir: string;
  mode: TLabMode;
  /** tini's PID as seen from the machine (root/userns); in plain mode the PID of the lab's sshd. */
  initPid: number;
  ssh: TLabSsh;
  logins: TLabLogins;
  exec(command: string, opts?: TLabExecOptions): Promise<TLabExecResult>;
  /** PID 1 and what runs PostgreSQL: tini and pg_ctl, systemd units, or Patroni with etcd. */
  supervisor: TSupervisorRecord;
  /** `unit` (systemd hosts only) overrides the host's unit style and Restart= drop-in for this instance. */
  createInstance(opts: TCreateInstanceOptions): Promise<TLabInstance>;
  /** `pause`: put the supervisor into maintenance mode before breaking (Patroni only). */
  breakInstance(
    instance: TLabInstance,
    scenario: TScenario,
    opts?: { pause?: boolean },
  ): Promise<TScenarioState>;
  /** What the instance's supervisor says now (systemctl show, Patroni's REST API). */
  supervisorView(instance: TLabInstance): Promise<TSupervisorView>;
  captureState(): Promise<THostState>;
  /** Instances created on this host so far (also by another process, through the state file). */
  listInstances(): Promise<TLabInstance[]>;
  stop(): Promise<void>;
};

export type TLabHostSummary = {
  name: string;
  dir: string;
  mode: TLabMode | "unknown";
  supervisor: TSupervisorRecord["kind"] | "unknown";
  /** running: the namespace's init is alive; dead: the state file says it started but nothing runs; broken: no readable state file. */
  status: "running" | "dead" | "broken";
  initPid: number | null;
  sshPort: number | null;
  startedAt: string | null;
  /** The process that started it, and whether that process is still alive (a dead owner of a non-detached host means a crashed test). */
  ownerPid: number | null;
  ownerAlive: boolean;
  detached: boolean;
  instances: TLabInstance[];
};
