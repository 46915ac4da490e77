// Test support: a real, throwaway store (embedded PostgreSQL in a temp dir, migrated).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStore, type TStore } from "./store.ts";

export const migrationsDir = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

export async function openTestStore(): Promise<TStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "pgrescue-test-store-"));
  const store = await openStore({ dataDir, migrationsDir });
  return {
    ...store,
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
