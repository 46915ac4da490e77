// Runs `prisma generate` offline. The Prisma CLI insists on locating a schema engine
// binary even though generating the Rust-free client never executes it; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at an existing file stops it from trying to download one.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
const result = spawnSync("pnpm", ["exec", "prisma", "generate"], {
  stdio: "inherit",
  env,
  cwd: path.join(root, "packages/db"),
});
process.exit(result.status ?? 1);
