// Runs the OpenSSH client the way a DBA does by hand: one `ssh` process per command, host key pinned by a known_hosts file.
import { spawn } from "node:child_process";

export type TOpenSshLogin = {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  knownHostsFile: string;
};

export type TOpenSshResult = {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};

/** `ssh -i KEY -o UserKnownHostsFile=F -o StrictHostKeyChecking=yes -o BatchMode=yes -p PORT USER@HOST COMMAND` */
export function buildOpenSshArgs(login: TOpenSshLogin, command: string): string[] {
  return [
    "-i",
    login.privateKeyPath,
    "-o",
    `UserKnownHostsFile=${login.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-p",
    String(login.port),
    `${login.username}@${login.host}`,
    command,
  ];
}

/** One `ssh` process; resolves when it has exited and closed its output (a non-zero exit is a result, not an error). */
export function runOpenSsh(
  login: TOpenSshLogin,
  command: string,
  signal: AbortSignal,
): Promise<TOpenSshResult> {
  return new Promise((resolve, reject) => {
    // stdin is /dev/null, as with `ssh -n`: nothing to forward.
    const child = spawn("ssh", buildOpenSshArgs(login, command), {
      stdio: ["ignore", "pipe", "pipe"],
      signal,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (exitCode, exitSignal) => {
      resolve({ command, exitCode, signal: exitSignal, stdout, stderr });
    });
  });
}

/** Throws unless the call ended with the expected exit code; the message carries what ssh printed. */
export function expectExit(result: TOpenSshResult, expected: number): void {
  if (result.exitCode !== expected) {
    const ended =
      result.exitCode === null
        ? `signal ${String(result.signal)}`
        : `exit ${String(result.exitCode)}`;
    throw new Error(
      `ssh … ${JSON.stringify(result.command)}: ${ended}, expected exit ${String(expected)}; stderr: ${result.stderr.trim() || "(empty)"}`,
    );
  }
}
