// The demo: a lab host of this console's own (demo-<random>) with a PostgreSQL instance broken the runbook's way (zombies), added as a host and instance.
import { randomBytes } from "node:crypto";
import { Prisma, type TDb } from "@pgrescue/db";
import {
  attachLabHost,
  detectMode,
  LabSetupError,
  listLabHosts,
  requirePg15,
  startLabHost,
  stopLabHost,
  type TLabHost,
  type TLabMode,
} from "@pgrescue/lab";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { addHost } from "./hosts.ts";
import { addInstance } from "./instances.ts";
import type { TRuntime } from "./runtime.ts";
import { ServiceError } from "./service-error.ts";

/**
 * Every demo gets a fresh lab host name: lab hosts live in one directory per machine, where a developer's
 * own `pnpm lab up` (default name "demo") and other consoles keep theirs. The console host has the same
 * name, so `pnpm lab list` and the hosts page agree.
 */
const DEMO_NAME_PREFIX = "demo-";
const DEMO_INSTANCE_NAME = "main";
/** The Setting row that records which host and lab host this console created: only those are ever touched. */
const DEMO_SETTING_KEY = "demo";

const ZDemoRecord = z.object({ hostId: z.string().min(1), labHostName: z.string().min(1) });
type TDemoRecord = z.infer<typeof ZDemoRecord>;

const MODE_LIMITS: Record<TLabMode, string | null> = {
  root: null,
  userns: null,
  plain:
    "the console runs neither as root nor with unprivileged user namespaces, so a lab host cannot have its own PID and IPC namespaces and no init reaps its zombies: the zombies scenario cannot be reproduced here. Start the console as root (or enable user namespaces: sysctl kernel.unprivileged_userns_clone=1) and try again.",
};

export type TDemoStatus = {
  mode: TLabMode;
  /** Why a demo cannot be created on this machine; null when it can. */
  unavailable: string | null;
  /** The demo host and instance when they exist in the console; labHostName is the lab host behind it. */
  host: { id: string; name: string; labHostName: string; labRunning: boolean } | null;
  instanceId: string | null;
};

type TDemoRows = {
  record: TDemoRecord;
  host: { id: string; name: string; instanceId: string | null } | null;
};

async function readDemoRecord(db: TDb): Promise<TDemoRecord | null> {
  const row = await db.setting.findUnique({
    where: { key: DEMO_SETTING_KEY },
    select: { value: true },
  });
  if (row === null) return null;
  const parsed = ZDemoRecord.safeParse(row.value);
  return parsed.success ? parsed.data : null;
}

/** The recorded demo and its host row (null when that host is gone from the console). */
async function findDemoRows(db: TDb): Promise<TDemoRows | null> {
  const record = await readDemoRecord(db);
  if (record === null) return null;
  const host = await db.host.findUnique({
    where: { id: record.hostId },
    select: {
      id: true,
      name: true,
      instances: { where: { name: DEMO_INSTANCE_NAME }, select: { id: true }, take: 1 },
    },
  });
  return {
    record,
    host:
      host === null
        ? null
        : { id: host.id, name: host.name, instanceId: host.instances[0]?.id ?? null },
  };
}

async function labHostStatus(name: string): Promise<"running" | "stopped" | "absent"> {
  const found = (await listLabHosts()).find((h) => h.name === name);
  if (found === undefined) return "absent";
  return found.status === "running" ? "running" : "stopped";
}

export async function getDemoStatus(db: TDb): Promise<TDemoStatus> {
  const mode = await detectMode();
  const rows = await findDemoRows(db);
  if (rows === null || rows.host === null) {
    return { mode, unavailable: MODE_LIMITS[mode], host: null, instanceId: null };
  }
  return {
    mode,
    unavailable: MODE_LIMITS[mode],
    host: {
      id: rows.host.id,
      name: rows.host.name,
      labHostName: rows.record.labHostName,
      labRunning: (await labHostStatus(rows.record.labHostName)) === "running",
    },
    instanceId: rows.host.instanceId,
  };
}

/** PostgreSQL 15 from Debian when installed, else the embedded 18 (as `pnpm lab up` decides). */
async function pickMajor(): Promise<15 | 18> {
  try {
    await requirePg15();
    return 15;
  } catch {
    return 18;
  }
}

/** demo-<6 hex>, free both among this machine's lab hosts and among the console's hosts. */
async function pickDemoName(db: TDb): Promise<string> {
  const taken = new Set((await listLabHosts()).map((h) => h.name));
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const name = `${DEMO_NAME_PREFIX}${randomBytes(3).toString("hex")}`;
    if (taken.has(name)) continue;
    if ((await db.host.findUnique({ where: { name }, select: { id: true } })) !== null) continue;
    return name;
  }
  throw new ServiceError("CONFLICT", "no free demo host name was found: try again");
}

function labFailure(what: string, error: unknown): ServiceError {
  const message = error instanceof Error ? error.message : String(error);
  // Missing tools (sshd, tini, perl, PostgreSQL) are the machine's setup, not a bug of the console.
  return new ServiceError(
    "PRECONDITION_FAILED",
    error instanceof LabSetupError
      ? `${what}: ${message} (bash scripts/setup.sh installs what the lab needs)`
      : `${what}: ${message}`,
  );
}

/** A recorded demo whose console host is gone: stop its lab host (it is ours) and forget the record. */
async function clearStaleDemo(db: TDb, runtime: TRuntime, record: TDemoRecord): Promise<void> {
  if ((await labHostStatus(record.labHostName)) !== "absent") {
    await stopLabHost(record.labHostName).catch((error: unknown) => {
      runtime.logger.warn(
        { err: error, labHost: record.labHostName },
        "demo: could not stop the stale lab host",
      );
    });
  }
  await db.setting.deleteMany({ where: { key: DEMO_SETTING_KEY } });
}

/**
 * Start a detached lab host demo-<random>, create a PostgreSQL instance, break it with the zombies
 * scenario, add host (postgres key, host key pinned) and instance to the console, and record them as
 * this console's demo.
 */
export async function createDemoLabHost(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
): Promise<{
  instanceId: string;
  hostId: string;
  labHostName: string;
  major: 15 | 18;
  mode: TLabMode;
}> {
  const mode = await detectMode();
  const limit = MODE_LIMITS[mode];
  if (limit !== null) throw new ServiceError("PRECONDITION_FAILED", `No lab host here: ${limit}`);
  const existing = await findDemoRows(db);
  if (existing !== null && existing.host !== null) {
    throw new ServiceError(
      "CONFLICT",
      `the demo host ${existing.host.name} exists already: break its instance again instead`,
    );
  }
  if (existing !== null) await clearStaleDemo(db, runtime, existing.record);
  const name = await pickDemoName(db);
  const major = await pickMajor();
  let lab: TLabHost;
  try {
    lab = await startLabHost({ name, detached: true });
  } catch (error) {
    throw labFailure("the lab host did not start", error);
  }
  let hostId: string | null = null;
  try {
    const pg = await lab.createInstance({ name: DEMO_INSTANCE_NAME, major });
    await lab.breakInstance(pg, "zombies");
    const host = await addHost(db, runtime, actor, {
      name,
      address: lab.ssh.host,
      port: lab.ssh.port,
      sshUser: "postgres",
      auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
      hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
    });
    hostId = host.id;
    const instance = await addInstance(db, actor, {
      host: name,
      pgdata: pg.pgdata,
      pgBin: pg.binDir,
      logFile: pg.logFile,
      name: DEMO_INSTANCE_NAME,
    });
    await recordDemo(db, actor, { hostId: host.id, labHostName: name });
    await recordAudit(db, actor, {
      action: "demo.create",
      targetType: "Instance",
      targetId: instance.id,
      details: { host: name, labHost: name, major, mode, scenario: "zombies" },
    });
    return { instanceId: instance.id, hostId: host.id, labHostName: name, major, mode };
  } catch (error) {
    // Leave nothing half-made: the host goes, and with it anything the console could not record.
    if (hostId !== null) {
      await forgetHost(db, hostId).catch((forgetError: unknown) => {
        runtime.logger.warn(
          { err: forgetError, hostId },
          "demo: could not remove the half-added host",
        );
      });
    }
    await lab.stop().catch((stopError: unknown) => {
      runtime.logger.warn(
        { err: stopError, labHost: name },
        "demo: could not stop the lab host after a failure",
      );
    });
    if (error instanceof ServiceError) throw error;
    throw labFailure("the demo instance could not be set up", error);
  }
}

/** The record is created, never overwritten: of two admins creating a demo at once, the second one backs out. */
async function recordDemo(db: TDb, actor: TActor, record: TDemoRecord): Promise<void> {
  try {
    await db.setting.create({
      data: { key: DEMO_SETTING_KEY, value: record, updatedById: actor.id },
      select: { key: true },
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new ServiceError("CONFLICT", "another demo was created meanwhile: open that one");
    }
    throw error;
  }
}

/** Remove a demo host's rows (instance, host, its sealed credential). */
async function forgetHost(db: TDb, hostId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const host = await tx.host.findUnique({
      where: { id: hostId },
      select: { id: true, credentialId: true },
    });
    if (host === null) return;
    await tx.instance.deleteMany({ where: { hostId: host.id } });
    await tx.host.delete({ where: { id: host.id } });
    if (host.credentialId !== null) {
      await tx.credential.deleteMany({ where: { id: host.credentialId } });
    }
  });
}

/** Break the demo instance again (zombies) on this console's demo lab host. */
export async function breakDemoAgain(db: TDb, actor: TActor): Promise<{ instanceId: string }> {
  const rows = await findDemoRows(db);
  const instanceId = rows?.host?.instanceId ?? null;
  if (rows === null || instanceId === null) {
    throw new ServiceError("NOT_FOUND", "there is no demo instance to break: create it first");
  }
  const { labHostName } = rows.record;
  let lab: TLabHost;
  try {
    lab = await attachLabHost(labHostName);
  } catch (error) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the demo's lab host ${labHostName} is not running (${error instanceof Error ? error.message : String(error)}): remove the demo and create it again`,
    );
  }
  const pg = (await lab.listInstances()).find((i) => i.name === DEMO_INSTANCE_NAME);
  if (pg === undefined) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the lab host ${labHostName} has no instance ${DEMO_INSTANCE_NAME}`,
    );
  }
  try {
    await lab.breakInstance(pg, "zombies");
  } catch (error) {
    throw labFailure("the demo instance could not be broken again", error);
  }
  await recordAudit(db, actor, {
    action: "demo.break",
    targetType: "Instance",
    targetId: instanceId,
    details: { host: rows.host?.name ?? labHostName, labHost: labHostName, scenario: "zombies" },
  });
  return { instanceId };
}

/**
 * Stop this console's demo lab host and remove its host and instance from the console; refused while
 * the instance has incidents (they are history and keep it). Other lab hosts are never touched.
 */
export async function removeDemo(db: TDb, actor: TActor): Promise<{ removed: boolean }> {
  const rows = await findDemoRows(db);
  if (rows === null) return { removed: false };
  const { labHostName } = rows.record;
  const hostName = rows.host?.name ?? labHostName;
  const instanceId = rows.host?.instanceId ?? null;
  if (instanceId !== null && (await db.incident.count({ where: { instanceId } })) > 0) {
    throw new ServiceError(
      "CONFLICT",
      `the demo instance has incidents; they are kept as history, so the demo host ${hostName} stays`,
    );
  }
  if ((await labHostStatus(labHostName)) !== "absent") {
    try {
      await stopLabHost(labHostName);
    } catch (error) {
      throw labFailure(`the lab host ${labHostName} did not stop`, error);
    }
  }
  if (rows.host !== null) await forgetHost(db, rows.host.id);
  await db.setting.deleteMany({ where: { key: DEMO_SETTING_KEY } });
  await recordAudit(db, actor, {
    action: "demo.remove",
    targetType: "Host",
    targetId: rows.record.hostId,
    details: { host: hostName, labHost: labHostName },
  });
  return { removed: true };
}
