import { describe, expect, it } from "vitest";
import { formatSshTarget, parseSshTarget } from "./ssh-target.ts";

describe("parseSshTarget", () => {
  it("reads user@host[:port], IPv6 in brackets, and defaults to port 22", () => {
    expect(parseSshTarget("postgres@127.0.0.1:2222")).toEqual({
      ok: true,
      value: { sshUser: "postgres", address: "127.0.0.1", port: 2222 },
    });
    expect(parseSshTarget(" postgres@db1 ")).toEqual({
      ok: true,
      value: { sshUser: "postgres", address: "db1", port: 22 },
    });
    expect(parseSshTarget("pg@[::1]:22022")).toEqual({
      ok: true,
      value: { sshUser: "pg", address: "::1", port: 22022 },
    });
    expect(parseSshTarget("pg@fe80::1")).toEqual({
      ok: true,
      value: { sshUser: "pg", address: "fe80::1", port: 22 },
    });
  });
  it("says what is wrong", () => {
    expect(parseSshTarget("db1:22")).toMatchObject({ ok: false, error: /user@host/ });
    expect(parseSshTarget("pg@db1:ssh")).toMatchObject({ ok: false, error: /not a number/ });
    expect(parseSshTarget("pg@db1:70000")).toMatchObject({
      ok: false,
      error: /between 1 and 65535/,
    });
    expect(parseSshTarget("pg@")).toMatchObject({ ok: false, error: /host is missing/ });
  });
});

describe("formatSshTarget", () => {
  it("writes what parseSshTarget reads back, IPv6 in brackets", () => {
    for (const value of [
      { sshUser: "postgres", address: "127.0.0.1", port: 2222 },
      { sshUser: "pg", address: "::1", port: 22022 },
      { sshUser: "pg", address: "db1.example.com", port: 22 },
    ]) {
      expect(parseSshTarget(formatSshTarget(value))).toEqual({ ok: true, value });
    }
    expect(formatSshTarget({ sshUser: "pg", address: "fe80::1", port: 22 })).toBe(
      "pg@[fe80::1]:22",
    );
  });
});
