import { describe, expect, it } from "vitest";
import { parseUnixListenQueue } from "./listen-queue.ts";

// Captured with `ss -xlnH` on the development machine while two lab hosts ran; the bench-explore
// postmaster was stopped (zombies scenario) after five unanswered pg_isready calls.
const CAPTURED = [
  "u_str LISTEN 2      104    /work/main/.lab/demo/instances/main/socket/.s.PGSQL.39235 21967 * 0          ",
  "u_str LISTEN 5      104    /work/main/.lab/bench-explore/instances/main/socket/.s.PGSQL.36217 20009            * 0          ",
  "",
].join("\n");

describe("parseUnixListenQueue", () => {
  it("reads the queued connections and the backlog of the socket asked for", () => {
    expect(
      parseUnixListenQueue(
        CAPTURED,
        "/work/main/.lab/bench-explore/instances/main/socket/.s.PGSQL.36217",
      ),
    ).toEqual({
      path: "/work/main/.lab/bench-explore/instances/main/socket/.s.PGSQL.36217",
      queued: 5,
      backlog: 104,
    });
  });

  it("matches the whole path, not a prefix of another socket's", () => {
    expect(
      parseUnixListenQueue(CAPTURED, "/work/main/.lab/demo/instances/main/socket/.s.PGSQL.3923"),
    ).toBeNull();
  });

  it("keeps paths with spaces whole", () => {
    const line = "u_str LISTEN 0      128    /var/tmp/lab one/.s.PGSQL.5432 31337 * 0\n";
    expect(parseUnixListenQueue(line, "/var/tmp/lab one/.s.PGSQL.5432")).toEqual({
      path: "/var/tmp/lab one/.s.PGSQL.5432",
      queued: 0,
      backlog: 128,
    });
  });

  it("returns null when nothing listens", () => {
    expect(parseUnixListenQueue("", "/tmp/.s.PGSQL.5432")).toBeNull();
  });
});
