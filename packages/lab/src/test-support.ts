// Helpers for this package's integration tests: logging in with the real OpenSSH client, reading the host.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TLabHost, TLabLogin } from "./types.ts";
import { run, type TRunResult } from "./run.ts";

export type TSshVia = { key: TLabLogin } | { password: string; username: string };

/**
 * Runs a command over ssh with the OpenSSH client and the lab's known_hosts (StrictHostKeyChecking=yes).
 * Key logins without a passphrase use BatchMode; a passphrase or password is handed over via SSH_ASKPASS.
 */
export async function sshRun(
  lab: TLabHost,
  via: TSshVia,
  command: string,
  opts: { knownHostsFile?: string } = {},
): Promise<TRunResult> {
  const secret = "key" in via ? via.key.passphrase : via.password;
  const dir = await mkdtemp(path.join(tmpdir(), "pgrescue-lab-ssh-"));
  try {
    const askpass = path.join(dir, "askpass");
    await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$LAB_ASKPASS_SECRET"\n');
    await chmod(askpass, 0o700);
    const common = [
      "-F",
      "/dev/null",
      "-o",
      `UserKnownHostsFile=${opts.knownHostsFile ?? lab.ssh.knownHostsFile}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "NumberOfPasswordPrompts=1",
      "-p",
      String(lab.ssh.port),
    ];
    const auth =
      "key" in via
        ? [
            "-o",
            `BatchMode=${secret === undefined ? "yes" : "no"}`,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PreferredAuthentications=publickey",
            "-i",
            via.key.privateKeyPath,
          ]
        : [
            "-o",
            "BatchMode=no",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
          ];
    const user = "key" in via ? via.key.username : via.username;
    return await run("ssh", [...common, ...auth, `${user}@127.0.0.1`, command], {
      timeoutMs: 30_000,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: "force",
        LAB_ASKPASS_SECRET: secret ?? "",
        DISPLAY: "",
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `ps` inside the host as parsed rows. */
export async function psRows(
  lab: TLabHost,
): Promise<{ pid: number; ppid: number; stat: string; user: string; args: string }[]> {
  const { stdout } = await lab.exec("ps -eo pid=,ppid=,stat=,user:20=,args=");
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [pid = "", ppid = "", stat = "", user = "", ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), stat, user, args: args.join(" ") };
    });
}

/** Starts a program and resolves with its exit code and output, for fixtures run as separate processes. */
export function runNode(args: string[], cwd: string): Promise<TRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      resolve({ stdout, stderr, code: code ?? -1 });
    });
  });
}
