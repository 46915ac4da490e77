// Migration 20261202120000_step_record_core_names on a store that already holds steps: every row is kept, the
// renamed columns carry their values, lists become lists, and the old skipReason is split by what it held.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "./migrate.ts";
import { openStore, type TStore } from "./store.ts";
import { migrationsDir } from "./testing.ts";

const STEP_RECORD = "20261202120000_step_record_core_names";

type TOldStep = {
  id: string;
  seq: number;
  status: string;
  skipReason: string | null;
  destroys: string;
  displayCommands: string;
  futility: string | null;
  /** The reason recorded with the step's proposal in the audit trail (null: none given). */
  proposedWith: string | null;
};

describe(`migration ${STEP_RECORD}`, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-step-record-"));
  const before = mkdtempSync(path.join(tmpdir(), "pgrescue-migrations-before-"));
  let store: TStore | undefined;

  beforeAll(() => {
    // The repository's migrations up to the one under test: the store as the previous version left it.
    for (const name of readdirSync(migrationsDir)) {
      if (/^\d{14}_/.test(name) && name >= STEP_RECORD) continue;
      cpSync(path.join(migrationsDir, name), path.join(before, name), { recursive: true });
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(before, { recursive: true, force: true });
  });

  it("keeps every step, renames its columns, turns lists into lists and splits the two reasons", async () => {
    store = await openStore({ dataDir, migrationsDir: before });
    expect(store.migrations.applied).not.toContain(STEP_RECORD);
    const { db } = store;
    const user = await db.user.create({ data: { email: "dba@example.com", name: "Night DBA" } });
    const host = await db.host.create({
      data: { name: "db1", address: "127.0.0.1", sshUser: "postgres", authMethod: "AGENT" },
    });
    const instance = await db.instance.create({
      data: { hostId: host.id, name: "main", dataDir: "/srv/pg/main" },
    });
    const incident = await db.incident.create({
      data: { instanceId: instance.id, title: "stuck", openedById: user.id },
    });
    const snapshot = await db.snapshot.create({
      data: {
        instanceId: instance.id,
        incidentId: incident.id,
        probeVersion: "1",
        rawStdout: "",
        rawStderr: "",
        parsed: {},
        verdict: "zombies-unreaped",
        evidence: [],
        materialHash: "material-1",
        durationMs: 1,
        timings: {},
        sshExecs: 1,
      },
    });
    const old: TOldStep[] = [
      {
        id: "step-chosen",
        seq: 1,
        status: "PROPOSED",
        skipReason: "no time for gentler rungs",
        destroys: "the sessions of 2 client backends\n\nno checkpoint\n",
        displayCommands: JSON.stringify(["kill -KILL 42", "kill -KILL 41"]),
        futility: "42 is in D: it may survive",
        proposedWith: "no time for gentler rungs",
      },
      {
        id: "step-chosen-then-skipped",
        seq: 2,
        status: "SKIPPED",
        skipReason: "the fast stop worked after all",
        destroys: "",
        displayCommands: "[]",
        futility: null,
        proposedWith: "the postmaster is stuck",
      },
      {
        id: "step-closed",
        seq: 3,
        status: "SKIPPED",
        skipReason: "the incident was closed",
        destroys: "nothing of postmaster.pid",
        displayCommands: JSON.stringify(["'/usr/bin/pg_ctl' start"]),
        futility: null,
        proposedWith: null,
      },
    ];
    const client = new pg.Client({ connectionString: store.url });
    await client.connect();
    try {
      for (const step of old) {
        await client.query(
          `INSERT INTO "Step" ("id", "incidentId", "seq", "rung", "action", "title", "commands", "commandHash",
             "rationale", "destroys", "expected", "futility", "status", "plannedFromId", "snapshotHash",
             "requestedById", "skipReason", "displayCommands", "updatedAt")
           VALUES ($1, $2, $3, 3, 'kill-and-clean', 'Kill', 'script text', 'command-hash', 'why text', $4,
             'expected text', $5, $6::"StepStatus", $7, 'material-1', $8, $9, $10::jsonb, now())`,
          [
            step.id,
            incident.id,
            step.seq,
            step.destroys,
            step.futility,
            step.status,
            snapshot.id,
            user.id,
            step.skipReason,
            step.displayCommands,
          ],
        );
        await db.auditEvent.create({
          data: {
            actorId: user.id,
            actorLabel: user.email,
            action: "step.propose",
            targetType: "Step",
            targetId: step.id,
            incidentId: incident.id,
            details: { rung: 3, reason: step.proposedWith },
          },
        });
      }
    } finally {
      await client.end();
    }

    const report = await applyMigrations(store.url, migrationsDir);
    expect(report.applied).toContain(STEP_RECORD);

    const steps = await db.step.findMany({
      where: { incidentId: incident.id },
      orderBy: { seq: "asc" },
    });
    expect(steps.map((step) => step.id)).toEqual(old.map((step) => step.id));
    for (const step of steps) {
      expect(step).toMatchObject({
        script: "script text",
        why: "why text",
        expectedOutcome: "expected text",
        materialHash: "material-1",
        commandHash: "command-hash",
      });
    }
    expect(steps[0]).toMatchObject({
      status: "PROPOSED",
      choiceReason: "no time for gentler rungs",
      skipReason: null,
      blockedReason: "42 is in D: it may survive",
      destroys: ["the sessions of 2 client backends", "no checkpoint"],
      displayCommands: ["kill -KILL 42", "kill -KILL 41"],
    });
    expect(steps[1]).toMatchObject({
      status: "SKIPPED",
      // Overwritten in the row by the skip, recovered from the proposal's audit event.
      choiceReason: "the postmaster is stuck",
      skipReason: "the fast stop worked after all",
      blockedReason: null,
      destroys: [],
      displayCommands: [],
    });
    expect(steps[2]).toMatchObject({
      status: "SKIPPED",
      choiceReason: null,
      skipReason: "the incident was closed",
      destroys: ["nothing of postmaster.pid"],
      displayCommands: ["'/usr/bin/pg_ctl' start"],
    });
  });
});
