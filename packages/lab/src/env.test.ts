import { describe, expect, it } from "vitest";
import { isUsableLabLocation } from "./env.ts";

describe("isUsableLabLocation", () => {
  it("refuses what a lab host hides behind a private mount", () => {
    for (const dir of [
      "/tmp/repo/.lab",
      "/run/x/.lab",
      "/dev/shm/.lab",
      "/var/log/pgrescue/.lab",
    ]) {
      expect(isUsableLabLocation(dir), dir).toBe(false);
    }
  });

  it("refuses a place below a world-writable directory, where sshd's StrictModes refuses keys", () => {
    expect(isUsableLabLocation("/var/tmp/pgrescue/.lab")).toBe(false);
  });

  it("accepts an ordinary root-owned path", () => {
    expect(isUsableLabLocation("/var/lib/pgrescue-lab/abc")).toBe(true);
  });
});
