// Parsers of the probe's supervisor sections (probe-supervisor.sh): systemctl show, cgroups, pg_lsclusters and
// Patroni's REST answers, as plain data. Pure and total; what the data means is decided in diagnosis/supervisor.ts.
import { z } from "zod";
import type { TProbeSection } from "../probe/probe-output.ts";

export type TSupervisorProbe = {
  /** The `supervisor` section ran (a probe from before supervisors has none). */
  present: boolean;
  /** Every supervisor section ran to its end. */
  complete: boolean;
  pid1Comm: string | null;
  systemdBooted: boolean;
  containerMarkers: string[];
  /** container= in PID 1's environment (root can read it), else null. */
  pid1ContainerEnv: string | null;
  pmPid: number | null;
  pmContainerEnv: string | null;
  pmKubernetes: boolean;
  patroniFiles: boolean;
  systemctl: string | null;
  postmasterCgroup: string[] | null;
  probeCgroup: string[] | null;
  debianCluster: {
    version: string;
    name: string;
    configDir: string;
    startConf: string | null;
    unit: string;
    lsclusters: string[] | null;
  } | null;
  unit: {
    unit: string;
    source: string;
    show: Map<string, string>;
    rc: number | null;
    control: string | null;
    sudoAllowed: string[];
  } | null;
  patroni: {
    candidates: number;
    match: string;
    pid: number | null;
    startTicks: number | null;
    configFile: string | null;
    configReadable: boolean;
    facts: Map<string, string>;
    patronictl: string | null;
    restUrl: string | null;
    client: string | null;
    status: { text: string; rc: number | null } | null;
    cluster: { text: string; rc: number | null } | null;
  } | null;
};

function toInt(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}

function nonEmpty(text: string | undefined): string | null {
  return text === undefined || text.trim() === "" ? null : text.trim();
}

/** key=value lines as a map, the last value winning (Patroni's environment overrides its file). */
function lastValues(fields: readonly [string, string][]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [key, value] of fields) values.set(key, value);
  return values;
}

/** `systemctl show` output (Key=Value lines) as a map. */
export function parseSystemctlShow(lines: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  return values;
}

/** The argv of each command in an ExecStart=/ExecStop= value (`{ path=… ; argv[]=… ; … }`). */
export function parseSystemdExec(value: string): string[] {
  return [...value.matchAll(/argv\[\]=(.*?) ; /g)].map((m) => (m[1] ?? "").trim());
}

const TIMESPAN_UNITS: Record<string, number> = {
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  sec: 1,
  min: 60,
  m: 60,
  h: 3600,
  hr: 3600,
  d: 86_400,
  w: 604_800,
  M: 2_629_800,
  y: 31_557_600,
};

/** A systemd timespan as `systemctl show` prints it ("1h", "1min 30s", "100ms") in seconds; null for infinity or junk. */
export function parseTimespan(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "infinity") return null;
  let total = 0;
  for (const part of trimmed.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-zA-Z]+)?$/.exec(part);
    if (m === null) return null;
    const factor = TIMESPAN_UNITS[m[2] ?? "s"];
    if (factor === undefined) return null;
    total += Number(m[1]) * factor;
  }
  return Math.round(total * 1000) / 1000;
}

/** The cgroup path systemd uses in a /proc/PID/cgroup file: the unified line (0::), else name=systemd. */
export function parseCgroupPath(lines: readonly string[]): string | null {
  const unified = lines.find((l) => l.startsWith("0::"));
  const named = lines.find((l) => /^\d+:name=systemd:/.test(l));
  const pick = (line: string | undefined): string | null =>
    line === undefined ? null : line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
  const fromUnified = pick(unified);
  if (fromUnified !== null && fromUnified !== "/") return fromUnified;
  return pick(named) ?? fromUnified;
}

/** The innermost systemd service a cgroup path names, if any. */
export function findServiceInCgroup(path: string | null): string | null {
  if (path === null) return null;
  const parts = path.split("/").filter((p) => p !== "");
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const part = parts[i];
    if (part?.endsWith(".service") === true) return part;
  }
  return null;
}

/** What a cgroup path says about a container runtime (docker, podman, kubernetes, containerd, lxc, nspawn). */
export function detectContainerCgroup(path: string | null): string | null {
  if (path === null) return null;
  if (/kubepods/.test(path)) return "kubernetes";
  if (/(^|\/)docker[-/]|\/docker\.service\//.test(path)) return "docker";
  if (/libpod[-_]/.test(path)) return "podman";
  if (/cri-containerd|containerd/.test(path)) return "containerd";
  if (/(^|\/)lxc(\.payload)?[./]/.test(path)) return "lxc";
  if (/machine\.slice\/machine-/.test(path)) return "systemd-nspawn";
  return null;
}

/** The status column of one cluster in `pg_lsclusters -h` (Ver Cluster Port Status Owner Data-directory Log-file). */
export function findLsclustersStatus(
  lines: readonly string[],
  version: string,
  name: string,
): string | null {
  for (const line of lines) {
    const words = line.trim().split(/\s+/);
    if (words[0] === version && words[1] === name) return words[3] ?? null;
  }
  return null;
}

const ZPatroniStatusJson = z.object({
  state: z.string().optional(),
  role: z.string().optional(),
  pause: z.boolean().optional(),
  timeline: z.number().int().optional(),
  database_system_identifier: z.string().optional(),
  postmaster_start_time: z.string().optional(),
  patroni: z.object({ version: z.string().optional() }).optional(),
});

export type TPatroniStatus = {
  state: string | null;
  role: string | null;
  paused: boolean;
  timeline: number | null;
  version: string | null;
  systemIdentifier: string | null;
  postmasterStartTime: string | null;
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** GET /patroni's JSON; null when it is not Patroni's answer. */
export function parsePatroniStatus(text: string): TPatroniStatus | null {
  const parsed = ZPatroniStatusJson.safeParse(parseJson(text));
  if (!parsed.success || parsed.data.state === undefined) return null;
  const d = parsed.data;
  return {
    state: d.state ?? null,
    role: d.role ?? null,
    paused: d.pause === true,
    timeline: d.timeline ?? null,
    version: d.patroni?.version ?? null,
    systemIdentifier: d.database_system_identifier ?? null,
    postmasterStartTime: d.postmaster_start_time ?? null,
  };
}

const ZPatroniClusterJson = z.object({
  members: z.array(
    z.object({
      name: z.string(),
      role: z.string().optional(),
      state: z.string().optional(),
      host: z.string().optional(),
      port: z.number().int().optional(),
      timeline: z.number().int().optional(),
    }),
  ),
  pause: z.boolean().optional(),
});

export type TPatroniClusterMember = {
  name: string;
  role: string;
  state: string;
  host: string | null;
  port: number | null;
  timeline: number | null;
};

/** GET /cluster's members; null when it is not Patroni's answer. */
export function parsePatroniCluster(
  text: string,
): { members: TPatroniClusterMember[]; paused: boolean } | null {
  const parsed = ZPatroniClusterJson.safeParse(parseJson(text));
  if (!parsed.success) return null;
  return {
    paused: parsed.data.pause === true,
    members: parsed.data.members.map((m) => ({
      name: m.name,
      role: m.role ?? "",
      state: m.state ?? "",
      host: m.host ?? null,
      port: m.port ?? null,
      timeline: m.timeline ?? null,
    })),
  };
}

const SUPERVISOR_SECTIONS = new Set([
  "supervisor",
  "sv_cgroup",
  "debian_cluster",
  "pg_lsclusters",
  "systemd_unit",
  "patroni",
  "patroni_patroni",
  "patroni_cluster",
]);

/** The probe's supervisor sections as plain data (probe-supervisor.sh's grammar). */
export function parseSupervisorProbe(sections: readonly TProbeSection[]): TSupervisorProbe {
  const mine = sections.filter((s) => SUPERVISOR_SECTIONS.has(s.name));
  const find = (name: string): TProbeSection | undefined => mine.find((s) => s.name === name);
  const main = find("supervisor");
  const f = main?.fields ?? {};
  const cgroup = (of: string): string[] | null =>
    mine.find((s) => s.name === "sv_cgroup" && s.args.of === of)?.content ?? null;
  const cluster = find("debian_cluster");
  const ls = find("pg_lsclusters");
  const unit = find("systemd_unit");
  const patroni = find("patroni");
  const body = (section: TProbeSection | undefined): { text: string; rc: number | null } | null =>
    section === undefined ? null : { text: section.content.join("\n"), rc: section.rc };
  return {
    present: main !== undefined,
    complete: main !== undefined && mine.every((s) => s.complete),
    pid1Comm: nonEmpty(f.pid1_comm),
    systemdBooted: f.systemd_booted === "1",
    containerMarkers: (f.container_markers ?? "").split(" ").filter((m) => m !== ""),
    pid1ContainerEnv: nonEmpty(f.pid1_container_env),
    pmPid: toInt(f.pm_pid),
    pmContainerEnv: nonEmpty(f.pm_container_env),
    pmKubernetes: f.pm_kubernetes === "1",
    patroniFiles: f.patroni_files === "1",
    systemctl: nonEmpty(f.systemctl),
    postmasterCgroup: cgroup("postmaster"),
    probeCgroup: cgroup("probe"),
    debianCluster:
      cluster === undefined ||
      cluster.fields.version === undefined ||
      cluster.fields.name === undefined
        ? null
        : {
            version: cluster.fields.version,
            name: cluster.fields.name,
            configDir: cluster.fields.conf_dir ?? "",
            startConf: nonEmpty(cluster.fields.start_conf),
            unit: cluster.fields.unit ?? "",
            lsclusters: ls === undefined ? null : ls.content,
          },
    unit:
      unit?.args.unit === undefined
        ? null
        : {
            unit: unit.args.unit,
            source: unit.args.source ?? "",
            show: parseSystemctlShow(unit.content),
            rc: unit.rc,
            control: nonEmpty(unit.fields.control),
            sudoAllowed: (unit.fields.sudo_allowed ?? "").split(" ").filter((v) => v !== ""),
          },
    patroni:
      patroni === undefined
        ? null
        : {
            candidates: toInt(patroni.fields.candidates) ?? 0,
            match: patroni.fields.match ?? "none",
            pid: toInt(patroni.fields.pid),
            startTicks: toInt(patroni.fields.ticks),
            configFile: nonEmpty(patroni.fields.config),
            configReadable: patroni.fields.config_readable === "1",
            facts: lastValues(patroni.allFields),
            patronictl: nonEmpty(patroni.fields.patronictl),
            restUrl: nonEmpty(patroni.fields.rest),
            client: nonEmpty(patroni.fields.client),
            status: body(find("patroni_patroni")),
            cluster: body(find("patroni_cluster")),
          },
  };
}
