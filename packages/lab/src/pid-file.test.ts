// Unit tests for the lab's postmaster.pid and /proc/PID/stat readers, on real captured files.
import { describe, expect, it } from "vitest";
import { parseLabPidFile } from "./pid-file.ts";
import { parseStatStartTime } from "./run.ts";

describe("parseLabPidFile", () => {
  it("reads a PostgreSQL 15 pid file captured on a lab host", () => {
    const text =
      "84\n/work/main/.lab/smoke/instances/a15/data\n1795465891\n36073\n/work/main/.lab/smoke/instances/a15/socket\n127.0.0.1\n  5384658         6\nready   \n";
    expect(parseLabPidFile(text)).toEqual({
      pid: 84,
      dataDir: "/work/main/.lab/smoke/instances/a15/data",
      startTime: 1795465891,
      port: 36073,
      socketDir: "/work/main/.lab/smoke/instances/a15/socket",
      listenAddress: "127.0.0.1",
      shmKey: 5384658,
      shmId: 6,
      status: "ready",
    });
  });

  it("folds a sign-extended key (inode above 2^31) back to 32 bits", () => {
    const text = "7\n/d\n1\n5432\n\n\n18446744071562067968   32769\nready   \n";
    expect(parseLabPidFile(text)).toMatchObject({
      shmKey: 2147483648,
      shmId: 32769,
      socketDir: "",
      listenAddress: "",
    });
  });

  it("returns null for an empty or garbled file", () => {
    expect(parseLabPidFile("")).toBeNull();
    expect(parseLabPidFile("abc\n")).toBeNull();
  });
});

describe("parseStatStartTime", () => {
  it("counts fields from the last parenthesis, whatever the command name holds", () => {
    const stat =
      "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    expect(parseStatStartTime(stat)).toBe(987654);
  });
});
