// Who supervises the postmaster: the probe's supervisor sections read against the identified postmaster, with the
// evidence a DBA checks and every contradiction said as such. Pure.
import {
  detectContainerCgroup,
  findLsclustersStatus,
  findServiceInCgroup,
  parseCgroupPath,
  parsePatroniCluster,
  parsePatroniStatus,
  parseSystemdExec,
  parseTimespan,
  type TSupervisorProbe,
} from "../parsers/supervisor.ts";
import type { TPostmaster } from "./snapshot-schema.ts";
import {
  SUPERVISOR_NOT_PROBED,
  SYSTEMCTL_VERBS,
  type TContainer,
  type TDebianCluster,
  type TPatroni,
  type TSupervisor,
  type TSystemctlVerb,
  type TSystemdUnit,
} from "./supervisor-schema.ts";

export type TSupervisorContext = {
  pgdata: string;
  pgdataReal: string | null;
  postmaster: TPostmaster;
  /** The postmaster's parent PID (from the process table), null when it does not run. */
  postmasterPpid: number | null;
  /** pg_controldata's database system identifier, to match Patroni's. */
  systemIdentifier: string | null;
};

/** PID 1 programs that adopt and reap orphans: a postmaster started by pg_ctl becomes their child. */
const REAPING_INITS = new Set([
  "systemd",
  "init",
  "tini",
  "docker-init",
  "dumb-init",
  "catatonit",
  "s6-svscan",
  "runit",
  "runsvdir",
  "supervisord",
  "openrc-init",
  "busybox",
]);

function unitStyle(unit: string): TSystemdUnit["style"] {
  if (/^postgresql@\d+(\.\d+)?-.+\.service$/.test(unit)) return "debian";
  if (/^postgresql-\d+(\.\d+)?(-.+)?\.service$/.test(unit)) return "pgdg";
  return "other";
}

function readUnit(probe: TSupervisorProbe): TSystemdUnit | null {
  const u = probe.unit;
  if (u === null || u.show.size === 0) return null;
  const get = (key: string): string => u.show.get(key) ?? "";
  const mainPid = /^\d+$/.test(get("MainPID")) ? Number(get("MainPID")) : null;
  const nRestarts = /^\d+$/.test(get("NRestarts")) ? Number(get("NRestarts")) : null;
  const control = u.control === "root" || u.control === "sudo" ? u.control : "none";
  const allowed: TSystemctlVerb[] =
    control === "root"
      ? [...SYSTEMCTL_VERBS]
      : SYSTEMCTL_VERBS.filter((verb) => u.sudoAllowed.includes(verb));
  const source =
    u.source === "cgroup" || u.source === "debian-cluster" || u.source === "search"
      ? u.source
      : "search";
  return {
    unit: u.unit,
    source,
    style: unitStyle(u.unit),
    loadState: get("LoadState"),
    activeState: get("ActiveState"),
    subState: get("SubState"),
    mainPid,
    result: get("Result"),
    restart: get("Restart"),
    restartSec: parseTimespan(get("RestartUSec")),
    nRestarts,
    timeoutStopSec: parseTimespan(get("TimeoutStopUSec")),
    timeoutStopText: get("TimeoutStopUSec"),
    type: get("Type"),
    killMode: get("KillMode"),
    killSignal: get("KillSignal"),
    execStart: parseSystemdExec(get("ExecStart")),
    execStop: parseSystemdExec(get("ExecStop")),
    dropIns: get("DropInPaths")
      .split(" ")
      .filter((p) => p !== ""),
    fragmentPath: get("FragmentPath"),
    unitFileState: get("UnitFileState"),
    controlGroup: get("ControlGroup"),
    job: get("Job"),
    maskedRuntime: get("UnitFileState") === "masked-runtime",
    systemctl: probe.systemctl,
    control: allowed.length === 0 && control === "sudo" ? "none" : control,
    allowedVerbs: allowed,
  };
}

function readDebianCluster(probe: TSupervisorProbe): TDebianCluster | null {
  const c = probe.debianCluster;
  if (c === null) return null;
  return {
    version: c.version,
    name: c.name,
    configDir: c.configDir,
    startConf: c.startConf,
    unit: c.unit,
    lsclusters: c.lsclusters,
    status: c.lsclusters === null ? null : findLsclustersStatus(c.lsclusters, c.version, c.name),
  };
}

function readPatroni(probe: TSupervisorProbe): TPatroni | null {
  const p = probe.patroni;
  if (p?.pid === null || p === null) return null;
  const status = p.status !== null && p.status.rc === 0 ? parsePatroniStatus(p.status.text) : null;
  const cluster =
    p.cluster !== null && p.cluster.rc === 0 ? parsePatroniCluster(p.cluster.text) : null;
  let error: string | null = null;
  if (p.client === null) error = "the host has no HTTP client (curl, wget or python3)";
  else if (status === null) {
    const said = (p.status?.text ?? "").split("\n").slice(-1)[0]?.slice(0, 200) ?? "";
    error = `GET ${p.restUrl ?? "?"}/patroni did not answer${p.status?.rc !== null && p.status?.rc !== undefined ? ` (exit ${String(p.status.rc)})` : ""}${said !== "" ? `: ${said}` : ""}`;
  }
  return {
    pid: p.pid,
    startTicks: p.startTicks,
    configFile: p.configFile,
    configReadable: p.configReadable,
    match: p.match === "data_dir" ? "data_dir" : "unknown",
    scope: p.facts.get("scope") ?? null,
    dataDir: p.facts.get("data_dir") ?? null,
    restUrl: p.restUrl ?? "http://127.0.0.1:8008",
    client: p.client,
    patronictl: p.patronictl,
    status:
      status === null ? null : { ...status, paused: status.paused || cluster?.paused === true },
    members: cluster?.members ?? [],
    error,
  };
}

function readContainer(
  probe: TSupervisorProbe,
  postmasterCgroup: string | null,
  probeCgroup: string | null,
  postmasterPid: number | null,
  postmasterPpid: number | null,
): TContainer | null {
  const markers: string[] = [];
  let runtime: string | null = null;
  if (probe.containerMarkers.includes("dockerenv")) {
    markers.push("/.dockerenv exists");
    runtime = "docker";
  }
  if (probe.containerMarkers.includes("containerenv")) {
    markers.push("/run/.containerenv exists");
    runtime = "podman";
  }
  for (const [who, value] of [
    ["PID 1", probe.pid1ContainerEnv],
    ["the postmaster", probe.pmContainerEnv],
  ] as const) {
    if (value !== null) {
      markers.push(`container=${value} in the environment of ${who}`);
      runtime ??= value;
    }
  }
  if (probe.pmKubernetes) {
    markers.push("KUBERNETES_SERVICE_HOST in the postmaster's environment");
    runtime = "kubernetes";
  }
  for (const [who, path] of [
    ["the postmaster", postmasterCgroup],
    ["the probe", probeCgroup],
  ] as const) {
    const found = detectContainerCgroup(path);
    if (found !== null) {
      markers.push(`the cgroup of ${who} is ${String(path)} (${found})`);
      runtime ??= found;
    }
  }
  if (markers.length === 0) return null;
  const pid1 = probe.pid1Comm;
  return {
    markers,
    runtime,
    pid1,
    pid1Reaps: pid1 !== null && REAPING_INITS.has(pid1),
    postmasterIsPid1: postmasterPid === 1,
    postmasterParentIsPid1: postmasterPid !== null && postmasterPpid === 1,
  };
}

function describeUnit(u: TSystemdUnit): string {
  const parts = [
    `${u.activeState}/${u.subState}`,
    `MainPID ${String(u.mainPid ?? "?")}`,
    `Restart=${u.restart || "?"}`,
    `TimeoutStopSec=${u.timeoutStopText || "?"}`,
    `Type=${u.type || "?"}`,
    `KillMode=${u.killMode || "?"}`,
  ];
  if (u.nRestarts !== null) parts.push(`NRestarts ${String(u.nRestarts)}`);
  if (u.result !== "" && u.result !== "success") parts.push(`Result ${u.result}`);
  if (u.job !== "") parts.push(`job ${u.job} running`);
  if (u.loadState !== "loaded") parts.push(`LoadState ${u.loadState}`);
  return `${u.unit}: ${parts.join(", ")}`;
}

function describeControl(u: TSystemdUnit): string {
  if (u.control === "root") return "the console's login is root: it runs systemctl itself";
  if (u.control === "sudo")
    return `the console's login may run systemctl ${u.allowedVerbs.join(", ")} for ${u.unit} through sudo -n`;
  return `the console's login may not run systemctl for ${u.unit} (not root, and sudo -n -l allows none of stop, start, reset-failed, mask, unmask)`;
}

function describePatroni(p: TPatroni): string[] {
  const lines: string[] = [];
  const where = `${p.configFile ?? "configuration unknown"}${p.scope !== null ? `, scope ${p.scope}` : ""}`;
  lines.push(`Patroni runs as PID ${String(p.pid)} (${where}); REST API ${p.restUrl}`);
  if (p.status !== null) {
    const s = p.status;
    lines.push(
      `Patroni${s.version !== null ? ` ${s.version}` : ""} says: role ${s.role ?? "?"}, state ${s.state ?? "?"}, ${s.paused ? "PAUSED (maintenance mode)" : "not paused"}${s.timeline !== null ? `, timeline ${String(s.timeline)}` : ""}`,
    );
  }
  if (p.members.length > 0) {
    lines.push(
      `cluster members: ${p.members.map((m) => `${m.name} (${m.role || "?"}, ${m.state || "?"}${m.host !== null ? `, ${m.host}:${String(m.port ?? "?")}` : ""})`).join("; ")}`,
    );
  }
  if (p.error !== null) lines.push(`Patroni's view is unknown: ${p.error}`);
  return lines;
}

/** The supervisor of the instance, from the probe's sections and the identified postmaster. */
export function identifySupervisor(probe: TSupervisorProbe, ctx: TSupervisorContext): TSupervisor {
  if (!probe.present) return SUPERVISOR_NOT_PROBED;
  const pm = ctx.postmaster;
  const pmAlive = pm.genuine && pm.state !== "Z" && pm.state !== "absent";
  // The cgroup of postmaster.pid's PID only says something when that PID is the genuine postmaster.
  const pmCgroupLines = pmAlive && probe.pmPid === pm.pid ? probe.postmasterCgroup : null;
  const postmasterCgroup = pmCgroupLines === null ? null : parseCgroupPath(pmCgroupLines);
  const probeCgroup = probe.probeCgroup === null ? null : parseCgroupPath(probe.probeCgroup);
  const systemd = readUnit(probe);
  const debianCluster = readDebianCluster(probe);
  const patroni = readPatroni(probe);
  const container = readContainer(
    probe,
    postmasterCgroup,
    probeCgroup,
    pmAlive ? pm.pid : null,
    pmAlive ? ctx.postmasterPpid : null,
  );
  const evidence: string[] = [];
  const contradictions: string[] = [];
  const pid1 = probe.pid1Comm;
  evidence.push(
    `PID 1 is ${pid1 ?? "unreadable"}${probe.systemdBooted ? " (systemd is the service manager: /run/systemd/system exists)" : ""}`,
  );
  if (postmasterCgroup !== null && postmasterCgroup !== "/")
    evidence.push(`the postmaster's cgroup: ${postmasterCgroup}`);

  if (debianCluster !== null) {
    evidence.push(
      `Debian cluster ${debianCluster.version}/${debianCluster.name} (${debianCluster.configDir}) names this data directory; start.conf: ${debianCluster.startConf ?? "unreadable"}${debianCluster.status !== null ? `; pg_lsclusters: ${debianCluster.status}` : ""}`,
    );
  }

  let unitOwnsPostmaster: boolean | null = null;
  if (systemd !== null) {
    evidence.push(
      `systemd unit ${describeUnit(systemd)} (found through ${systemd.source === "cgroup" ? "the postmaster's cgroup" : systemd.source === "debian-cluster" ? "the Debian cluster" : "its PGDATA"})`,
    );
    if (systemd.execStart.length > 0) evidence.push(`ExecStart: ${systemd.execStart.join(" | ")}`);
    if (systemd.execStop.length > 0) evidence.push(`ExecStop: ${systemd.execStop.join(" | ")}`);
    if (systemd.dropIns.length > 0) evidence.push(`drop-ins: ${systemd.dropIns.join(", ")}`);
    if (systemd.maskedRuntime)
      evidence.push(
        `${systemd.unit} is masked in /run (systemctl mask --runtime): systemd cannot start it, not even by Restart=`,
      );
    evidence.push(describeControl(systemd));
    const cgroupUnit = findServiceInCgroup(postmasterCgroup);
    if (pmAlive && pm.pid !== null) {
      unitOwnsPostmaster =
        systemd.mainPid === pm.pid &&
        cgroupUnit === systemd.unit &&
        systemd.activeState === "active";
      if (systemd.mainPid !== pm.pid && systemd.activeState === "active") {
        contradictions.push(
          `a postmaster outside its unit: ${systemd.unit} is active with MainPID ${String(systemd.mainPid)}, but postmaster.pid's postmaster is PID ${String(pm.pid)}`,
        );
      } else if (systemd.activeState !== "active") {
        contradictions.push(
          `a postmaster outside its unit: PostgreSQL runs (PID ${String(pm.pid)}) while systemd reports ${systemd.unit} ${systemd.activeState}; a later systemctl stop would not stop it`,
        );
      } else if (cgroupUnit !== systemd.unit) {
        contradictions.push(
          `${systemd.unit} reports MainPID ${String(pm.pid)}, but the postmaster's cgroup is ${String(postmasterCgroup)}`,
        );
      }
    } else if (systemd.activeState === "active" && (systemd.mainPid ?? 0) > 0) {
      contradictions.push(
        `${systemd.unit} is active with MainPID ${String(systemd.mainPid)}, but postmaster.pid names no live postmaster of this data directory`,
      );
    }
    if (
      debianCluster !== null &&
      systemd.source === "cgroup" &&
      systemd.unit !== debianCluster.unit
    ) {
      contradictions.push(
        `the postmaster runs in ${systemd.unit}, but the Debian cluster's unit is ${debianCluster.unit}`,
      );
    }
  } else if (probe.unit !== null) {
    contradictions.push(
      `systemctl show ${probe.unit.unit} gave nothing${probe.unit.rc !== null ? ` (exit ${String(probe.unit.rc)})` : ""}: the unit's state is unknown`,
    );
  } else if (debianCluster !== null) {
    contradictions.push(
      `the Debian cluster's unit ${debianCluster.unit} could not be read (no systemctl)`,
    );
  }

  if (patroni !== null) {
    evidence.push(...describePatroni(patroni));
    if (patroni.match === "unknown")
      evidence.push(
        "its configuration could not be read, so its data directory is unknown: it is the only Patroni on the host",
      );
    const sid = patroni.status?.systemIdentifier ?? null;
    if (sid !== null && ctx.systemIdentifier !== null && sid !== ctx.systemIdentifier) {
      contradictions.push(
        `Patroni reports database system identifier ${sid}, pg_controldata ${ctx.systemIdentifier}: it manages another cluster`,
      );
    }
    if (patroni.status !== null && pmAlive && patroni.status.state !== "running") {
      contradictions.push(
        `PostgreSQL runs (PID ${String(pm.pid)}) while Patroni reports state ${patroni.status.state ?? "?"}`,
      );
    }
  } else if (probe.patroni !== null && probe.patroni.candidates > 0) {
    evidence.push(
      `${String(probe.patroni.candidates)} Patroni process(es) run on the host, none for this data directory`,
    );
  } else if (probe.patroniFiles) {
    evidence.push(
      "PGDATA holds patroni.dynamic.json, but no Patroni process runs: Patroni would take over when it is started",
    );
  }

  if (container !== null) {
    evidence.push(
      `container: ${container.markers.join("; ")}${container.postmasterIsPid1 ? "; the postmaster is PID 1" : ""}`,
    );
  }

  const patroniForUs =
    patroni !== null &&
    !(
      patroni.status?.systemIdentifier !== undefined &&
      patroni.status.systemIdentifier !== null &&
      ctx.systemIdentifier !== null &&
      patroni.status.systemIdentifier !== ctx.systemIdentifier
    );
  let kind: TSupervisor["kind"];
  let summary: string;
  if (patroniForUs) {
    kind = "patroni";
    const s = patroni.status;
    summary =
      s === null
        ? `Patroni (PID ${String(patroni.pid)}); its REST API did not answer`
        : `Patroni (PID ${String(patroni.pid)}${patroni.scope !== null ? `, scope ${patroni.scope}` : ""}): ${s.role ?? "?"}, ${s.state ?? "?"}, ${s.paused ? "paused" : "not paused"}`;
  } else if (systemd !== null) {
    kind = "systemd";
    const how =
      debianCluster !== null
        ? ` (Debian cluster ${debianCluster.version}/${debianCluster.name}, pg_ctlcluster)`
        : systemd.style === "pgdg"
          ? " (PGDG-style unit)"
          : "";
    summary = `systemd unit ${systemd.unit}${how}: ${systemd.activeState}, Restart=${systemd.restart || "?"}${unitOwnsPostmaster === false ? "; the postmaster runs outside it" : ""}`;
  } else if (container !== null && pid1 !== "systemd") {
    kind = "container";
    summary = `a ${container.runtime ?? "container"} container (PID 1: ${pid1 ?? "?"})${container.postmasterIsPid1 ? "; the postmaster is its PID 1" : ""}`;
  } else if (!probe.complete) {
    kind = "unknown";
    summary = "the look at the supervisor was cut short";
  } else {
    kind = "none";
    summary = probe.systemdBooted
      ? "no unit: systemd runs, but no unit of this data directory was found (started with pg_ctl by hand?)"
      : `nothing but pg_ctl (PID 1 is ${pid1 ?? "unreadable"})`;
  }
  return {
    kind,
    summary,
    evidence,
    contradictions,
    pid1,
    postmasterCgroup,
    systemd,
    debianCluster,
    patroni,
    container,
    unitOwnsPostmaster,
  };
}
