// diagnose(): raw probe stdout → Snapshot (facts, verdict, recommendation). Pure and total.
import {
  findSection,
  parseProbeOutput,
  type TProbeOutput,
  type TProbeSection,
} from "../probe/probe-output.ts";
import { LOG_TAIL_BYTES } from "../probe/probe-script.ts";
import { formatShmKeyHex, parsePidFile } from "../parsers/pid-file.ts";
import { parseControlData, parsePgControlHead } from "../parsers/control-data.ts";
import { interpretPgIsReady } from "../parsers/pg-isready.ts";
import {
  parseCmdlines,
  parseDsmFiles,
  parseProcLinks,
  parseProcMaps,
  parseProcRecords,
} from "../parsers/proc-records.ts";
import {
  parseIpcsSemInfo,
  parseSysvSem,
  parseSysvShm,
  type TIpcsSemInfo,
} from "../parsers/sysv-ipc.ts";
import {
  identifyDsm,
  identifyPostmaster,
  identifyProcesses,
  identifySem,
  identifyShm,
  type TIdentifyContext,
  type TProcessView,
} from "./identify.ts";
import { decideVerdict, type TDiagnosisFacts } from "./verdict.ts";
import { parseSupervisorProbe } from "../parsers/supervisor.ts";
import { identifySupervisor } from "./supervisor.ts";
import { applySupervisor } from "./supervisor-judgement.ts";
import type {
  TConnectivity,
  TControlDataFacts,
  THost,
  TInstance,
  TLogFacts,
  TPidFileFacts,
  TSnapshot,
} from "./snapshot-schema.ts";

export type TDiagnoseOptions = {
  /** The data directory the probe was built for; a mismatch makes the verdict `unknown`. */
  pgdata: string;
  /** Allowed difference between the process start time and postmaster.pid line 3. */
  startTimeToleranceSec?: number;
};

export const DEFAULT_START_TIME_TOLERANCE_SEC = 5;

/** Sections without which no verdict can be trusted. */
const REQUIRED_SECTIONS = ["meta", "pidfile", "sysv_shm", "procs", "links", "maps"] as const;

const EMPTY_SECTION: TProbeSection = {
  name: "",
  args: {},
  fields: {},
  allFields: [],
  content: [],
  records: [],
  rc: null,
  complete: false,
};

function toInt(text: string | undefined): number | null {
  return text !== undefined && /^-?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}

function nonEmpty(text: string | undefined): string | null {
  return text === undefined || text === "" ? null : text;
}

function collectHost(meta: TProbeSection): THost {
  const f = meta.fields;
  const mounts = meta.allFields.filter(([k]) => k === "proc_mount").map(([, v]) => v);
  return {
    hostname: nonEmpty(f.hostname),
    kernel: nonEmpty(f.kernel),
    uid: toInt(f.uid),
    user: nonEmpty(f.user),
    now: toInt(f.now),
    btime: toInt(f.btime),
    clkTck: toInt(f.clk_tck),
    pageSize: toInt(f.page_size),
    procHidepid: mounts.some((m) => /(^|,)hidepid=(1|2|invisible|noaccess)(,|$)/.test(m)),
    toolsMissing: (f.tools_missing ?? "").split(" ").filter((t) => t !== ""),
  };
}

function collectInstance(meta: TProbeSection, pgdata: string): TInstance {
  const stat = (meta.fields.pgdata_stat ?? "").split(" ");
  return {
    pgdata,
    pgdataReal: nonEmpty(meta.fields.pgdata_real),
    ownerUid: toInt(stat[0]),
    dataDirInode: toInt(stat[1]),
    pgVersion: nonEmpty(meta.fields.pg_version),
  };
}

function collectPidFile(section: TProbeSection): TPidFileFacts {
  const exists =
    section.fields.exists === "1" ? "yes" : section.fields.exists === "0" ? "no" : "unknown";
  const readable = section.fields.readable === "1";
  const stat = (section.fields.stat ?? "").split(" ");
  const parsed = exists === "yes" && readable ? parsePidFile(section.content) : null;
  return {
    exists,
    readable,
    mtime: toInt(stat[1]),
    raw: section.content,
    pid: parsed?.pid ?? null,
    singleUser: parsed?.singleUser ?? false,
    dataDir: parsed?.dataDir ?? null,
    startTime: parsed?.startTime ?? null,
    port: parsed?.port ?? null,
    socketDir: parsed?.socketDir ?? null,
    listenAddress: parsed?.listenAddress ?? null,
    shmKey: parsed?.shmKey ?? null,
    shmKeyHex:
      parsed?.shmKey === null || parsed?.shmKey === undefined
        ? null
        : formatShmKeyHex(parsed.shmKey),
    shmKeyRaw: parsed?.shmKeyRaw ?? null,
    shmId: parsed?.shmId ?? null,
    status: parsed?.status ?? null,
    errors: parsed?.errors ?? [],
  };
}

const NOTABLE =
  /\b(FATAL|PANIC)\b|could not create semaphores|pre-existing shared memory block|already exists|terminated by signal|terminating any other active server processes|No space left on device|database system is shut down|was interrupted|crash recovery/i;

function collectLog(section: TProbeSection | undefined): TLogFacts {
  if (!section)
    return { file: null, source: null, sizeBytes: null, mtime: null, tail: [], notable: [] };
  const stat = (section.fields.stat ?? "").split(" ");
  const sizeBytes = toInt(stat[0]);
  // When the file is longer than the bytes read, the first line is probably cut.
  const tail =
    sizeBytes !== null && sizeBytes > LOG_TAIL_BYTES ? section.content.slice(1) : section.content;
  return {
    file: nonEmpty(section.fields.file),
    source: nonEmpty(section.fields.source),
    sizeBytes,
    mtime: toInt(stat[1]),
    tail,
    notable: tail.filter((l) => NOTABLE.test(l)).slice(-10),
  };
}

function collectControlData(output: TProbeOutput): TControlDataFacts {
  const section = findSection(output, "controldata");
  const head = parsePgControlHead(findSection(output, "pg_control")?.content ?? []);
  const tool = nonEmpty(section?.fields.tool);
  const parsed = section && section.content.length > 0 ? parseControlData(section.content) : null;
  const errors: string[] = [];
  const usable =
    parsed !== null &&
    section?.rc === 0 &&
    parsed.clusterState !== null &&
    (head === null || parsed.pgControlVersion === head.pgControlVersion);
  if (parsed && !usable) {
    errors.push(
      parsed.clusterState === null
        ? (parsed.errors[0] ?? "pg_controldata failed")
        : `pg_controldata (${tool ?? "?"}) does not match this cluster's pg_control version ${String(head?.pgControlVersion)}: used the raw pg_control head`,
    );
  }
  if (usable) {
    return {
      source: "pg_controldata",
      tool,
      clusterState: parsed.clusterState,
      pgControlVersion: parsed.pgControlVersion,
      catalogVersion: parsed.catalogVersion,
      systemIdentifier: parsed.systemIdentifier,
      latestCheckpointLocation: parsed.latestCheckpointLocation,
      latestCheckpointTime: parsed.latestCheckpointTime,
      timeline: parsed.timeline,
      fields: parsed.fields,
      errors,
    };
  }
  if (head) {
    return {
      source: "pg_control",
      tool,
      clusterState: head.clusterState,
      pgControlVersion: head.pgControlVersion,
      catalogVersion: head.catalogVersion,
      systemIdentifier: null,
      latestCheckpointLocation: null,
      latestCheckpointTime: null,
      timeline: null,
      fields: {},
      errors,
    };
  }
  return {
    source: "none",
    tool,
    clusterState: null,
    pgControlVersion: null,
    catalogVersion: null,
    systemIdentifier: null,
    latestCheckpointLocation: null,
    latestCheckpointTime: null,
    timeline: null,
    fields: {},
    errors: errors.length > 0 ? errors : ["cluster state not available"],
  };
}

function collectConnectivity(section: TProbeSection | undefined): TConnectivity {
  const f = section?.fields ?? {};
  const ran = section !== undefined && f.skipped === undefined && section.rc !== null;
  const exitCode = ran ? section.rc : null;
  const missing = section !== undefined && f.skipped === undefined && nonEmpty(f.tool) === null;
  return {
    pgIsReady: {
      tool: nonEmpty(f.tool),
      host: nonEmpty(f.host),
      port: toInt(f.port),
      exitCode,
      meaning: missing ? "tool-missing" : interpretPgIsReady(exitCode),
      output: (section?.content ?? []).join("\n"),
    },
  };
}

function collectSemInfos(output: TProbeOutput): Map<number, TIpcsSemInfo> {
  const infos = new Map<number, TIpcsSemInfo>();
  for (const section of output.sections) {
    if (section.name !== "sem_info") continue;
    const semid = toInt(section.args.semid);
    if (semid !== null && !infos.has(semid))
      infos.set(semid, parseIpcsSemInfo(section.content.join("\n")));
  }
  return infos;
}

const WARNING_TEXT: Record<string, string> = {
  "pgdata-not-a-directory": "PGDATA is not a directory on the host",
  "pgdata-not-searchable": "PGDATA is not searchable by the probing user",
  "pidfile-not-a-regular-file": "postmaster.pid is not a regular file",
  "no-proc-sysvipc-shm": "/proc/sysvipc/shm is not readable",
  "no-proc-sysvipc-sem": "/proc/sysvipc/sem is not readable",
  "log-unreadable": "the server log is not readable by the probing user",
  "log-missing": "the server log file does not exist (pass the instance's log file)",
  "pg-control-unreadable": "global/pg_control is not readable",
  "supervisor-unit-name-unusable":
    "the systemd unit's name has characters the probe does not pass on: its state was not read",
};

function describeProbeWarning(code: string): string {
  const known = WARNING_TEXT[code];
  if (known !== undefined) return known;
  const tool = /^tool-missing (\S+)(.*)$/.exec(code);
  if (tool?.[1] === "pg_controldata") {
    return "pg_controldata not found on the host (pass the server's bin directory); the cluster state comes from global/pg_control";
  }
  if (tool?.[1] !== undefined) return `${tool[1]} not found on the host${tool[2] ?? ""}`;
  return code;
}

/** Turn raw probe stdout into a Snapshot. Never throws: problems become warnings or `unknown`. */
export function diagnose(raw: string, options: TDiagnoseOptions): TSnapshot {
  const output = parseProbeOutput(raw);
  const section = (name: string): TProbeSection => findSection(output, name) ?? EMPTY_SECTION;
  const meta = section("meta");
  const host = collectHost(meta);
  const instance = collectInstance(meta, options.pgdata);
  const pidFile = collectPidFile(section("pidfile"));
  const procTable = parseProcRecords(section("procs").records, section("procs").fields);
  const view: TProcessView = {
    procs: new Map(procTable.records.map((r) => [r.pid, r])),
    links: parseProcLinks(section("links").content),
    maps: parseProcMaps(section("maps").content),
    cmdlines: parseCmdlines(section("cmdline").content),
  };
  const ctx: TIdentifyContext = {
    pgdataReal: instance.pgdataReal ?? options.pgdata,
    instanceUid: instance.ownerUid ?? host.uid,
    probeUid: host.uid,
    pidFile,
    clock: { btime: host.btime, clkTck: host.clkTck },
    startTimeToleranceSec: options.startTimeToleranceSec ?? DEFAULT_START_TIME_TOLERANCE_SEC,
  };

  const postmaster = identifyPostmaster(view, ctx);
  const { members, zombies, foreign } = identifyProcesses(view, ctx, postmaster);
  const shmTable = parseSysvShm(section("sysv_shm").content);
  const semTable = parseSysvSem(findSection(output, "sysv_sem")?.content ?? []);
  const shm = identifyShm(shmTable.rows, view, ctx, members, foreign, instance.dataDirInode);
  const sem = identifySem(semTable.rows, collectSemInfos(output), view, ctx);
  const shmTableComplete = section("sysv_shm").complete && shmTable.errors.length === 0;
  const dsm = identifyDsm(
    parseDsmFiles(section("dsm").content),
    view,
    ctx,
    members,
    shm,
    shmTableComplete,
  );

  const warnings = [
    ...output.warnings.map(describeProbeWarning),
    ...output.errors,
    ...pidFile.errors.map((e) => `postmaster.pid: ${e}`),
    ...procTable.errors,
    ...shmTable.errors,
    ...(findSection(output, "sysv_sem") ? semTable.errors : []),
  ];
  if (host.toolsMissing.length > 0)
    warnings.push(`tools missing on the host: ${host.toolsMissing.join(", ")}`);
  if (procTable.selected !== null && procTable.selected > procTable.records.length) {
    warnings.push(
      `only ${procTable.records.length} of ${procTable.selected} candidate processes were detailed`,
    );
  }
  const selfHit = toInt(section("procs").fields.self_hit);
  if (selfHit !== null) {
    warnings.push(
      `PID ${selfHit} of postmaster.pid was one of the probe's own short-lived processes: that PID is free otherwise`,
    );
  }
  if (
    pidFile.dataDir !== null &&
    pidFile.dataDir !== options.pgdata &&
    pidFile.dataDir !== instance.pgdataReal
  ) {
    warnings.push(`postmaster.pid names data directory ${pidFile.dataDir}, not ${options.pgdata}`);
  }

  const blockers: string[] = [];
  if (!output.begun) blockers.push("no probe output");
  for (const name of REQUIRED_SECTIONS) {
    const s = findSection(output, name);
    if (output.begun && (!s || !s.complete))
      blockers.push(`section ${name} ${s ? "is truncated" : "is missing"}`);
  }
  if (
    output.begun &&
    output.version !== null &&
    output.errors.some((e) => e.startsWith("probe version"))
  ) {
    blockers.push(`unsupported probe version ${output.version}`);
  }
  if (meta.fields.pgdata !== undefined && meta.fields.pgdata !== options.pgdata) {
    blockers.push(`the probe ran for ${meta.fields.pgdata}, not ${options.pgdata}`);
  }

  const controlData = collectControlData(output);
  const supervisor = identifySupervisor(parseSupervisorProbe(output.sections), {
    pgdata: options.pgdata,
    pgdataReal: instance.pgdataReal,
    postmaster,
    postmasterPpid: members.find((m) => m.isPostmaster)?.ppid ?? null,
    systemIdentifier: controlData.systemIdentifier,
  });
  const facts: TDiagnosisFacts = {
    probeVersion: output.version ?? "none",
    host,
    instance,
    pidFile,
    postmaster,
    members,
    zombies,
    foreignProcesses: foreign,
    ipc: { shm, sem },
    dsm,
    connectivity: collectConnectivity(findSection(output, "pg_isready")),
    log: collectLog(findSection(output, "log")),
    controlData,
    supervisor,
    warnings,
    probe: {
      complete: output.ended,
      sections: output.sections.map((s) =>
        s.args.semid === undefined ? s.name : `${s.name}:${s.args.semid}`,
      ),
      preambleLines: output.preambleLines,
      errors: output.errors,
    },
  };
  const { verdict, recommendation } = applySupervisor(decideVerdict(facts, blockers), supervisor);
  return { ...facts, verdict, recommendation };
}
