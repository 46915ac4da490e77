import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput } from "../probe/probe-output.ts";
import { formatShmKeyHex, normalizeShmKey, parsePidFile } from "./pid-file.ts";

function pidFileLines(fixture: string): string[] {
  const section = findSection(parseProbeOutput(loadFixture(fixture).text), "pidfile");
  if (!section) throw new Error("no pidfile section");
  return section.content;
}

describe("normalizeShmKey", () => {
  it("keeps small keys", () => {
    expect(normalizeShmKey("2146532")).toBe(2146532);
    expect(normalizeShmKey("   5433001")).toBe(5433001);
  });

  it("folds the sign-extended 20-digit key of an inode ≥ 2^31 (PostgreSQL ≥ 13) modulo 2^32", () => {
    // Real line 7 of a PostgreSQL 15 data directory on XFS with inode 2147614848 (healthy-bigkey.pg15).
    expect(normalizeShmKey("18446744071562199168")).toBe(2147614848);
    expect(formatShmKeyHex(2147614848)).toBe("0x80020080");
  });

  it("reads /proc/sysvipc's signed %d the same way", () => {
    expect(normalizeShmKey("-2147352448")).toBe(2147614848);
    expect(normalizeShmKey("-1")).toBe(0xffff_ffff);
  });

  it("refuses what is not a key", () => {
    expect(normalizeShmKey("0x1f")).toBeNull();
    expect(normalizeShmKey("18446744073709551616")).toBeNull();
    expect(normalizeShmKey("")).toBeNull();
  });
});

describe("parsePidFile on real files", () => {
  it("reads all eight lines of a running PostgreSQL 15", () => {
    const parsed = parsePidFile(pidFileLines("healthy.pg15"));
    expect(parsed.errors).toEqual([]);
    expect(parsed.lineCount).toBe(8);
    expect(parsed.pid).toBe(loadFixture("healthy.pg15").meta.scenario?.postmasterPid);
    expect(parsed.dataDir).toBe(loadFixture("healthy.pg15").meta.pgdata);
    expect(parsed.status).toBe("ready");
    expect(parsed.listenAddress).toBe("127.0.0.1");
    expect(parsed.shmId).toBe(loadFixture("healthy.pg15").meta.scenario?.shm?.shmid);
    expect(parsed.shmKey).toBe(loadFixture("healthy.pg15").meta.scenario?.shm?.key);
  });

  it("reads PostgreSQL 18's file the same way", () => {
    const parsed = parsePidFile(pidFileLines("zombies.pg18"));
    expect(parsed.errors).toEqual([]);
    expect(parsed.pid).toBe(loadFixture("zombies.pg18").meta.scenario?.postmasterPid);
    expect(parsed.status).toBe("ready");
  });

  it("reads the real 20-digit key line", () => {
    const lines = pidFileLines("healthy-bigkey.pg15");
    expect(lines[6]).toBe("18446744071562199168         0");
    const parsed = parsePidFile(lines);
    expect(parsed.shmKeyRaw).toBe("18446744071562199168");
    expect(parsed.shmKey).toBe(2147614848);
    expect(parsed.shmId).toBe(0);
  });

  it("reports a real empty pid file as an error, not a crash", () => {
    expect(pidFileLines("pidfile-empty.pg15")).toEqual([]);
    expect(parsePidFile([]).errors).toEqual(["postmaster.pid is empty"]);
  });

  it("reports every unusable line of a real garbage file", () => {
    const parsed = parsePidFile(pidFileLines("pidfile-garbage.pg15"));
    expect(parsed.pid).toBeNull();
    expect(parsed.errors).toEqual([
      expect.stringContaining("line 1 is not a PID"),
      'line 3 is not a start time: "xyz"',
    ]);
    expect(parsed.dataDir).toBe("/not/a/datadir");
  });
});

describe("parsePidFile edge cases", () => {
  const base = [
    "4242",
    "/var/lib/postgresql/15/main",
    "1700000000",
    "5432",
    "/var/run/postgresql",
    "*",
  ];

  it("handles PostgreSQL 9.x files without the status line", () => {
    const parsed = parsePidFile([...base, "  5432001    163840"]);
    expect(parsed.status).toBeNull();
    expect(parsed.shmKey).toBe(5432001);
    expect(parsed.shmId).toBe(163840);
    expect(parsed.errors).toEqual([]);
  });

  it("handles a file still being written at start-up (fewer lines)", () => {
    const parsed = parsePidFile(base.slice(0, 3));
    expect(parsed).toMatchObject({
      pid: 4242,
      startTime: 1700000000,
      port: null,
      shmKey: null,
      errors: [],
    });
  });

  it("reads each padded status", () => {
    for (const status of ["starting", "stopping", "ready   ", "standby "]) {
      expect(parsePidFile([...base, "        0    32768", status]).status).toBe(status.trim());
    }
    expect(parsePidFile([...base, "        0    32768", "weird"]).errors).toEqual([
      'line 8 is not a known status: "weird"',
    ]);
  });

  it("recognises a standalone backend's negated PID", () => {
    expect(parsePidFile(["-4242", ...base.slice(1)])).toMatchObject({
      pid: 4242,
      singleUser: true,
    });
  });

  it("keeps an empty socket directory and listen address as null", () => {
    const parsed = parsePidFile([
      "4242",
      "/d",
      "1700000000",
      "5432",
      "",
      "",
      "        0    32768",
      "ready   ",
    ]);
    expect(parsed.socketDir).toBeNull();
    expect(parsed.listenAddress).toBeNull();
  });

  it("rejects PIDs out of range and malformed key lines", () => {
    expect(parsePidFile(["0"]).pid).toBeNull();
    expect(parsePidFile(["99999999999"]).pid).toBeNull();
    expect(parsePidFile([...base, "garbage"]).errors).toEqual([
      'line 7 is not "key shmid": "garbage"',
    ]);
    expect(parsePidFile(["4242", "relative/dir"]).errors).toEqual([
      'line 2 is not an absolute data directory: "relative/dir"',
    ]);
  });
});
