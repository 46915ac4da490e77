// system.health through createCaller with a real context over a real store.
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { openTestStore, migrationsDir } from "@pgrescue/db/testing";
import type { TStore } from "@pgrescue/db/store";
import { createDb } from "@pgrescue/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../context.ts";
import { createCaller } from "../root.ts";
import { createRuntime } from "../services/runtime.ts";
import { createVault } from "../services/vault.ts";
import { createTestLogger } from "../testing.ts";

const runtime = createRuntime({ vault: createVault(randomBytes(32)), logger: createTestLogger() });

const ALL_MIGRATIONS = readdirSync(migrationsDir)
  .filter((name) => /^\d{14}_/.test(name))
  .sort();

describe("system.health", () => {
  let store: TStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
    await runtime.close();
  });

  it("reports a reachable, fully migrated store and the version", async () => {
    const caller = createCaller(
      createContext({
        db: store.db,
        config: { migrationsDir, version: "9.9.9", embeddedStore: true },
        runtime,
      }),
    );
    const health = await caller.system.health();
    expect(health.ok).toBe(true);
    expect(health.version).toBe("9.9.9");
    expect(health.store).toMatchObject({
      reachable: true,
      embedded: true,
      migrationsApplied: ALL_MIGRATIONS.length,
      migrationsPending: [],
    });
    expect(health.store.serverVersion).toMatch(/^18\./);
  });

  it("says which migrations are pending when the store lags behind the code", async () => {
    // the migrations table is the owner's: the console's role only reads it
    const owner = createDb(store.ownerUrl);
    await owner.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET rolled_back_at = now()`);
    try {
      const caller = createCaller(
        createContext({
          db: store.db,
          config: { migrationsDir, version: "1", embeddedStore: true },
          runtime,
        }),
      );
      const health = await caller.system.health();
      expect(health.ok).toBe(false);
      expect(health.store.migrationsPending).toEqual(ALL_MIGRATIONS);
    } finally {
      await owner.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET rolled_back_at = NULL`);
      await owner.$disconnect();
    }
  });
});
