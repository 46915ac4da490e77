// The only place @pgrescue/lab reads the environment: where lab hosts live by default.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (packages/lab/src → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** PGRESCUE_LAB_DIR, or <repo>/.lab. */
export function defaultBaseDir(): string {
  const fromEnv = process.env.PGRESCUE_LAB_DIR;
  return fromEnv !== undefined && fromEnv !== "" ? path.resolve(fromEnv) : path.join(REPO_ROOT, ".lab");
}

/** The directory the user ran the command from (pnpm runs package scripts in the package dir and keeps the original in INIT_CWD). */
export function invocationDir(): string {
  const initCwd = process.env.INIT_CWD;
  return initCwd !== undefined && initCwd !== "" ? initCwd : process.cwd();
}

/** PGRESCUE_LAB_MODE=userns|plain picks the no-root mode explicitly (ignored as root). */
export function forcedMode(): "userns" | "plain" | undefined {
  const value = process.env.PGRESCUE_LAB_MODE;
  if (value === undefined || value === "") return undefined;
  if (value === "userns" || value === "plain") return value;
  throw new Error(`PGRESCUE_LAB_MODE must be userns or plain, not ${value}`);
}
