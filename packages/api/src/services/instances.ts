// Instances: a data directory on a host (with its bin dir and server log), named for typed confirmations.
import path from "node:path";
import { validateAbsolutePath } from "@pgrescue/core";
import type { Prisma } from "@pgrescue/db";
import { type TDb } from "@pgrescue/db";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { findHostByName, ZHostName } from "./hosts.ts";
import { notFound, ServiceError } from "./service-error.ts";

export const ZInstanceName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    "an instance name is 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

export const ZAddInstanceInput = z.object({
  host: ZHostName,
  pgdata: z.string().min(1).max(1024),
  pgBin: z.string().min(1).max(1024).optional(),
  logFile: z.string().min(1).max(1024).optional(),
  name: ZInstanceName.optional(),
});
export type TAddInstanceInput = z.infer<typeof ZAddInstanceInput>;

export const instanceSelect = {
  id: true,
  name: true,
  dataDir: true,
  binDir: true,
  logFile: true,
  serviceManager: true,
  hostId: true,
  host: { select: { id: true, name: true } },
  createdAt: true,
} satisfies Prisma.InstanceSelect;

export type TInstanceRow = Prisma.InstanceGetPayload<{ select: typeof instanceSelect }>;

function requirePath(label: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const check = validateAbsolutePath(value);
  if (!check.ok) throw new ServiceError("BAD_REQUEST", `${label} ${check.error}`);
  return check.value;
}

/** Debian's /var/lib/postgresql/15/main → "main"; a generic last segment (data, pgdata) takes its parent's name. */
export function deriveInstanceName(pgdata: string): string {
  const base = path.basename(pgdata);
  const name = ["data", "pgdata", "pg_data"].includes(base)
    ? path.basename(path.dirname(pgdata))
    : base;
  return (
    name
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .slice(0, 63) || "instance"
  );
}

export async function addInstance(
  db: TDb,
  actor: TActor,
  input: TAddInstanceInput,
): Promise<TInstanceRow> {
  const host = await findHostByName(db, input.host);
  const pgdata = requirePath("pgdata", input.pgdata) ?? input.pgdata;
  const name = input.name ?? deriveInstanceName(pgdata);
  const clash = await db.instance.findFirst({
    where: { hostId: host.id, OR: [{ dataDir: pgdata }, { name }] },
    select: { name: true, dataDir: true },
  });
  if (clash !== null) {
    throw new ServiceError(
      "CONFLICT",
      clash.dataDir === pgdata
        ? `${host.name} already has the instance ${clash.name} at ${pgdata}`
        : `${host.name} already has an instance named ${name}: choose another name`,
    );
  }
  const instance = await db.instance.create({
    data: {
      hostId: host.id,
      name,
      dataDir: pgdata,
      binDir: requirePath("pgBin", input.pgBin),
      logFile: requirePath("logFile", input.logFile),
    },
    select: instanceSelect,
  });
  await recordAudit(db, actor, {
    action: "instance.add",
    targetType: "Instance",
    targetId: instance.id,
    details: { host: host.name, name, pgdata },
  });
  return instance;
}

export async function findInstance(
  db: TDb,
  where: { id: string } | { host: string; pgdata: string },
): Promise<TInstanceRow> {
  if ("id" in where) {
    const instance = await db.instance.findUnique({
      where: { id: where.id },
      select: instanceSelect,
    });
    if (instance === null) throw notFound("instance", where.id);
    return instance;
  }
  const instance = await db.instance.findFirst({
    where: { host: { name: where.host }, dataDir: where.pgdata },
    select: instanceSelect,
  });
  if (instance === null)
    throw new ServiceError(
      "NOT_FOUND",
      `${where.host} has no instance at ${where.pgdata}: add it first`,
    );
  return instance;
}

export async function listInstances(db: TDb, host?: string) {
  return db.instance.findMany({
    where: host === undefined ? {} : { host: { name: host } },
    orderBy: [{ host: { name: "asc" } }, { name: "asc" }],
    select: {
      ...instanceSelect,
      snapshots: {
        orderBy: { takenAt: "desc" },
        take: 1,
        select: { id: true, verdict: true, takenAt: true },
      },
    },
  });
}

/** The last `limit` diagnoses of one instance, newest first (ids, verdicts, times: the snapshots themselves via instances.snapshot). */
export async function listInstanceHistory(db: TDb, instanceId: string, limit: number) {
  const instance = await findInstance(db, { id: instanceId });
  const snapshots = await db.snapshot.findMany({
    where: { instanceId: instance.id },
    orderBy: [{ takenAt: "desc" }, { id: "desc" }],
    take: limit,
    select: {
      id: true,
      takenAt: true,
      verdict: true,
      recommendedRung: true,
      incidentId: true,
    } satisfies Prisma.SnapshotSelect,
  });
  return snapshots;
}
