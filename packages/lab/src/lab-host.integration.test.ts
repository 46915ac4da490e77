// A real lab host: OpenSSH logins, namespace isolation, tini reaping zombies, exec, snapshots, leftovers and a clean stop.
import { readFile, readlink, stat } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { diffHostStates } from "./capture.ts";
import { listLabHosts, pidsInNamespace, startLabHost, stopLabHost } from "./lab-host.ts";
import { isProcessAlive, LabTimeoutError, run, waitFor } from "./run.ts";
import { psRows, runNode, sshRun } from "./test-support.ts";
import type { TLabHost } from "./types.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
let lab: TLabHost;
let pidNamespace: string;

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-host" });
  pidNamespace = await readlink(`/proc/${String(lab.initPid)}/ns/pid`);
});

afterAll(async () => {
  // Normally already stopped by the last test; stop() of a stopped host is a no-op.
  await lab.stop();
});

describe("ssh logins with the OpenSSH client and the pinned host key", () => {
  it("publishes the host key exactly as ssh-keygen sees it", async () => {
    const printed = await run("ssh-keygen", [
      "-lf",
      path.join(lab.dir, "ssh", "host_ed25519_key.pub"),
    ]);
    expect(printed.stdout.split(" ")[1]).toBe(lab.ssh.hostKeyFingerprint);
    expect(lab.ssh.hostPublicKey).toMatch(/^ssh-ed25519 AAAA\S+$/);
    expect(lab.ssh.knownHostsLine).toBe(
      `[127.0.0.1]:${String(lab.ssh.port)} ${lab.ssh.hostPublicKey}`,
    );
    expect(await readFile(lab.ssh.knownHostsFile, "utf8")).toBe(`${lab.ssh.knownHostsLine}\n`);
  });

  it("logs in postgres with its ed25519 key (BatchMode)", async () => {
    const result = await sshRun(lab, { key: lab.logins.postgres }, "id -un; hostname");
    expect(result.stdout).toBe(`postgres\nlab-itest-host\n`);
    expect(lab.logins.postgres.privateKey).toContain("BEGIN OPENSSH PRIVATE KEY");
  });

  it("logs in postgres with the RSA key only with its passphrase", async () => {
    const login = lab.logins.postgresRsa;
    expect(login.username).toBe("postgres");
    expect(login.passphrase).toMatch(/^\S{12,}$/);
    expect((await run("ssh-keygen", ["-y", "-P", "", "-f", login.privateKeyPath])).code).not.toBe(
      0,
    );
    expect(
      (await run("ssh-keygen", ["-y", "-P", login.passphrase ?? "", "-f", login.privateKeyPath]))
        .stdout,
    ).toMatch(/^ssh-rsa /);
    expect((await sshRun(lab, { key: login }, "id -un")).stdout).toBe("postgres\n");
    const wrong = await sshRun(lab, { key: { ...login, passphrase: "wrong" } }, "id -un");
    expect(wrong.code).toBe(255);
  });

  it("logs in the admin with key and password, who becomes postgres with sudo -n and nobody else", async () => {
    const admin = lab.logins.admin;
    expect(admin.username).toBe("pgadmin");
    expect((await sshRun(lab, { key: admin }, "id -un; sudo -n -u postgres id -un")).stdout).toBe(
      "pgadmin\npostgres\n",
    );
    expect(
      (await sshRun(lab, { password: admin.password ?? "", username: admin.username }, "id -un"))
        .stdout,
    ).toBe("pgadmin\n");
    expect(
      (
        await sshRun(
          lab,
          { password: `${admin.password ?? ""}-wrong`, username: admin.username },
          "id -un",
        )
      ).code,
    ).toBe(255);
    const root = await sshRun(lab, { key: admin }, "sudo -n id -un");
    expect(root.code).not.toBe(0);
    expect(root.stderr).toMatch(/password is required|not allowed/);
  });

  it("logs in the unrelated app user, refuses root and a foreign key", async () => {
    expect((await sshRun(lab, { key: lab.logins.app }, "id -un")).stdout).toBe("appuser\n");
    expect(
      (await sshRun(lab, { key: { ...lab.logins.postgres, username: "root" } }, "id -un")).code,
    ).toBe(255);
    expect(
      (await sshRun(lab, { key: { ...lab.logins.app, username: "postgres" } }, "id -un")).code,
    ).toBe(255);
  });

  it("is refused when the known host key differs", async () => {
    const other = path.join(lab.dir, "ssh", "other_known_hosts");
    const foreign = (await run("ssh-keygen", ["-y", "-f", lab.logins.app.privateKeyPath])).stdout
      .trim()
      .split(" ")
      .slice(0, 2)
      .join(" ");
    await run("sh", [
      "-c",
      `printf '%s\\n' '[127.0.0.1]:${String(lab.ssh.port)} ${foreign}' > '${other}'`,
    ]);
    const result = await sshRun(lab, { key: lab.logins.postgres }, "true", {
      knownHostsFile: other,
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(
      /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/,
    );
  });
});

describe("isolation", () => {
  it("shows only the lab host's processes, with tini as PID 1", async () => {
    const rows = await psRows(lab);
    expect(rows.find((row) => row.pid === 1)?.args).toMatch(/^tini -- \/bin\/bash .*init\.sh$/);
    const commands = new Set(rows.map((row) => row.args.split(" ")[0]));
    // sshd may still be tearing down a session of the previous tests ("[sshd]" while it exits).
    for (const command of commands)
      expect(command).toMatch(/^(tini|pgrescue-lab-init|sshd:|\[sshd\]|\/bin\/sh|ps)$/);
    // Seen from the machine, the same processes are exactly the members of the lab's PID namespace.
    expect((await pidsInNamespace(pidNamespace)).length).toBeGreaterThanOrEqual(3);
    expect(await pidsInNamespace(pidNamespace)).toContain(lab.initPid);
  });

  it("has its own hostname, private /dev/shm, /tmp and /run, and its own user database", async () => {
    const result = await lab.exec(
      // The last line of findmnt is the mount on top (the machine's own /dev/shm may be stacked underneath).
      "hostname; for m in /dev/shm /tmp /run; do findmnt -no SOURCE $m | tail -n1; done; getent passwd pgadmin appuser | cut -d: -f1; getent shadow postgres | cut -d: -f2",
    );
    expect(result.stdout).toBe("lab-itest-host\nlab-shm\nlab-tmp\nlab-run\npgadmin\nappuser\n*\n");
    const machinePasswd = await readFile("/etc/passwd", "utf8");
    expect(machinePasswd).not.toMatch(/^pgadmin:/m);
    expect(machinePasswd).not.toMatch(/^appuser:/m);
    const machineMounts = await readFile("/proc/self/mountinfo", "utf8");
    expect(machineMounts).not.toMatch(/lab-(shm|tmp|run|log)/);
    expect(machineMounts).not.toContain(lab.dir);
  });

  it("has its own SysV IPC namespace", async () => {
    const created = await lab.exec("ipcmk -S 3 | grep -o '[0-9]*$'");
    const semid = Number(created.stdout.trim());
    const inside = await lab.exec("cat /proc/sysvipc/sem");
    expect(
      inside.stdout.split("\n").some((line) => line.trim().split(/\s+/)[1] === String(semid)),
    ).toBe(true);
    const keyInside = (
      await lab.exec(`awk '$2 == ${String(semid)} {print $1}' /proc/sysvipc/sem`)
    ).stdout.trim();
    const machine = await readFile("/proc/sysvipc/sem", "utf8");
    expect(
      machine
        .split("\n")
        .some((line) => line.trim().split(/\s+/)[0] === keyInside && keyInside !== "0"),
    ).toBe(false);
    await lab.exec(`ipcrm -s ${String(semid)}`);
  });
});

describe("init", () => {
  it("re-parents orphans to tini, which reaps them when they exit", async () => {
    await lab.exec(
      "setsid -f sh -c 'sleep 3 & echo $! > /tmp/orphan.pid' </dev/null >/dev/null 2>&1",
    );
    const pid = await waitFor(
      async () => {
        const text = (await lab.exec("cat /tmp/orphan.pid 2>/dev/null")).stdout.trim();
        return text === "" ? undefined : Number(text);
      },
      5_000,
      () => "the orphan did not start",
    );
    await waitFor(
      async () =>
        (await psRows(lab)).find((row) => row.pid === pid)?.ppid === 1 ? true : undefined,
      2_500,
      () => "orphan not re-parented to PID 1",
    );
    // Once it exits, nothing of it stays: no <defunct> entry.
    await waitFor(
      async () => ((await lab.exec(`test -e /proc/${String(pid)}`)).code !== 0 ? true : undefined),
      8_000,
      () => "the exited orphan was not reaped",
    );
  });

  it("reaps the zombies of a killed parent", async () => {
    await lab.exec("setsid -f sh -c 'sleep 0.2 & exec sleep 3011' </dev/null >/dev/null 2>&1");
    const rows = await waitFor(
      async () => {
        const now = await psRows(lab);
        const parent = now.find((row) => row.args === "sleep 3011");
        return parent !== undefined &&
          now.some((row) => row.ppid === parent.pid && row.stat.startsWith("Z"))
          ? now
          : undefined;
      },
      5_000,
      () => "no zombie child appeared",
    );
    const parent = rows.find((row) => row.args === "sleep 3011");
    const zombie = rows.find((row) => row.ppid === parent?.pid && row.stat.startsWith("Z"));
    expect(zombie).toBeDefined();
    await lab.exec(`kill -9 ${String(parent?.pid)}`);
    await waitFor(
      async () => ((await psRows(lab)).some((row) => row.pid === zombie?.pid) ? undefined : true),
      5_000,
      () => "tini did not reap the zombie",
    );
  });
});

describe("exec", () => {
  it("runs as root by default and as lab users on request, in the C locale, with input", async () => {
    expect((await lab.exec("id -un; echo $LC_ALL; echo $HOME")).stdout).toBe("root\nC\n/root\n");
    expect((await lab.exec("id -un; echo $HOME", { user: "postgres" })).stdout).toBe(
      `postgres\n${lab.dir}/home/postgres\n`,
    );
    expect((await lab.exec("id -Gn", { user: "appuser" })).stdout).toBe("appuser\n");
    expect(await lab.exec("cat; exit 3", { input: "a\nb\n" })).toEqual({
      stdout: "a\nb\n",
      stderr: "",
      code: 3,
    });
  });

  it("rejects on timeout and kills what it started", async () => {
    await expect(lab.exec("sleep 3012; echo never", { timeoutMs: 500 })).rejects.toBeInstanceOf(
      LabTimeoutError,
    );
    await waitFor(
      async () => ((await psRows(lab)).some((row) => row.args === "sleep 3012") ? undefined : true),
      3_000,
      () => "sleep 3012 survived",
    );
  });
});

describe("captureState", () => {
  it("sees no difference between two snapshots of an idle host", async () => {
    const before = await lab.captureState();
    const after = await lab.captureState();
    expect(before.processes.find((process) => process.pid === 1)?.comm).toBe("tini");
    expect(diffHostStates(before, after)).toEqual([]);
  });
});

describe("leftovers of a crashed run", () => {
  it("lists a host whose owner died and replaces it on the next start; stopLabHost removes it", async () => {
    const fixture = await runNode(
      ["--import", "tsx", path.join(here, "leave-host-running.fixture.ts"), "itest-leftover"],
      path.join(here, ".."),
    );
    expect(fixture.stderr).toBe("");
    const left = z
      .object({ initPid: z.number(), port: z.number() })
      .parse(JSON.parse(fixture.stdout));
    const listed = (await listLabHosts()).find((host) => host.name === "itest-leftover");
    expect(listed).toMatchObject({
      status: "running",
      ownerAlive: false,
      detached: false,
      initPid: left.initPid,
    });

    const replacement = await startLabHost({ name: "itest-leftover" });
    expect(replacement.initPid).not.toBe(left.initPid);
    expect(await isProcessAlive(left.initPid)).toBe(false);

    await stopLabHost("itest-leftover");
    expect(await isProcessAlive(replacement.initPid)).toBe(false);
    expect((await listLabHosts()).some((host) => host.name === "itest-leftover")).toBe(false);
  });
});

describe("stop", () => {
  it("leaves no process, no mount, no file and no listener", async () => {
    await lab.stop();
    expect(await isProcessAlive(lab.initPid)).toBe(false);
    expect(await pidsInNamespace(pidNamespace)).toEqual([]);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(lab.dir);
    await expect(stat(lab.dir)).rejects.toMatchObject({ code: "ENOENT" });
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: lab.ssh.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => {
        resolve(true);
      });
    });
    expect(refused).toBe(true);
    await expect(lab.exec("true")).rejects.toThrow(/not running/);
  });
});
