// The store for real: embedded PostgreSQL from an empty data dir and again after a
// restart, migrations applied once, every model written and read back, and an external
// PostgreSQL (Debian's PostgreSQL 15, started by this test) through DATABASE_URL. The
// console's role owns nothing: what it may not do to the audit trail is tried for real.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "./embedded.ts";
import { checkStoreHealth } from "./health.ts";
import { applyMigrations, MigrationError } from "./migrate.ts";
import { openStore, type TStore } from "./store.ts";
import type { TDb } from "./client.ts";

import { migrationsDir } from "./testing.ts";

/** Every migration in the repository, in the order the runner applies them. */
const ALL_MIGRATIONS = readdirSync(migrationsDir)
  .filter((name) => /^\d{14}_/.test(name))
  .sort();
const PG15 = "/usr/lib/postgresql/15/bin";

async function writeEveryModel(db: TDb) {
  const user = await db.user.create({
    data: { email: `dba-${Date.now()}@example.com`, name: "Night DBA", role: "APPROVER" },
  });
  const credential = await db.credential.create({
    data: {
      kind: "KEY",
      keyId: "k1",
      sealed: new Uint8Array([1, 2, 3, 255]),
      publicFingerprint: "SHA256:abc",
    },
  });
  const host = await db.host.create({
    data: {
      name: `db-${Date.now()}`,
      address: "127.0.0.1",
      port: 2222,
      sshUser: "postgres",
      becomeUser: "postgres",
      authMethod: "KEY",
      credentialId: credential.id,
      hostKeyAlgorithm: "ssh-ed25519",
      hostKeyFingerprint: "SHA256:xyz",
      hostKey: new Uint8Array([9, 8, 7]),
      hostKeyPinnedAt: new Date(),
      hostKeyPinnedById: user.id,
    },
  });
  const instance = await db.instance.create({
    data: {
      hostId: host.id,
      name: "main",
      dataDir: "/srv/pg/main",
      binDir: PG15,
      logFile: "/srv/pg/main.log",
    },
  });
  const incident = await db.incident.create({
    data: {
      instanceId: instance.id,
      activeInstanceId: instance.id,
      title: "stuck",
      openedById: user.id,
    },
  });
  const snapshot = await db.snapshot.create({
    data: {
      instanceId: instance.id,
      incidentId: incident.id,
      takenById: user.id,
      probeVersion: "1",
      rawStdout: "out",
      rawStderr: "",
      exitCode: 0,
      parsed: { members: [{ pid: 42 }] },
      verdict: "zombies-unreaped",
      evidence: ["postmaster 42 is stopped"],
      recommendedRung: 0,
      materialHash: "h",
      durationMs: 120,
      timings: { totalMs: 120 },
      sshExecs: 1,
    },
  });
  const step = await db.step.create({
    data: {
      incidentId: incident.id,
      seq: 1,
      rung: 3,
      action: "kill",
      title: "Kill members",
      script: "kill -9 42",
      commandHash: "c",
      why: "r",
      destroys: ["d", "the live evidence"],
      expectedOutcome: "e",
      blockedReason: "it may survive",
      status: "RUNNING",
      plannedFromId: snapshot.id,
      materialHash: "h",
      requestedById: user.id,
      choiceReason: "no time for gentler rungs",
      skipReason: "decided against it",
      approvedById: user.id,
      approvedAt: new Date(),
      approvalExpiresAt: new Date(),
      confirmation: "main",
      evidence: { wchan: "do_signal_stop" },
      startedAt: new Date(),
      resultSnapshotId: snapshot.id,
      displayCommands: ["kill -KILL 42"],
      plan: { rung: 3, targets: [{ pid: 42, startTicks: 1234 }] },
      confirmationRequired: "main",
      result: { actions: [{ kind: "kill", pid: 42 }] },
    },
  });
  const token = await db.apiToken.create({
    data: {
      userId: user.id,
      name: "cli",
      tokenHash: `sha-${String(Date.now())}`,
      prefix: "pgr_ab12",
    },
  });
  await db.setting.upsert({
    where: { key: "approvalPolicy" },
    create: { key: "approvalPolicy", value: { fourEyesRungs: [2, 3] } },
    update: { value: { fourEyesRungs: [2, 3] } },
  });
  await db.stepOutput.create({
    data: { stepId: step.id, seq: 1, stream: "STDOUT", data: "killed 42\n" },
  });
  await db.auditEvent.create({
    data: {
      actorId: user.id,
      actorLabel: user.email,
      action: "step.run",
      targetType: "Step",
      targetId: step.id,
      incidentId: incident.id,
      details: { rung: 3 },
      ip: "127.0.0.1",
    },
  });
  const stamp = String(Date.now());
  const session = await db.session.create({
    data: {
      id: `s-${stamp}`,
      token: `t-${stamp}`,
      userId: user.id,
      expiresAt: new Date(Date.now() + 3_600_000),
      ipAddress: "127.0.0.1",
      userAgent: "test",
    },
  });
  await db.account.create({
    data: {
      id: `a-${stamp}`,
      accountId: user.id,
      providerId: "credential",
      userId: user.id,
      password: "salt:hash",
    },
  });
  await db.verification.create({
    data: {
      id: `v-${stamp}`,
      identifier: "first-admin-setup",
      value: "hash",
      expiresAt: new Date(Date.now() + 60_000),
    },
  });
  await db.rateLimit.create({
    data: {
      id: `r-${stamp}`,
      key: `127.0.0.1/sign-in/email-${stamp}`,
      count: 3,
      lastRequest: BigInt(Date.now()),
    },
  });
  return { user, credential, host, instance, incident, snapshot, step, token, session, stamp };
}

async function expectEveryModelReadBack(
  db: TDb,
  written: Awaited<ReturnType<typeof writeEveryModel>>,
) {
  const host = await db.host.findUniqueOrThrow({
    where: { id: written.host.id },
    include: {
      credential: true,
      hostKeyPinnedBy: true,
      instances: { include: { activeIncident: true } },
    },
  });
  expect(host.credential?.sealed).toEqual(new Uint8Array([1, 2, 3, 255]));
  expect(host.hostKey).toEqual(new Uint8Array([9, 8, 7]));
  expect(host.hostKeyPinnedBy?.role).toBe("APPROVER");
  expect(host.instances[0]?.activeIncident?.id).toBe(written.incident.id);
  const step = await db.step.findUniqueOrThrow({
    where: { id: written.step.id },
    include: {
      output: true,
      plannedFrom: true,
      resultSnapshot: true,
      approvedBy: true,
      incident: { include: { auditEvents: true, snapshots: true } },
    },
  });
  expect(step.output[0]?.data).toBe("killed 42\n");
  expect(typeof step.output[0]?.id).toBe("bigint");
  expect(step.plannedFrom.parsed).toEqual({ members: [{ pid: 42 }] });
  expect(step.evidence).toEqual({ wchan: "do_signal_stop" });
  expect(step.incident.auditEvents[0]?.details).toEqual({ rung: 3 });
  expect(step.incident.snapshots).toHaveLength(1);
  expect(step.status).toBe("RUNNING");
  expect(step.displayCommands).toEqual(["kill -KILL 42"]);
  expect(step.destroys).toEqual(["d", "the live evidence"]);
  expect(step).toMatchObject({
    script: "kill -9 42",
    why: "r",
    expectedOutcome: "e",
    blockedReason: "it may survive",
    materialHash: "h",
    choiceReason: "no time for gentler rungs",
    skipReason: "decided against it",
  });
  expect(step.plan).toEqual({ rung: 3, targets: [{ pid: 42, startTicks: 1234 }] });
  expect(step.result).toEqual({ actions: [{ kind: "kill", pid: 42 }] });
  expect(step.confirmationRequired).toBe("main");
  const token = await db.apiToken.findUniqueOrThrow({
    where: { id: written.token.id },
    include: { user: true },
  });
  expect(token.user.email).toBe(written.user.email);
  expect((await db.setting.findUniqueOrThrow({ where: { key: "approvalPolicy" } })).value).toEqual({
    fourEyesRungs: [2, 3],
  });
  const user = await db.user.findUniqueOrThrow({
    where: { id: written.user.id },
    include: { sessions: true, accounts: true },
  });
  expect(user.emailVerified).toBe(false);
  expect(user.sessions.map((s) => s.token)).toEqual([written.session.token]);
  expect(user.accounts[0]?.password).toBe("salt:hash");
  expect(
    (await db.verification.findUniqueOrThrow({ where: { id: `v-${written.stamp}` } })).identifier,
  ).toBe("first-admin-setup");
  expect(
    typeof (await db.rateLimit.findUniqueOrThrow({ where: { id: `r-${written.stamp}` } }))
      .lastRequest,
  ).toBe("bigint");
}

/** Runs `sql` as the role of `url`; resolves to the error's message, or null when the statement went through. */
async function tryAs(url: string, sql: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end();
  }
}

/**
 * Everything by which the console's role could erase or rewrite the audit trail (or the evidence it points to) is
 * refused by the store; the audit table still takes new events.
 */
async function expectConsoleRoleCannotTamper(store: TStore) {
  expect(store.url).not.toBe(store.ownerUrl);
  expect(store.leastPrivilege).toBe(true);
  const event = await store.db.auditEvent.create({
    data: { actorLabel: "role-test", action: "test.role", details: {} },
    select: { id: true },
  });
  const id = String(event.id);
  const attempts: [string, RegExp][] = [
    [`TRUNCATE "AuditEvent"`, /permission denied/],
    [`DELETE FROM "AuditEvent" WHERE id = ${id}`, /permission denied/],
    [`UPDATE "AuditEvent" SET action = 'forged' WHERE id = ${id}`, /permission denied/],
    [`UPDATE "AuditEvent" SET details = '{}' WHERE id = ${id}`, /permission denied/],
    [`ALTER TABLE "AuditEvent" DISABLE TRIGGER ALL`, /must be owner/],
    [`DROP TRIGGER "AuditEvent_append_only_row" ON "AuditEvent"`, /must be owner/],
    [`SET session_replication_role = replica`, /permission denied/],
    [`DROP TABLE "AuditEvent"`, /must be owner/],
    [`DELETE FROM "Incident"`, /permission denied/],
    [`DELETE FROM "Step"`, /permission denied/],
    [`DELETE FROM "StepOutput"`, /permission denied/],
    [`DELETE FROM "Snapshot"`, /permission denied/],
    [`DELETE FROM "User"`, /permission denied/],
    [`DELETE FROM "ApiToken"`, /permission denied/],
    [`DELETE FROM "_prisma_migrations"`, /permission denied/],
    [`UPDATE "_prisma_migrations" SET rolled_back_at = now()`, /permission denied/],
    [`SELECT setval('"AuditEvent_id_seq"', 1)`, /permission denied/],
    [`CREATE TABLE "Forged" (id int)`, /permission denied/],
    [`CREATE ROLE forged LOGIN SUPERUSER`, /permission denied|must be superuser/],
  ];
  for (const [sql, refused] of attempts) expect(await tryAs(store.url, sql), sql).toMatch(refused);
  expect(
    await store.db.auditEvent.findUniqueOrThrow({
      where: { id: event.id },
      select: { action: true },
    }),
  ).toEqual({ action: "test.role" });
}

describe("embedded store", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-store-"));
  let store: TStore | undefined;
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("comes up from an empty data dir, applies migrations, and stores every model", async () => {
    store = await openStore({ dataDir, migrationsDir });
    expect(store.leastPrivilege).toBe(true);
    expect(store.embedded).toBe(true);
    expect(store.migrations.applied).toEqual(ALL_MIGRATIONS);
    const health = await checkStoreHealth(store.db, migrationsDir);
    expect(health).toMatchObject({
      reachable: true,
      migrations: { applied: ALL_MIGRATIONS.length, pending: [] },
    });
    expect(health.serverVersion).toMatch(/^18\./);
    const written = await writeEveryModel(store.db);
    await expectEveryModelReadBack(store.db, written);
    await store.close();
    store = undefined;

    store = await openStore({ dataDir, migrationsDir });
    expect(store.migrations).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
    await expectEveryModelReadBack(store.db, written);
  });

  it("keeps one active incident per instance in the store itself", async () => {
    if (!store) throw new Error("store not open");
    const { instance } = await writeEveryModel(store.db);
    await expect(
      store.db.incident.create({
        data: { instanceId: instance.id, activeInstanceId: instance.id, title: "second" },
      }),
    ).rejects.toThrow(/Unique constraint/);
  });

  it("refuses a migration that was edited after it was applied, and changes nothing", async () => {
    if (!store) throw new Error("store not open");
    const edited = mkdtempSync(path.join(tmpdir(), "pgrescue-migrations-"));
    cpSync(migrationsDir, edited, { recursive: true });
    writeFileSync(path.join(edited, "20261123200000_init/migration.sql"), "-- edited\nSELECT 1;\n");
    await expect(applyMigrations(store.ownerUrl, edited)).rejects.toThrow(MigrationError);
    await expect(applyMigrations(store.ownerUrl, edited)).rejects.toThrow(
      /modified after it was applied/,
    );
    rmSync(edited, { recursive: true, force: true });
  });

  it("connects the console as a role that owns nothing and cannot erase or rewrite the audit trail", async () => {
    if (!store) throw new Error("store not open");
    await expectConsoleRoleCannotTamper(store);
  });
});

describe("an embedded store from before the console role", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-store-legacy-"));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("gets the console role on its next start; the owner keeps its password", async () => {
    // store.json as the console wrote it before: one superuser role for everything
    const legacy = { user: "pgrescue", password: "legacy-owner-password", database: "pgrescue" };
    writeFileSync(path.join(dataDir, "store.json"), JSON.stringify(legacy), { mode: 0o600 });
    const store = await openStore({ dataDir, migrationsDir });
    try {
      expect(store.ownerUrl).toContain("legacy-owner-password");
      expect(store.url).toContain("pgrescue_console");
      await expectConsoleRoleCannotTamper(store);
    } finally {
      await store.close();
    }
  });
});

describe("external store through DATABASE_URL", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pgrescue-external-"));
  const pgdata = path.join(dir, "data");
  let port = 0;
  const asPostgres = (cmd: string, args: string[]) => {
    const runner =
      userInfo().uid === 0
        ? (["runuser", ["-u", "postgres", "--", cmd, ...args]] as const)
        : ([cmd, args] as const);
    const result = spawnSync(runner[0], [...runner[1]], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr}`);
  };

  beforeAll(async () => {
    port = await findFreePort();
    chmodSync(dir, 0o755);
    if (userInfo().uid === 0) {
      const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim();
      const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim();
      chownSync(dir, Number(id), Number(gid));
    }
    asPostgres(`${PG15}/initdb`, ["-D", pgdata, "-A", "trust", "-U", "external", "--no-sync"]);
    asPostgres(`${PG15}/pg_ctl`, [
      "start",
      "-w",
      "-D",
      pgdata,
      "-l",
      path.join(dir, "log"),
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]);
  });
  afterAll(() => {
    asPostgres(`${PG15}/pg_ctl`, ["stop", "-m", "fast", "-w", "-D", pgdata]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("migrates and uses the given server instead of starting one", async () => {
    const url = `postgresql://external@127.0.0.1:${port}/postgres`;
    const store = await openStore({
      databaseUrl: url,
      dataDir: path.join(dir, "unused"),
      migrationsDir,
    });
    try {
      expect(store.embedded).toBe(false);
      expect(store.migrations.applied).toEqual(ALL_MIGRATIONS);
      const health = await checkStoreHealth(store.db, migrationsDir);
      expect(health.serverVersion).toMatch(/^15\./);
      await expectEveryModelReadBack(store.db, await writeEveryModel(store.db));
    } finally {
      await store.close();
    }
    const again = await applyMigrations(url, migrationsDir);
    expect(again).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
  });

  it("with one role for everything, says the console is not least-privilege", async () => {
    const url = `postgresql://external@127.0.0.1:${port}/postgres`;
    const store = await openStore({
      databaseUrl: url,
      dataDir: path.join(dir, "u"),
      migrationsDir,
    });
    try {
      expect(store.leastPrivilege).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("revokes, in the least-privilege migration, the API tokens an admin made for somebody else, on the record", async () => {
    const superuser = `postgresql://external@127.0.0.1:${port}/postgres`;
    expect(await tryAs(superuser, "CREATE DATABASE legacy")).toBeNull();
    const url = `postgresql://external@127.0.0.1:${port}/legacy`;
    // the store as the console left it before: every migration but the least-privilege one
    const before = mkdtempSync(path.join(tmpdir(), "pgrescue-migrations-before-"));
    for (const name of ALL_MIGRATIONS.filter((m) => !m.endsWith("_least_privilege")))
      cpSync(path.join(migrationsDir, name), path.join(before, name), { recursive: true });
    await applyMigrations(url, before);
    rmSync(before, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`INSERT INTO "User" (id, email, name, role, "updatedAt") VALUES
        ('admin1', 'admin@example.com', 'Admin', 'ADMIN', now()),
        ('victim1', 'victim@example.com', 'Victim', 'APPROVER', now())`);
      await client.query(`INSERT INTO "ApiToken" (id, "userId", name, "tokenHash", prefix) VALUES
        ('forged', 'victim1', 'made by the admin', 'h1', 'pgr_aaaa'),
        ('own', 'victim1', 'made by the victim', 'h2', 'pgr_bbbb'),
        ('boot', 'admin1', 'bootstrap', 'h3', 'pgr_cccc')`);
      await client.query(`INSERT INTO "AuditEvent" ("actorId", "actorLabel", action, "targetType", "targetId", details) VALUES
        ('admin1', 'admin@example.com', 'token.create', 'ApiToken', 'forged', '{"userId": "victim1"}'),
        ('victim1', 'victim@example.com', 'token.create', 'ApiToken', 'own', '{"userId": "victim1"}')`);
      await applyMigrations(url, migrationsDir);
      const tokens = await client.query<{ id: string; revoked: boolean }>(
        `SELECT id, "revokedAt" IS NOT NULL AS revoked FROM "ApiToken" ORDER BY id`,
      );
      expect(tokens.rows).toEqual([
        { id: "boot", revoked: false },
        { id: "forged", revoked: true },
        { id: "own", revoked: false },
      ]);
      const recorded = await client.query<{ target: string; details: unknown }>(
        `SELECT "targetId" AS target, details FROM "AuditEvent" WHERE action = 'token.revoke'`,
      );
      expect(recorded.rows).toEqual([
        {
          target: "forged",
          details: {
            userId: "victim1",
            reason: "created by somebody else: API tokens are personal",
          },
        },
      ]);
    } finally {
      await client.end();
    }
  });

  it("migrates as PGRESCUE_MIGRATION_DATABASE_URL's owner and grants DATABASE_URL's role only its DML", async () => {
    const superuser = `postgresql://external@127.0.0.1:${port}/postgres`;
    for (const sql of [
      "CREATE ROLE store_owner LOGIN",
      "CREATE ROLE store_console LOGIN",
      "CREATE DATABASE rescue OWNER store_owner",
    ])
      expect(await tryAs(superuser, sql), sql).toBeNull();
    const store = await openStore({
      databaseUrl: `postgresql://store_console@127.0.0.1:${port}/rescue`,
      migrationDatabaseUrl: `postgresql://store_owner@127.0.0.1:${port}/rescue`,
      dataDir: path.join(dir, "unused-2"),
      migrationsDir,
    });
    try {
      expect(store.migrations.applied).toEqual(ALL_MIGRATIONS);
      await expectEveryModelReadBack(store.db, await writeEveryModel(store.db));
      await expectConsoleRoleCannotTamper(store);
    } finally {
      await store.close();
    }
  });
});
