// The demo: a lab host named "demo" on this machine with a PostgreSQL instance broken the runbook's way (zombies), added as a host and instance.
import type { Db } from "@pgrescue/db";
import {
  attachLabHost,
  detectMode,
  LabSetupError,
  listLabHosts,
  requirePg15,
  startLabHost,
  stopLabHost,
  type LabHost,
  type LabMode,
} from "@pgrescue/lab";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { addHost } from "./hosts.ts";
import { addInstance } from "./instances.ts";
import type { TRuntime } from "./runtime.ts";
import { ServiceError } from "./service-error.ts";

export const DEMO_HOST_NAME = "demo";
const DEMO_INSTANCE_NAME = "main";

const MODE_LIMITS: Record<LabMode, string | null> = {
  root: null,
  userns: null,
  plain:
    "the console runs neither as root nor with unprivileged user namespaces, so a lab host cannot have its own PID and IPC namespaces and no init reaps its zombies: the zombies scenario cannot be reproduced here. Start the console as root (or enable user namespaces: sysctl kernel.unprivileged_userns_clone=1) and try again.",
};

export type TDemoStatus = {
  mode: LabMode;
  /** Why a demo cannot be created on this machine; null when it can. */
  unavailable: string | null;
  /** The demo host and instance when they exist in the console. */
  host: { id: string; name: string; labRunning: boolean } | null;
  instanceId: string | null;
};

async function findDemoRows(db: Db) {
  return db.host.findUnique({
    where: { name: DEMO_HOST_NAME },
    select: {
      id: true,
      name: true,
      instances: {
        where: { name: DEMO_INSTANCE_NAME },
        select: { id: true },
        take: 1,
      },
    },
  });
}

async function isLabRunning(): Promise<boolean> {
  const hosts = await listLabHosts();
  return hosts.some((h) => h.name === DEMO_HOST_NAME && h.status === "running");
}

export async function getDemoStatus(db: Db): Promise<TDemoStatus> {
  const mode = await detectMode();
  const row = await findDemoRows(db);
  return {
    mode,
    unavailable: MODE_LIMITS[mode],
    host: row === null ? null : { id: row.id, name: row.name, labRunning: await isLabRunning() },
    instanceId: row?.instances[0]?.id ?? null,
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

/**
 * Start the detached lab host "demo", create a PostgreSQL instance, break it with the zombies
 * scenario, and add host (postgres key, host key pinned) and instance to the console.
 */
export async function createDemoLabHost(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
): Promise<{ instanceId: string; hostId: string; major: 15 | 18; mode: LabMode }> {
  const mode = await detectMode();
  const limit = MODE_LIMITS[mode];
  if (limit !== null) throw new ServiceError("PRECONDITION_FAILED", `No lab host here: ${limit}`);
  if ((await findDemoRows(db)) !== null) {
    throw new ServiceError(
      "CONFLICT",
      `a host named ${DEMO_HOST_NAME} exists already: break its instance again instead`,
    );
  }
  const major = await pickMajor();
  let lab: LabHost;
  try {
    lab = await startLabHost({ name: DEMO_HOST_NAME, detached: true });
  } catch (error) {
    throw labFailure("the lab host did not start", error);
  }
  try {
    const pg = await lab.createInstance({ name: DEMO_INSTANCE_NAME, major });
    await lab.breakInstance(pg, "zombies");
    const host = await addHost(db, runtime, actor, {
      name: DEMO_HOST_NAME,
      address: lab.ssh.host,
      port: lab.ssh.port,
      sshUser: "postgres",
      auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
      hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
    });
    const instance = await addInstance(db, actor, {
      host: DEMO_HOST_NAME,
      pgdata: pg.pgdata,
      pgBin: pg.binDir,
      logFile: pg.logFile,
      name: DEMO_INSTANCE_NAME,
    });
    await recordAudit(db, actor, {
      action: "demo.create",
      targetType: "Instance",
      targetId: instance.id,
      details: { host: DEMO_HOST_NAME, major, mode, scenario: "zombies" },
    });
    return { instanceId: instance.id, hostId: host.id, major, mode };
  } catch (error) {
    // Leave nothing half-made: the host goes, and with it anything the console could not record.
    await forgetDemoHost(db).catch((forgetError: unknown) => {
      console.error("[demo] removing the half-added demo host:", forgetError);
    });
    await lab.stop().catch((stopError: unknown) => {
      console.error("[demo] stopping the lab host after a failure:", stopError);
    });
    if (error instanceof ServiceError) throw error;
    throw labFailure("the demo instance could not be set up", error);
  }
}

/** Remove the demo host's rows (instance, host, its sealed credential) after a failed setup. */
async function forgetDemoHost(db: Db): Promise<void> {
  await db.$transaction(async (tx) => {
    const host = await tx.host.findUnique({
      where: { name: DEMO_HOST_NAME },
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

/** Break the demo instance again (zombies) on the running lab host "demo". */
export async function breakDemoAgain(db: Db, actor: TActor): Promise<{ instanceId: string }> {
  const row = await findDemoRows(db);
  const instanceId = row?.instances[0]?.id;
  if (row === null || instanceId === undefined) {
    throw new ServiceError(
      "NOT_FOUND",
      `there is no ${DEMO_HOST_NAME} instance to break: create it first`,
    );
  }
  let lab: LabHost;
  try {
    lab = await attachLabHost(DEMO_HOST_NAME);
  } catch (error) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the lab host ${DEMO_HOST_NAME} is not running (${error instanceof Error ? error.message : String(error)}): remove the host ${DEMO_HOST_NAME} from the console and create the demo again`,
    );
  }
  const pg = (await lab.listInstances()).find((i) => i.name === DEMO_INSTANCE_NAME);
  if (pg === undefined) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the lab host ${DEMO_HOST_NAME} has no instance ${DEMO_INSTANCE_NAME}`,
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
    details: { host: DEMO_HOST_NAME, scenario: "zombies" },
  });
  return { instanceId };
}

/**
 * Stop the lab host "demo" and remove its host and instance from the console; refused while
 * the instance has incidents (they are history and keep it).
 */
export async function removeDemo(db: Db, actor: TActor): Promise<{ removed: boolean }> {
  const row = await findDemoRows(db);
  const instanceId = row?.instances[0]?.id;
  if (instanceId !== undefined && (await db.incident.count({ where: { instanceId } })) > 0) {
    throw new ServiceError(
      "CONFLICT",
      `the ${DEMO_HOST_NAME} instance has incidents; they are kept as history, so the demo host stays`,
    );
  }
  if ((await listLabHosts()).some((h) => h.name === DEMO_HOST_NAME)) {
    try {
      await stopLabHost(DEMO_HOST_NAME);
    } catch (error) {
      throw labFailure("the lab host demo did not stop", error);
    }
  }
  if (row === null) return { removed: false };
  await forgetDemoHost(db);
  await recordAudit(db, actor, {
    action: "demo.remove",
    targetType: "Host",
    targetId: row.id,
    details: { host: DEMO_HOST_NAME },
  });
  return { removed: true };
}
