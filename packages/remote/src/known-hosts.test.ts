import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  appendKnownHostsLine,
  createHostKeyPolicyFromKnownHosts,
  findKnownHostKeys,
  formatKnownHostName,
  formatKnownHostsLine,
  hashKnownHostName,
  matchesKnownHostField,
  parseKnownHosts,
  readKnownHostsFile,
  recordAcceptedHostKey,
} from "./known-hosts.ts";
import { describeHostKey } from "./host-key.ts";

const hostKey = "AAAAC3NzaC1lZDI1NTE5AAAAIIixpyQlhrJLoX0KRMbFww8ZxHs1+PrlUI+FST9gAHvc";
const hostFingerprint = "SHA256:KhXE4YWnQQlwNTLnx96OFmczMuGN8gY2EVvPvUg+nPU";
const otherKey = "AAAAC3NzaC1lZDI1NTE5AAAAIER2i3c6s6rzzwlLMMb8iLkxxi3w66ZHDLVxxRR0GhOx";
const otherFingerprint = "SHA256:gfBjRbjnohy8deMDdo0PPtDhx9IOtRr1l2nRfU+eHGM";

// Written by `ssh-keygen -H` (OpenSSH 9.2) from "[127.0.0.1]:2222 …" and "example.com …".
const hashedFile = [
  `|1|c42FGQpyqFiYLWkOHO9agv/xY3E=|8nfrBvZtwshofA/pnLIe+mHFbrc= ssh-ed25519 ${hostKey}`,
  `|1|1D2rtnS5MZtuXm/DG7aGLdrJFU4=|q1nsHh3O8cTZSmyrUTugjiITvbQ= ssh-ed25519 ${otherKey}`,
].join("\n");

describe("parseKnownHosts", () => {
  it("reads plain, bracketed and marked lines and skips comments and garbage", () => {
    const entries = parseKnownHosts(
      [
        "# comment",
        "",
        `db1.example.com,10.0.0.5 ssh-ed25519 ${hostKey} root@db1`,
        `[db2.example.com]:2222 ssh-ed25519 ${otherKey}`,
        `@revoked * ssh-ed25519 ${otherKey}`,
        "broken line",
        `host ssh-rsa ${hostKey}`, // type does not match the blob
      ].join("\n"),
    );
    expect(
      entries.map((entry) => [entry.line, entry.hosts, entry.marker, entry.fingerprint]),
    ).toEqual([
      [3, "db1.example.com,10.0.0.5", undefined, hostFingerprint],
      [4, "[db2.example.com]:2222", undefined, otherFingerprint],
      [5, "*", "revoked", otherFingerprint],
    ]);
  });
});

describe("matching hosts", () => {
  it("names hosts like OpenSSH", () => {
    expect(formatKnownHostName("DB1.example.com", 22)).toBe("db1.example.com");
    expect(formatKnownHostName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
    expect(formatKnownHostName("[::1]", 2222)).toBe("[::1]:2222");
    expect(formatKnownHostName("::1", 22)).toBe("::1");
  });

  it("matches hashed entries written by ssh-keygen -H", () => {
    const entries = parseKnownHosts(hashedFile);
    expect(findKnownHostKeys(entries, "127.0.0.1", 2222).map((entry) => entry.fingerprint)).toEqual(
      [hostFingerprint],
    );
    expect(findKnownHostKeys(entries, "example.com", 22).map((entry) => entry.fingerprint)).toEqual(
      [otherFingerprint],
    );
    expect(findKnownHostKeys(entries, "127.0.0.1", 22)).toEqual([]);
  });

  it("supports wildcards and negation", () => {
    expect(matchesKnownHostField("*.example.com,!bad.example.com", "db.example.com")).toBe(true);
    expect(matchesKnownHostField("*.example.com,!bad.example.com", "bad.example.com")).toBe(false);
    expect(matchesKnownHostField("db?.example.com", "db1.example.com")).toBe(true);
    expect(matchesKnownHostField("db.example.com", "dbxexample.com")).toBe(false);
    expect(matchesKnownHostField("[10.0.0.*]:2222", "[10.0.0.7]:2222")).toBe(true);
  });

  it("round-trips its own hashed names", () => {
    expect(matchesKnownHostField(hashKnownHostName("[10.1.2.3]:5432"), "[10.1.2.3]:5432")).toBe(
      true,
    );
    expect(matchesKnownHostField(hashKnownHostName("[10.1.2.3]:5432"), "[10.1.2.3]:5433")).toBe(
      false,
    );
  });

  it("ignores revoked and CA lines when looking for a host's keys", () => {
    const entries = parseKnownHosts(
      `@cert-authority * ssh-ed25519 ${otherKey}\n@revoked * ssh-ed25519 ${otherKey}`,
    );
    expect(findKnownHostKeys(entries, "db", 22)).toEqual([]);
  });
});

describe("createHostKeyPolicyFromKnownHosts", () => {
  it("pins every recorded key of the host, with its type", () => {
    expect(
      createHostKeyPolicyFromKnownHosts(hashedFile, "127.0.0.1", 2222, { acceptNew: true }),
    ).toEqual({
      pinned: [{ fingerprint: hostFingerprint, algorithm: "ssh-ed25519" }],
    });
  });

  it("accepts a new host only when asked", () => {
    expect(
      createHostKeyPolicyFromKnownHosts(hashedFile, "10.9.9.9", 22, { acceptNew: true }),
    ).toEqual({ acceptNew: true });
    expect(createHostKeyPolicyFromKnownHosts("", "10.9.9.9", 22, { acceptNew: false })).toEqual({
      acceptNew: false,
    });
  });
});

describe("known_hosts files", () => {
  let dir = "";
  afterEach(async () => {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it("formats lines that OpenSSH and this parser read back", () => {
    const key = describeHostKey(Buffer.from(hostKey, "base64"));
    expect(formatKnownHostsLine("127.0.0.1", 2222, key)).toBe(
      `[127.0.0.1]:2222 ssh-ed25519 ${hostKey}`,
    );
    const hashed = formatKnownHostsLine("db", 22, key, { hashed: true });
    expect(hashed).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    expect(findKnownHostKeys(parseKnownHosts(hashed), "db", 22)).toHaveLength(1);
  });

  it("treats a missing file as empty, appends on a new line, and records only newly accepted keys", async () => {
    dir = await mkdtemp(join(tmpdir(), "pgrescue-kh-"));
    const path = join(dir, "ssh", "known_hosts");
    expect(await readKnownHostsFile(path)).toBe("");
    const key = describeHostKey(Buffer.from(hostKey, "base64"));
    expect(
      await recordAcceptedHostKey(path, "10.0.0.1", 22, { hostKey: key, hostKeyStatus: "pinned" }),
    ).toBe(false);
    expect(
      await recordAcceptedHostKey(path, "10.0.0.1", 22, {
        hostKey: key,
        hostKeyStatus: "accepted-new",
      }),
    ).toBe(true);
    await writeFile(path, (await readFile(path, "utf8")) + "# no newline at end", "utf8");
    await appendKnownHostsLine(path, `other ssh-ed25519 ${otherKey}`);
    const text = await readFile(path, "utf8");
    expect(text.split("\n")).toEqual([
      `10.0.0.1 ssh-ed25519 ${hostKey}`,
      "# no newline at end",
      `other ssh-ed25519 ${otherKey}`,
      "",
    ]);
  });
});
