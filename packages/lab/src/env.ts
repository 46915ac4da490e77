// The only place @pgrescue/lab reads the environment: where lab hosts live by default.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (packages/lab/src → ../../..). */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
);

/** Mounts a lab host replaces with private ones: its own files must not live below them. */
export const PRIVATE_MOUNTS = ["/tmp", "/run", "/var/run", "/var/log", "/dev/shm"];

/**
 * sshd (StrictModes) refuses authorized_keys below a group- or world-writable directory, and a lab host
 * hides /tmp and /run behind private mounts: a repository there cannot hold its lab hosts itself.
 */
export function isUsableLabLocation(dir: string): boolean {
  if (PRIVATE_MOUNTS.some((mount) => dir === mount || dir.startsWith(`${mount}/`))) return false;
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const mode = statSync(current, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o022) !== 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

/** PGRESCUE_LAB_DIR; else <repo>/.lab; else (repo under /tmp, /var/tmp, …) a per-repository dir under /var/lib or ~/.cache. */
export function defaultBaseDir(): string {
  const fromEnv = process.env.PGRESCUE_LAB_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  const inRepo = path.join(REPO_ROOT, ".lab");
  if (isUsableLabLocation(inRepo)) return inRepo;
  const id = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12);
  const root =
    process.getuid?.() === 0
      ? "/var/lib/pgrescue-lab"
      : path.join(homedir(), ".cache", "pgrescue-lab");
  return path.join(root, id);
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
