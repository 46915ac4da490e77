// `pgrescue diagnose` against a real lab host: JSON contract, exit codes, known_hosts handling and clear errors.
import { execFile, spawn } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./main.ts";

let lab: TLabHost;
let pg: TLabInstance;
let scratch: string;

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-cli-diagnose" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  scratch = await mkdtemp(join(tmpdir(), "pgrescue-cli-"));
});

afterAll(async () => {
  await lab.stop();
  await rm(scratch, { recursive: true, force: true });
});

const sshSpec = (): string => `postgres@127.0.0.1:${String(lab.ssh.port)}`;

function diagnoseArgs(extra: string[] = []): string[] {
  return [
    "diagnose",
    "--ssh",
    sshSpec(),
    "--identity",
    lab.logins.postgres.privateKeyPath,
    "--pgdata",
    pg.pgdata,
    "--pg-bin",
    pg.binDir,
    "--known-hosts",
    lab.ssh.knownHostsFile,
    ...extra,
  ];
}

type TJson = {
  verdict: string;
  postmaster: { pid: number | null; state: string; genuine: boolean };
  members: { pid: number; state: string; role: string; orphan: boolean }[];
  zombies: { pid: number; ppid: number }[];
  ipc: {
    shm: { key: number; shmid: number; nattch: number; ours: boolean }[];
    sem: { semid: number; ours: boolean }[];
  };
  recommendation: { rung: number | null; reason: string };
  timings: { totalMs: number };
  sshExecs: number;
};

describe("pgrescue diagnose", () => {
  it("prints the documented JSON for a healthy instance and exits 0", async () => {
    await lab.breakInstance(pg, "healthy");
    const result = await runCli(diagnoseArgs(["--json"]), {});
    expect(result.stderr ?? "").toBe("");
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as TJson;
    expect(json.verdict).toBe("healthy");
    expect(json.postmaster.genuine).toBe(true);
    expect(json.members.find((m) => m.pid === json.postmaster.pid)?.role).toBe("postmaster");
    expect(json.ipc.shm.filter((s) => s.ours)).toHaveLength(1);
    expect(json.recommendation.rung).toBeNull();
    expect(json.sshExecs).toBe(1);
    expect(json.timings.totalMs).toBeGreaterThan(0);
  });

  it("diagnoses the runbook's zombies, exits 1, and a real process reports the same exit code", async () => {
    const state = await lab.breakInstance(pg, "zombies");
    const result = await runCli(diagnoseArgs(["--json"]), {});
    expect(result.exitCode).toBe(1);
    const json = JSON.parse(result.stdout) as TJson;
    expect(json.verdict).toBe("zombies-unreaped");
    expect(json.postmaster).toMatchObject({ pid: state.postmasterPid, state: "T", genuine: true });
    expect(json.zombies.map((z) => z.pid).sort((a, b) => a - b)).toEqual(
      [...state.zombiePids].sort((a, b) => a - b),
    );
    expect(json.zombies.every((z) => z.ppid === state.postmasterPid)).toBe(true);
    expect(json.recommendation.rung).toBe(0);

    const child = await runProcess(diagnoseArgs());
    expect(child.code).toBe(1);
    expect(child.stdout).toMatch(/^Verdict: zombies-unreaped — /);
    expect(child.stdout).toContain("Recommended rung: 0 (first aid)");
  });

  it("reads the key's passphrase from PGRESCUE_SSH_PASSPHRASE and explains a missing one", async () => {
    await lab.breakInstance(pg, "healthy");
    const rsa = lab.logins.postgresRsa;
    const args = diagnoseArgs().map((arg) =>
      arg === lab.logins.postgres.privateKeyPath ? rsa.privateKeyPath : arg,
    );
    const ok = await runCli(args, { PGRESCUE_SSH_PASSPHRASE: rsa.passphrase });
    expect(ok.exitCode).toBe(0);
    const missing = await runCli(args, {});
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/PRIVATE_KEY_INVALID: .*passphrase/i);
  });

  it("adds an unknown host's key only with --accept-new-host-key, then pins it", async () => {
    const knownHosts = join(scratch, "accept_known_hosts");
    const args = diagnoseArgs().map((arg) => (arg === lab.ssh.knownHostsFile ? knownHosts : arg));
    const refused = await runCli(args, {});
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("HOST_KEY_UNKNOWN");
    expect(refused.stderr).toContain(lab.ssh.hostKeyFingerprint);
    await expect(readFile(knownHosts, "utf8")).rejects.toThrow(/ENOENT/);

    const accepted = await runCli([...args, "--accept-new-host-key"], {});
    expect(accepted.exitCode).toBe(0);
    expect(accepted.stderr).toContain(
      `Accepted and recorded the host key ssh-ed25519 ${lab.ssh.hostKeyFingerprint}`,
    );
    expect((await readFile(knownHosts, "utf8")).trim()).toBe(lab.ssh.knownHostsLine.trim());

    const again = await runCli([...args, "--accept-new-host-key"], {});
    expect(again.exitCode).toBe(0);
    expect(again.stderr ?? "").toBe("");
  });

  it("refuses a changed host key, naming both fingerprints, and leaves known_hosts alone", async () => {
    const knownHosts = join(scratch, "mismatch_known_hosts");
    const other = lab.ssh.knownHostsLine.replace(
      /ssh-ed25519 \S+/,
      `ssh-ed25519 ${otherEd25519Key}`,
    );
    await writeFile(knownHosts, `${other}\n`);
    const args = diagnoseArgs().map((arg) => (arg === lab.ssh.knownHostsFile ? knownHosts : arg));
    const result = await runCli([...args, "--accept-new-host-key"], {});
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("HOST_KEY_MISMATCH");
    expect(result.stderr).toContain(lab.ssh.hostKeyFingerprint);
    expect(result.stderr).toContain(otherEd25519Fingerprint);
    expect(await readFile(knownHosts, "utf8")).toBe(`${other}\n`);
  });

  it("exits 2 with a clear message for a wrong key, a closed port and bad input", async () => {
    const wrongKey = await runCli(
      diagnoseArgs().map((arg) =>
        arg === lab.logins.postgres.privateKeyPath ? lab.logins.app.privateKeyPath : arg,
      ),
      {},
    );
    expect(wrongKey.exitCode).toBe(2);
    expect(wrongKey.stderr).toContain("AUTH_FAILED");

    const closed = await runCli(
      diagnoseArgs().map((arg) => (arg === sshSpec() ? "postgres@127.0.0.1:1" : arg)),
      {},
    );
    expect(closed.exitCode).toBe(2);
    expect(closed.stderr).toContain("UNREACHABLE");

    const copy = join(scratch, "copied_known_hosts");
    await copyFile(lab.ssh.knownHostsFile, copy);
    for (const [args, message] of [
      [["--pgdata", "relative/dir"], /--pgdata .*absolute/],
      [["--pgdata", "/var/lib/x'; rm -rf /"], /--pgdata /],
      [["--become", "post gres"], /--become/],
      [["--timeout", "0"], /--timeout/],
      [["--bogus"], /Unknown option '--bogus'/],
    ] as const) {
      const result = await runCli([...diagnoseArgs(), ...args], {});
      expect(result.exitCode, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await readFile(copy, "utf8")).toBe(await readFile(lab.ssh.knownHostsFile, "utf8"));
  });
});

/** The host key of "another host": a fresh ed25519 key made by ssh-keygen, and its fingerprint as ssh-keygen prints it. */
let otherEd25519Key = "";
let otherEd25519Fingerprint = "";

beforeAll(async () => {
  const keyFile = join(scratch, "other_host_key");
  await runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  otherEd25519Key = (await readFile(`${keyFile}.pub`, "utf8")).split(" ")[1] ?? "";
  otherEd25519Fingerprint =
    (await runTool("ssh-keygen", ["-l", "-E", "sha256", "-f", `${keyFile}.pub`])).split(" ")[1] ??
    "";
  expect(otherEd25519Fingerprint).toMatch(/^SHA256:/);
});

async function runTool(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, stdout) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${command} failed: ${error.message}`));
    });
  });
}

const mainPath = fileURLToPath(new URL("./main.ts", import.meta.url));
const tsxCli = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));

function runProcess(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsxCli, mainPath, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
