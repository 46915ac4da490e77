// Against a real OpenSSH sshd on a lab host: every login method, host-key pinning and TOFU, unreachable hosts.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLabHost, type TLabHost } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgentUnavailableError,
  AuthFailedError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  PrivateKeyError,
  UnreachableError,
  createHostKeyPolicyFromKnownHosts,
  createSshPool,
  fingerprintKeyBlob,
  readKnownHostsFile,
  recordAcceptedHostKey,
  runOnce,
  type TSshTarget,
} from "./index.ts";
import {
  findClosedPort,
  pinnedTarget,
  startAgent,
  startSilentServer,
  type TTestAgent,
} from "./test-support.ts";

let lab: TLabHost;

beforeAll(async () => {
  lab = await startLabHost({ name: "remote-connect" });
});

afterAll(async () => {
  await lab.stop();
});

const whoami = async (target: TSshTarget): Promise<string> =>
  (await runOnce(target, "id -un")).stdout.trim();

describe("logins", () => {
  it("logs in with an ed25519 key and reports the pinned host key", async () => {
    const result = await runOnce(pinnedTarget(lab, lab.logins.postgres), "id -un");
    expect(result.stdout).toBe("postgres\n");
    expect(result.hostKeyStatus).toBe("pinned");
    expect(result.hostKey.fingerprint).toBe(lab.ssh.hostKeyFingerprint);
    expect(`${result.hostKey.algorithm} ${result.hostKey.base64}`).toBe(
      lab.ssh.hostPublicKey.split(" ").slice(0, 2).join(" "),
    );
  });

  it("logs in with a passphrase-protected RSA key", async () => {
    expect(lab.logins.postgresRsa.passphrase).toMatch(/^\S{12,}$/);
    expect(await whoami(pinnedTarget(lab, lab.logins.postgresRsa))).toBe("postgres");
  });

  it("refuses a wrong passphrase before connecting at all", async () => {
    const login = lab.logins.postgresRsa;
    // Pointed at a closed port: a PrivateKeyError (not UnreachableError) proves nothing was attempted.
    const target = { ...pinnedTarget(lab, login), port: await findClosedPort() };
    await expect(
      runOnce(
        { ...target, auth: { kind: "key", privateKey: login.privateKey, passphrase: "wrong" } },
        "true",
      ),
    ).rejects.toMatchObject({
      code: "PRIVATE_KEY_INVALID",
      problem: "passphrase-wrong",
    });
    await expect(
      runOnce({ ...target, auth: { kind: "key", privateKey: login.privateKey } }, "true"),
    ).rejects.toMatchObject({ problem: "passphrase-required" });
    await expect(
      runOnce({ ...target, auth: { kind: "key", privateKey: "-----BEGIN NONSENSE-----" } }, "true"),
    ).rejects.toBeInstanceOf(PrivateKeyError);
  });

  it("logs in with a password, and a wrong one is AuthFailedError", async () => {
    const login = lab.logins.admin;
    const password = login.password ?? "";
    expect(password).not.toBe("");
    expect(await whoami(pinnedTarget(lab, login, { kind: "password", password }))).toBe(
      login.username,
    );
    await expect(
      runOnce(
        pinnedTarget(lab, login, { kind: "password", password: `${password}-wrong` }),
        "true",
      ),
    ).rejects.toBeInstanceOf(AuthFailedError);
  });

  it("refuses a key that is not authorized for the user", async () => {
    const target = pinnedTarget(lab, lab.logins.postgres, {
      kind: "key",
      privateKey: lab.logins.admin.privateKey,
    });
    const error: unknown = await runOnce(target, "true").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthFailedError);
    expect((error as AuthFailedError).message).toContain(`postgres@127.0.0.1:${lab.ssh.port}`);
  });

  describe("ssh-agent", () => {
    let agent: TTestAgent;
    beforeAll(async () => {
      agent = await startAgent();
    });
    afterAll(async () => {
      await agent.stop();
    });

    it("refuses when the agent holds no authorized key, then logs in once the key is added", async () => {
      const target = pinnedTarget(lab, lab.logins.postgres, {
        kind: "agent",
        socket: agent.socket,
      });
      await expect(runOnce(target, "true")).rejects.toMatchObject({
        code: "AUTH_FAILED",
        method: "agent",
      });
      await agent.add(lab.logins.postgres.privateKeyPath);
      expect(await whoami(target)).toBe("postgres");
    });

    it("uses the pool's agent socket when the target names none", async () => {
      const pool = createSshPool({ agentSocket: agent.socket });
      try {
        const result = await pool.run(
          pinnedTarget(lab, lab.logins.postgres, { kind: "agent" }),
          "id -un",
        );
        expect(result.stdout.trim()).toBe("postgres");
      } finally {
        await pool.close();
      }
    });

    it("says so when there is no agent", async () => {
      const target = pinnedTarget(lab, lab.logins.postgres, {
        kind: "agent",
        socket: join(tmpdir(), "no-such-agent.sock"),
      });
      await expect(runOnce(target, "true")).rejects.toBeInstanceOf(AgentUnavailableError);
    });
  });
});

describe("host keys", () => {
  const otherFingerprint = (): string => {
    // A real ed25519 public key that is not the lab host's.
    const der = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
    const raw = der.subarray(der.length - 32);
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, type.length]),
      type,
      Buffer.from([0, 0, 0, 32]),
      raw,
    ]);
    return fingerprintKeyBlob(blob);
  };

  it("aborts on a mismatch before logging in, naming both fingerprints", async () => {
    const expected = otherFingerprint();
    const debug: string[] = [];
    const pool = createSshPool({ debug: (line) => debug.push(line) });
    const target: TSshTarget = {
      ...pinnedTarget(lab, lab.logins.admin, {
        kind: "password",
        password: lab.logins.admin.password ?? "",
      }),
      hostKey: { pinned: { fingerprint: expected } },
    };
    const error: unknown = await pool.run(target, "true").catch((caught: unknown) => caught);
    await pool.close();
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const message = (error as HostKeyMismatchError).message;
    expect(message).toContain(expected);
    expect(message).toContain(lab.ssh.hostKeyFingerprint);
    expect(debug.some((line) => line.includes("Host denied"))).toBe(true);
    expect(debug.filter((line) => line.includes("USERAUTH_REQUEST"))).toEqual([]);
  });

  it("refuses an unknown key without acceptNew and hands its fingerprint to the caller", async () => {
    const target: TSshTarget = { ...pinnedTarget(lab, lab.logins.postgres), hostKey: {} };
    const error: unknown = await runOnce(target, "true").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyUnknownError);
    expect(error).toMatchObject({
      presentedFingerprint: lab.ssh.hostKeyFingerprint,
      presentedAlgorithm: "ssh-ed25519",
    });
  });

  it("accepts a new key only when asked and returns it for pinning", async () => {
    const target: TSshTarget = {
      ...pinnedTarget(lab, lab.logins.postgres),
      hostKey: { acceptNew: true },
    };
    const result = await runOnce(target, "true");
    expect(result.hostKeyStatus).toBe("accepted-new");
    expect(result.hostKey.fingerprint).toBe(lab.ssh.hostKeyFingerprint);
    const repinned = await runOnce(
      {
        ...target,
        hostKey: {
          pinned: { fingerprint: result.hostKey.fingerprint, algorithm: result.hostKey.algorithm },
        },
      },
      "true",
    );
    expect(repinned.hostKeyStatus).toBe("pinned");
  });

  it("follows known_hosts like `ssh -o StrictHostKeyChecking=accept-new`: adds unknown, refuses changed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pgrescue-kh-"));
    const file = join(dir, "known_hosts");
    const base = pinnedTarget(lab, lab.logins.postgres);
    const runWithFile = async (): Promise<string> => {
      const hostKey = createHostKeyPolicyFromKnownHosts(
        await readKnownHostsFile(file),
        lab.ssh.host,
        lab.ssh.port,
        { acceptNew: true },
      );
      const result = await runOnce({ ...base, hostKey }, "true");
      await recordAcceptedHostKey(file, lab.ssh.host, lab.ssh.port, result, { hashed: true });
      return result.hostKeyStatus;
    };
    try {
      expect(await runWithFile()).toBe("accepted-new");
      expect(await runWithFile()).toBe("pinned");
      expect((await readKnownHostsFile(file)).trim().split("\n")).toHaveLength(1);
      await writeFile(
        file,
        lab.ssh.knownHostsLine.replace(
          /AAAA\S+/,
          "AAAAC3NzaC1lZDI1NTE5AAAAIER2i3c6s6rzzwlLMMb8iLkxxi3w66ZHDLVxxRR0GhOx",
        ) + "\n",
      );
      await expect(runWithFile()).rejects.toBeInstanceOf(HostKeyMismatchError);
      await writeFile(file, `${lab.ssh.knownHostsLine}\n`);
      expect(await runWithFile()).toBe("pinned");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("unreachable hosts", () => {
  it("reports a refused port as refused", async () => {
    const error: unknown = await runOnce(
      { ...pinnedTarget(lab, lab.logins.postgres), port: await findClosedPort() },
      "true",
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).toMatchObject({ code: "UNREACHABLE", reason: "refused" });
  });

  it("gives up on a server that accepts TCP but never speaks SSH", async () => {
    const silent = await startSilentServer();
    try {
      const error: unknown = await runOnce(
        { ...pinnedTarget(lab, lab.logins.postgres), port: silent.port },
        "true",
        {},
        { handshakeTimeoutMs: 500 },
      ).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "UNREACHABLE", reason: "handshake-timeout" });
    } finally {
      await silent.stop();
    }
  });
});
