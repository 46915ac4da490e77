import { describe, expect, it } from "vitest";
import { InvalidTargetError } from "./errors.ts";
import {
  validateCommand,
  validateFingerprint,
  validateHost,
  validatePort,
  validateTarget,
  validateUserName,
} from "./validate.ts";
import type { TSshTarget } from "./types.ts";

describe("validateHost", () => {
  it.each([
    ["db1", "name"],
    ["db-1.prod.example.com", "name"],
    ["xn--bcher-kva.example", "name"],
    ["10.0.0.5", "ipv4"],
    ["127.0.0.1", "ipv4"],
    ["::1", "ipv6"],
    ["[::1]", "ipv6"],
    ["fe80::1%eth0", "ipv6"],
    ["[2001:db8::7]", "ipv6"],
  ])("accepts %s as %s", (host, kind) => {
    expect(validateHost(host).kind).toBe(kind);
  });

  it("connects to IPv6 addresses without brackets", () => {
    expect(validateHost("[::1]").address).toBe("::1");
  });

  it.each([
    "",
    "-oProxyCommand=sh",
    "db1;rm -rf /",
    "db1 db2",
    "db1\0",
    "$(id)",
    "`id`",
    "db_1.example.com",
    "db1.",
    "a..b",
    "-db1",
    "db1-",
    "256.1.1.1",
    "1.2.3",
    "[10.0.0.1]",
    "[::1",
    "::g",
    "fe80::1%eth0;id",
    "a".repeat(64) + ".example.com",
    `${"a.".repeat(127)}com`,
  ])("refuses %j", (host) => {
    expect(() => validateHost(host)).toThrow(InvalidTargetError);
  });
});

describe("validatePort", () => {
  it("accepts 1–65535 and refuses the rest", () => {
    expect(validatePort(1)).toBe(1);
    expect(validatePort(65535)).toBe(65535);
    for (const port of [0, -1, 65536, 22.5, Number.NaN])
      expect(() => validatePort(port)).toThrow(/Invalid port/);
  });
});

describe("validateUserName", () => {
  it("accepts portable user names", () => {
    for (const name of ["postgres", "admin", "_pg", "pg.admin", "svc-db1", "Postgres"])
      expect(validateUserName("username", name)).toBe(name);
  });

  it("refuses shell metacharacters, whitespace, NUL, a leading '-' and overlong names", () => {
    for (const name of [
      "",
      "-u",
      "1pg",
      "pg user",
      "pg;id",
      "pg$",
      "pg\0",
      "pg'",
      "a".repeat(33),
      "pg\n",
    ]) {
      expect(() => validateUserName("become", name)).toThrow(/Invalid become/);
    }
  });
});

describe("validateFingerprint", () => {
  it("wants the OpenSSH SHA256 form", () => {
    expect(validateFingerprint("SHA256:KhXE4YWnQQlwNTLnx96OFmczMuGN8gY2EVvPvUg+nPU")).toMatch(
      /^SHA256:/,
    );
    expect(() => validateFingerprint("KhXE4YWnQQlwNTLnx96OFmczMuGN8gY2EVvPvUg+nPU")).toThrow(
      InvalidTargetError,
    );
    expect(() =>
      validateFingerprint("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"),
    ).toThrow(InvalidTargetError);
  });
});

describe("validateCommand", () => {
  it("refuses empty commands and NUL bytes", () => {
    expect(() => validateCommand("  ")).toThrow(InvalidTargetError);
    expect(() => validateCommand("echo a\0b")).toThrow(InvalidTargetError);
  });
});

describe("validateTarget", () => {
  const target: TSshTarget = {
    host: "db1",
    port: 22,
    username: "postgres",
    auth: { kind: "agent" },
    hostKey: { acceptNew: true },
  };

  it("accepts a sound target", () => {
    expect(validateTarget(target)).toEqual({ address: "db1", kind: "name" });
  });

  it("checks become, pins and credentials too", () => {
    expect(() => validateTarget({ ...target, become: "root;id" })).toThrow(/Invalid become/);
    expect(() => validateTarget({ ...target, hostKey: { pinned: [] } })).toThrow(/hostKey.pinned/);
    expect(() =>
      validateTarget({ ...target, hostKey: { pinned: { fingerprint: "nope" } } }),
    ).toThrow(/hostKey.pinned/);
    expect(() => validateTarget({ ...target, auth: { kind: "password", password: "" } })).toThrow(
      /auth.password/,
    );
    expect(() =>
      validateTarget({ ...target, auth: { kind: "password", password: "secret\0; id" } }),
    ).toThrow(/auth.password: it contains a NUL character/);
  });

  it("gives errors a stable code", () => {
    try {
      validateTarget({ ...target, port: 0 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTargetError);
      expect((error as InvalidTargetError).code).toBe("INVALID_TARGET");
    }
  });
});
