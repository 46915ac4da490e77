// Every procedure of appRouter, called through createCaller as nobody and as each role against a real store: below
// the minimum in authorization-table.ts the gate refuses (UNAUTHORIZED without a user, FORBIDDEN with too small a
// role) and the store is left exactly as it was; at or above it the gate lets the call through.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Role } from "@pgrescue/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PROCEDURE_GATES, type TGateFixture, type TMinimumRole } from "./authorization-table.ts";
import { appRouter } from "./root.ts";
import { startTestServer, type TTestServer } from "./testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];
type TGate = { minimum: TMinimumRole; input?: (fixture: TGateFixture) => unknown };

const ROLES = [null, "VIEWER", "OPERATOR", "APPROVER", "ADMIN"] as const satisfies (Role | null)[];
type TCallerRole = (typeof ROLES)[number];

/** The least caller each minimum admits: index into ROLES. */
const LEAST: Record<TMinimumRole, number> = {
  public: 0,
  "signed-in": 1,
  viewer: 1,
  operator: 2,
  approver: 3,
  admin: 4,
};

const GATES: Record<string, TGate> = PROCEDURE_GATES;
const PROCEDURES = Object.keys(appRouter._def.procedures).sort();

let server: TTestServer;
const callers = new Map<TCallerRole, TCaller>();
let closedPort: number;

/** A port that was free a moment ago and that nothing listens on. */
async function findClosedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/**
 * Every table of the store with its row count and a digest of its rows: a refused call must leave all of them
 * as they were (not only the counts: an UPDATE changes no count). The audit trail is checked on its own: a refusal by
 * role adds exactly one event saying so.
 */
async function storeDigest(): Promise<Record<string, string>> {
  const tables = await server.store.db.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('_prisma_migrations', 'AuditEvent')
    ORDER BY 1`;
  const parts = tables.map(({ name }) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`unexpected table name ${name}`);
    return `SELECT '${name}' AS name, count(*)::text || ' rows, ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest FROM "${name}" t`;
  });
  const rows = await server.store.db.$queryRawUnsafe<{ name: string; digest: string }[]>(
    parts.join(" UNION ALL "),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

async function lastAuditId(): Promise<bigint> {
  const last = await server.store.db.auditEvent.findFirst({
    orderBy: { id: "desc" },
    select: { id: true },
  });
  return last?.id ?? 0n;
}

/** "action target" of every audit event written after `id`. */
async function auditActionsAfter(id: bigint): Promise<string[]> {
  const rows = await server.store.db.auditEvent.findMany({
    where: { id: { gt: id } },
    orderBy: { id: "asc" },
    select: { action: true, targetId: true },
  });
  return rows.map((row) => `${row.action} ${row.targetId ?? ""}`);
}

/** Walks the caller's proxy to `path` and calls it; subscriptions are closed again as soon as they are open. */
async function callAt(caller: TCaller, procedurePath: string, input: unknown): Promise<void> {
  let target: unknown = caller;
  for (const key of procedurePath.split(".")) {
    if (typeof target !== "function" && (typeof target !== "object" || target === null))
      throw new Error(`no procedure at ${procedurePath}`);
    target = Reflect.get(target, key);
  }
  if (typeof target !== "function") throw new Error(`no procedure at ${procedurePath}`);
  const result: unknown = await Reflect.apply(target, undefined, [input]);
  const iterator = invoke(result, Symbol.asyncIterator);
  if (iterator !== undefined) await invoke(iterator, "return");
}

/** `object[method]()` when there is such a method, else undefined. */
function invoke(object: unknown, method: PropertyKey): unknown {
  if (typeof object !== "object" || object === null) return undefined;
  const fn: unknown = Reflect.get(object, method);
  return typeof fn === "function" ? Reflect.apply(fn, object, []) : undefined;
}

type TOutcome = { gate: "passed" } | { gate: "refused"; code: "UNAUTHORIZED" | "FORBIDDEN" };

/** The gate's own refusals carry no cause; a service may answer UNAUTHORIZED/FORBIDDEN too, with its error as cause. */
async function outcomeOf(call: Promise<void>): Promise<TOutcome> {
  try {
    await call;
    return { gate: "passed" };
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if ((error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN") && error.cause === undefined)
      return { gate: "refused", code: error.code };
    return { gate: "passed" };
  }
}

/** Where the demo procedures look for lab hosts during this test: a place that never exists. */
const NO_LAB_DIR = path.join(tmpdir(), `pgrescue-authz-no-lab-${randomBytes(4).toString("hex")}`);

beforeAll(async () => {
  vi.stubEnv("PGRESCUE_LAB_DIR", NO_LAB_DIR);
  server = await startTestServer();
  closedPort = await findClosedPort();
  for (const role of ROLES)
    callers.set(role, (await server.callerAs(role, `authz-${String(role)}`)).caller);
  // This console's demo (demo.ts keeps it in the "demo" setting) with an incident on its instance: the demo
  // procedures stop at that (CONFLICT, or its lab host not running) instead of starting or stopping a lab host.
  const host = await server.store.db.host.create({
    data: {
      name: "demo-authz",
      address: "127.0.0.1",
      port: closedPort,
      sshUser: "postgres",
      authMethod: "AGENT",
    },
    select: { id: true },
  });
  const instance = await server.store.db.instance.create({
    data: { hostId: host.id, name: "main", dataDir: "/srv/authz/demo" },
    select: { id: true },
  });
  await server.store.db.incident.create({
    data: { instanceId: instance.id, title: "authz fixture", status: "CLOSED" },
    select: { id: true },
  });
  await server.store.db.setting.create({
    data: { key: "demo", value: { hostId: host.id, labHostName: "demo-authz" } },
    select: { key: true },
  });
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
  // No procedure call started a lab host.
  expect(existsSync(NO_LAB_DIR)).toBe(false);
});

describe("the authorization table", () => {
  it("has an entry for every procedure of appRouter", () => {
    // Lazy sub-routers would be missing from _def.procedures until loaded; there are none.
    expect(Object.keys(appRouter._def.lazy)).toEqual([]);
    expect(PROCEDURES.filter((procedure) => !(procedure in GATES))).toEqual([]);
  });

  it("names no procedure that does not exist", () => {
    expect(Object.keys(GATES).filter((procedure) => !PROCEDURES.includes(procedure))).toEqual([]);
  });
});

describe("each procedure's gate", () => {
  it.each(PROCEDURES)("%s", async (procedure) => {
    const gate = GATES[procedure];
    if (gate === undefined) throw new Error(`${procedure} has no entry in authorization-table.ts`);
    const seen: string[] = [];
    const expected: string[] = [];
    for (const [index, role] of ROLES.entries()) {
      const caller = callers.get(role);
      if (caller === undefined) throw new Error(`no caller for ${String(role)}`);
      const input = gate.input?.({ closedPort, unique: randomBytes(6).toString("hex") });
      const admitted = index >= LEAST[gate.minimum];
      const before = admitted ? null : await storeDigest();
      const auditBefore = await lastAuditId();
      const outcome = await outcomeOf(callAt(caller, procedure, input));
      const who = role ?? "nobody";
      seen.push(`${who}: ${outcome.gate === "passed" ? "passed" : outcome.code}`);
      expected.push(
        `${who}: ${admitted ? "passed" : role === null ? "UNAUTHORIZED" : "FORBIDDEN"}`,
      );
      if (before !== null) {
        expect(await storeDigest(), `${procedure} refused for ${who} changed the store`).toEqual(
          before,
        );
        expect(await auditActionsAfter(auditBefore), `${procedure} refused for ${who}`).toEqual(
          role === null ? [] : [`auth.forbidden ${procedure}`],
        );
      }
    }
    expect(seen).toEqual(expected);
  });
});
