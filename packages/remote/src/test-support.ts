// Helpers for the integration tests: targets for a lab host's logins, a real ssh-agent, a silent TCP server.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLabHost, TLabLogin } from "@pgrescue/lab";
import type { TSshAuth, TSshTarget } from "./types.ts";

export function pinnedTarget(lab: TLabHost, login: TLabLogin, auth?: TSshAuth): TSshTarget {
  return {
    host: lab.ssh.host,
    port: lab.ssh.port,
    username: login.username,
    auth: auth ?? { kind: "key", privateKey: login.privateKey, passphrase: login.passphrase },
    hostKey: { pinned: { fingerprint: lab.ssh.hostKeyFingerprint } },
  };
}

/** Live (non-zombie) processes on the lab host whose command line contains `tag`. */
export async function listLiveProcesses(lab: TLabHost, tag: string): Promise<string[]> {
  const { stdout } = await lab.exec("ps -eo pid=,stat=,args=");
  return stdout
    .split("\n")
    .filter((line) => line.includes(tag) && !/^\s*\d+\s+Z/.test(line) && !line.includes("ps -eo"));
}

export type TTestAgent = {
  socket: string;
  add(keyPath: string): Promise<void>;
  stop(): Promise<void>;
};

/** A real ssh-agent in the foreground (-D) so that this test owns its PID and can end it. */
export async function startAgent(): Promise<TTestAgent> {
  const dir = await mkdtemp(join(tmpdir(), "pgrescue-agent-"));
  const socket = join(dir, "agent.sock");
  const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: ["ignore", "pipe", "pipe"] });
  await waitForOutput(agent, /SSH_AUTH_SOCK/);
  return {
    socket,
    add: (keyPath) => runQuietly("ssh-add", [keyPath], { SSH_AUTH_SOCK: socket }),
    stop: async () => {
      agent.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) resolve();
    });
    child.once("exit", (code) => {
      reject(new Error(`ssh-agent exited (${String(code)}) before it was ready: ${seen}`));
    });
  });
}

function runQuietly(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} failed (${String(code)}): ${stderr}`));
    });
  });
}

/** Accepts TCP connections and never says a word: an SSH handshake against it can only time out. */
export async function startSilentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return {
    port: address.port,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it). */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}
