// Who supervises the postmaster, as one diagnosis found it: systemd unit, Debian cluster, Patroni, container, or nothing.
import { z } from "zod";

const int = z.number().int();

/**
 * `none`: nothing but pg_ctl (or nothing this probe can see); `unknown`: the probe did not look (a diagnosis
 * from before supervisors were probed) or its look was cut short.
 */
export const SUPERVISOR_KINDS = ["none", "systemd", "patroni", "container", "unknown"] as const;
export const ZSupervisorKind = z.enum(SUPERVISOR_KINDS);
export type TSupervisorKind = z.infer<typeof ZSupervisorKind>;

/** How this login may run the ladder's systemctl commands: as root, through `sudo -n`, or not at all. */
export const ZSystemctlControl = z.enum(["root", "sudo", "none"]);
export type TSystemctlControl = z.infer<typeof ZSystemctlControl>;

/** The systemctl verbs the ladder uses; `mask`/`unmask` always with --runtime. */
export const SYSTEMCTL_VERBS = ["stop", "start", "reset-failed", "mask", "unmask"] as const;
export type TSystemctlVerb = (typeof SYSTEMCTL_VERBS)[number];

export const ZSystemdUnit = z.object({
  unit: z.string(),
  /** How the unit was found: the postmaster's cgroup, the Debian cluster, or a unit whose PGDATA= / -D names it. */
  source: z.enum(["cgroup", "debian-cluster", "search"]),
  /** Debian's postgresql@V-NAME (pg_ctlcluster), a PGDG-style postgresql-V, or some other unit. */
  style: z.enum(["debian", "pgdg", "other"]),
  loadState: z.string(),
  activeState: z.string(),
  subState: z.string(),
  /** 0 when systemd tracks no main process. */
  mainPid: int.nullable(),
  result: z.string(),
  restart: z.string(),
  restartSec: z.number().nullable(),
  nRestarts: int.nullable(),
  /** Seconds; null for infinity or unreadable. */
  timeoutStopSec: z.number().nullable(),
  timeoutStopText: z.string(),
  type: z.string(),
  killMode: z.string(),
  killSignal: z.string(),
  /** argv of each ExecStart= / ExecStop= command. */
  execStart: z.array(z.string()),
  execStop: z.array(z.string()),
  dropIns: z.array(z.string()),
  fragmentPath: z.string(),
  unitFileState: z.string(),
  controlGroup: z.string(),
  /** A queued or running job (e.g. a stop that waits for TimeoutStopSec), empty when none. */
  job: z.string(),
  /** Masked in /run (`systemctl mask --runtime`): the ladder's hold, or someone else's. */
  maskedRuntime: z.boolean(),
  systemctl: z.string().nullable(),
  control: ZSystemctlControl,
  /** The verbs `sudo -n -l` allowed (control sudo), or every verb for root. */
  allowedVerbs: z.array(z.enum(SYSTEMCTL_VERBS)),
});
export type TSystemdUnit = z.infer<typeof ZSystemdUnit>;

export const ZDebianCluster = z.object({
  version: z.string(),
  name: z.string(),
  configDir: z.string(),
  /** auto, manual or disabled (start.conf); null when unreadable. */
  startConf: z.string().nullable(),
  unit: z.string(),
  /** pg_lsclusters -h, as printed; null when the tool is missing. */
  lsclusters: z.array(z.string()).nullable(),
  /** This cluster's status column in pg_lsclusters (online, down, …). */
  status: z.string().nullable(),
});
export type TDebianCluster = z.infer<typeof ZDebianCluster>;

export const ZPatroniMember = z.object({
  name: z.string(),
  role: z.string(),
  state: z.string(),
  host: z.string().nullable(),
  port: int.nullable(),
  timeline: int.nullable(),
});

export const ZPatroni = z.object({
  pid: int,
  startTicks: int.nullable(),
  configFile: z.string().nullable(),
  configReadable: z.boolean(),
  /** How this Patroni was tied to the data directory: its data_dir, or the only Patroni on the host. */
  match: z.enum(["data_dir", "unknown"]),
  scope: z.string().nullable(),
  dataDir: z.string().nullable(),
  restUrl: z.string(),
  /** The HTTP client the probe used (curl, wget, python3); null when the host has none. */
  client: z.string().nullable(),
  patronictl: z.string().nullable(),
  /** GET /patroni; null when the API did not answer (then `error` says why). */
  status: z
    .object({
      state: z.string().nullable(),
      role: z.string().nullable(),
      paused: z.boolean(),
      timeline: int.nullable(),
      version: z.string().nullable(),
      systemIdentifier: z.string().nullable(),
      postmasterStartTime: z.string().nullable(),
    })
    .nullable(),
  /** GET /cluster: every member as Patroni reports it. */
  members: z.array(ZPatroniMember),
  error: z.string().nullable(),
});
export type TPatroni = z.infer<typeof ZPatroni>;

export const ZContainer = z.object({
  /** What says "container": /.dockerenv, /run/.containerenv, container= in an environment, a cgroup path. */
  markers: z.array(z.string()),
  runtime: z.string().nullable(),
  pid1: z.string().nullable(),
  /** PID 1 adopts and reaps orphans (an init, a service manager), so a postmaster started here is its child. */
  pid1Reaps: z.boolean(),
  /** The postmaster is PID 1 of the container's PID namespace: signals from inside cannot stop or kill it. */
  postmasterIsPid1: z.boolean(),
  /** The postmaster's parent is PID 1: it may be the container's main process (or an orphan PID 1 adopted). */
  postmasterParentIsPid1: z.boolean(),
});
export type TContainer = z.infer<typeof ZContainer>;

export const ZSupervisor = z.object({
  kind: ZSupervisorKind,
  /** One line: who runs the postmaster, as a DBA would say it. */
  summary: z.string(),
  /** Every fact behind the summary, in the order a DBA checks them. */
  evidence: z.array(z.string()),
  /** Facts that disagree (e.g. "a postmaster outside its unit"); never hidden. */
  contradictions: z.array(z.string()),
  pid1: z.string().nullable(),
  postmasterCgroup: z.string().nullable(),
  systemd: ZSystemdUnit.nullable(),
  debianCluster: ZDebianCluster.nullable(),
  patroni: ZPatroni.nullable(),
  container: ZContainer.nullable(),
  /**
   * The unit's MainPID is postmaster.pid's genuine postmaster (true), another PID while the postmaster runs
   * (false: a postmaster outside its unit), or there is nothing to compare (null).
   */
  unitOwnsPostmaster: z.boolean().nullable(),
});
export type TSupervisor = z.infer<typeof ZSupervisor>;

/** What a diagnosis from before supervisors were probed says (stored snapshots parse with it). */
export const SUPERVISOR_NOT_PROBED: TSupervisor = {
  kind: "unknown",
  summary: "not looked at: this diagnosis is from a probe that did not look for a supervisor",
  evidence: [],
  contradictions: [],
  pid1: null,
  postmasterCgroup: null,
  systemd: null,
  debianCluster: null,
  patroni: null,
  container: null,
  unitOwnsPostmaster: null,
};
