// `pgrescue diagnose`: one read-only diagnosis over SSH, no server needed.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  formatSnapshotReport,
  quoteForDisplay,
  ShellValueError,
  validateAbsolutePath,
} from "@pgrescue/core";
import {
  createHostKeyPolicyFromKnownHosts,
  createSshPool,
  diagnoseOverSsh,
  readKnownHostsFile,
  recordAcceptedHostKey,
  validateUserName,
  InvalidTargetError,
  type TSshAuth,
  type TSshTarget,
} from "@pgrescue/remote";
import { toDiagnosisJson } from "./diagnosis-report.ts";
import type { TCliEnv } from "./env.ts";
import { EXIT, type TCommandResult } from "./exit.ts";
import { parseSshSpec, UsageError } from "./ssh-spec.ts";

export const DIAGNOSE_USAGE = `Usage: pgrescue diagnose --ssh USER@HOST[:PORT] --pgdata DIR [options]

Runs the read-only probe on the host in one SSH exec and prints the verdict.

  --ssh USER@HOST[:PORT]   SSH login (port 22 by default; [IPv6]:PORT)
  --identity KEYFILE       private key (passphrase from PGRESCUE_SSH_PASSPHRASE);
                           without it, the ssh-agent at SSH_AUTH_SOCK is used
  --pgdata DIR             the instance's data directory (absolute)
  --pg-bin DIR             directory of pg_isready/pg_controldata (optional)
  --log-file FILE          the server log (optional; found from PGDATA otherwise)
  --become USER            run as USER through sudo -n -u USER
  --known-hosts FILE       OpenSSH known_hosts (default ~/.ssh/known_hosts)
  --accept-new-host-key    add an unknown host's key to the known-hosts file
  --timeout SECONDS        limit for the probe (default 30)
  --json                   one JSON document instead of the report

Exit codes: 0 healthy, 1 problem diagnosed, 2 usage or connection error.`;

export async function runDiagnoseCommand(argv: string[], env: TCliEnv): Promise<TCommandResult> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ssh: { type: "string" },
      identity: { type: "string" },
      pgdata: { type: "string" },
      "pg-bin": { type: "string" },
      "log-file": { type: "string" },
      become: { type: "string" },
      "known-hosts": { type: "string" },
      "accept-new-host-key": { type: "boolean", default: false },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return { exitCode: EXIT.ok, stdout: `${DIAGNOSE_USAGE}\n` };
  if (values.ssh === undefined) throw new UsageError("--ssh USER@HOST[:PORT] is required");
  if (values.pgdata === undefined) throw new UsageError("--pgdata DIR is required");
  const spec = parseSshSpec(values.ssh);
  const params = {
    pgdata: requirePath("--pgdata", values.pgdata),
    pgBin: values["pg-bin"] === undefined ? undefined : requirePath("--pg-bin", values["pg-bin"]),
    logFile:
      values["log-file"] === undefined ? undefined : requirePath("--log-file", values["log-file"]),
  };
  const timeoutMs = parseTimeout(values.timeout);
  const become = values.become === undefined ? undefined : requireUser(values.become);
  const knownHostsFile = values["known-hosts"] ?? join(homedir(), ".ssh", "known_hosts");
  const auth = await readAuth(values.identity, env);

  const hostKey = createHostKeyPolicyFromKnownHosts(
    await readKnownHosts(knownHostsFile),
    spec.host,
    spec.port,
    { acceptNew: values["accept-new-host-key"] },
  );
  const target: TSshTarget = { ...spec, auth, hostKey, become };
  const pool = createSshPool({ idleTimeoutMs: 0, agentSocket: env.SSH_AUTH_SOCK });
  try {
    const run = await diagnoseOverSsh(pool, target, params, { timeoutMs });
    const recorded = await recordAcceptedHostKey(knownHostsFile, spec.host, spec.port, run);
    const exitCode = run.snapshot.verdict.code === "healthy" ? EXIT.ok : EXIT.problem;
    const stderr = recorded
      ? `Accepted and recorded the host key ${run.hostKey.algorithm} ${run.hostKey.fingerprint} in ${knownHostsFile}\n`
      : "";
    const stdout = values.json
      ? `${JSON.stringify(toDiagnosisJson(run, spec), null, 2)}\n`
      : `${formatSnapshotReport(run.snapshot)}\nOne SSH exec, ${String(run.timings.totalMs)} ms.\n`;
    return { exitCode, stdout, stderr };
  } finally {
    await pool.close();
  }
}

function requirePath(flag: string, value: string): string {
  const check = validateAbsolutePath(value);
  if (!check.ok) throw new UsageError(`${flag} ${check.error}`);
  return value;
}

function requireUser(value: string): string {
  try {
    return validateUserName("become", value);
  } catch (error) {
    if (error instanceof InvalidTargetError) throw new UsageError(`--become: ${error.message}`);
    throw error;
  }
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1) {
    throw new UsageError(
      `--timeout must be a whole number of seconds from 1 to 9999, got ${quoteForDisplay(value)}`,
    );
  }
  return Number(value) * 1000;
}

/** The file's error code (ENOENT, EISDIR, ERR_INVALID_ARG_VALUE for a NUL in the path, …). */
function describeFileError(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "unreadable";
}

/** A missing file is an empty one (nothing pinned yet); any other problem is the operator's to fix. */
async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readKnownHostsFile(file);
  } catch (error) {
    throw new UsageError(
      `--known-hosts: cannot read ${quoteForDisplay(file)} (${describeFileError(error)})`,
    );
  }
}

async function readAuth(identity: string | undefined, env: TCliEnv): Promise<TSshAuth> {
  if (identity === undefined) {
    if (env.SSH_AUTH_SOCK === undefined) {
      throw new UsageError(
        "--identity KEYFILE is required when no ssh-agent is running (SSH_AUTH_SOCK is not set)",
      );
    }
    return { kind: "agent" };
  }
  let privateKey: Buffer;
  try {
    privateKey = await readFile(identity);
  } catch (error) {
    throw new UsageError(
      `--identity: cannot read ${quoteForDisplay(identity)} (${describeFileError(error)})`,
    );
  }
  return { kind: "key", privateKey, passphrase: env.PGRESCUE_SSH_PASSPHRASE };
}

export function isUsageProblem(error: unknown): boolean {
  return error instanceof UsageError || error instanceof ShellValueError;
}
