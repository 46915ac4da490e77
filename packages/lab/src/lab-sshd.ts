// Starting a lab host's sshd: a free loopback port, its config, the start inside the host's namespaces (as a unit
// under systemd) or as a plain process, and the wait for its SSH-2.0 banner.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { execInHost, LabHostError } from "./host-exec.ts";
import { findFreePort } from "./ports.ts";
import { readStartTime, sleep } from "./run.ts";
import { quote } from "./shell.ts";
import { renderSshdConfig } from "./sshd-config.ts";
import type { TLabState } from "./state-file.ts";
import { renderSshdUnitCommand } from "./supervisors/index.ts";
import type { TLabUsers } from "./users.ts";

type TSshdStarted = { port: number; pid: number; startTime: number };

/** Starts sshd inside the host on a free loopback port, retrying with another port when that one was taken meanwhile. */
export async function startSshd(state: TLabState, users: TLabUsers): Promise<TSshdStarted> {
  const unprivileged = state.mode !== "root";
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    const config = renderSshdConfig({
      port,
      hostKeyPath: path.join(state.dir, "ssh", "host_ed25519_key"),
      pidFile: path.join(state.dir, "run", "sshd.pid"),
      authorizedKeysDir: path.join(state.dir, "ssh", "authorized_keys"),
      allowUsers: [...new Set([users.postgres.name, users.admin.name, users.app.name])],
      passwordUsers: state.mode === "root" ? [users.admin.name] : [],
      unprivileged,
    });
    await writeFile(state.ssh.configFile, config, { mode: 0o644 });
    await writeFile(
      state.ssh.logFile,
      `--- sshd on port ${String(port)} (attempt ${String(attempt)})\n`,
      { flag: "a" },
    );
    await rm(path.join(state.dir, "run", "sshd.pid"), { force: true });
    let pid: number;
    if (state.mode === "plain") {
      const log = openSync(state.ssh.logFile, "a");
      const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", state.ssh.configFile], {
        detached: true,
        stdio: ["ignore", log, log],
        cwd: "/",
      });
      closeSync(log);
      child.unref();
      pid = child.pid ?? 0;
    } else {
      const started = await execInHost(
        state,
        state.supervisor.kind === "systemd"
          ? renderSshdUnitCommand({ configFile: state.ssh.configFile, logFile: state.ssh.logFile })
          : `setsid -f /usr/sbin/sshd -D -e -f ${quote(state.ssh.configFile)} </dev/null >>${quote(state.ssh.logFile)} 2>&1`,
        {},
      );
      if (started.code !== 0) throw new LabHostError(`could not start sshd: ${started.stderr}`);
      pid = 0;
    }
    const banner = await waitForBanner(port, 5_000);
    if (banner) {
      const startTime = state.mode === "plain" ? ((await readStartTime(pid)) ?? 0) : 0;
      return { port, pid, startTime };
    }
    const log = await readFile(state.ssh.logFile, "utf8").catch(() => "");
    if (attempt >= 5 || !/Bind to port|Cannot bind|Address already in use/.test(log)) {
      throw new LabHostError(
        `sshd did not answer on 127.0.0.1:${String(port)}: ${log.split("\n").slice(-15).join("\n")}`,
      );
    }
  }
}

/** True once something on 127.0.0.1:port greets with an SSH-2.0 banner. */
async function waitForBanner(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await readBanner(port)) return true;
    await sleep(50);
  }
  return false;
}

function readBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let seen = "";
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => {
      finish(false);
    });
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (seen.includes("\n")) finish(seen.startsWith("SSH-2.0-OpenSSH"));
    });
    socket.on("error", () => {
      finish(false);
    });
    socket.on("end", () => {
      finish(false);
    });
  });
}
