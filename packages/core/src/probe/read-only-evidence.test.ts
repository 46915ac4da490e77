import { describe, expect, it } from "vitest";
import { PROBE_FIXTURES } from "../__fixtures__/probe-fixtures.ts";
import { diagnose } from "../diagnosis/diagnose.ts";

// Every capture recorded the host's state before and after the probe. The only change allowed is
// the server's reaction to pg_isready's connection on a running instance: the forked backend
// attaches and detaches the segment, which moves its lpid (and atime/dtime).
describe("host state before/after each real capture", () => {
  const fixtures = [...PROBE_FIXTURES.values()];

  it("has metadata for every fixture, named after it", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    for (const f of fixtures) expect(f.meta.fixture).toBe(`${f.name}.txt`);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))(
    "%s: nothing changed but the segment's lpid",
    (_name, f) => {
      const diff = f.meta.hostDiffAfterProbe;
      if (diff.length === 0) return;
      const accepted =
        diagnose(f.text, { pgdata: f.meta.pgdata }).connectivity.pgIsReady.meaning === "accepting";
      expect(accepted, "a diff without a pg_isready connection").toBe(true);
      if (f.meta.scenario !== null) {
        for (const line of diff)
          expect(line).toMatch(/^shared memory segment \d+: lpid \d+ → \d+$/);
        return;
      }
      // The harness diffed raw text: one /proc/sysvipc/shm row, changed only in lpid, atime and dtime.
      const before = diff
        .filter((l) => l.startsWith("< "))
        .map((l) => l.slice(2).trim().split(/\s+/));
      const after = diff
        .filter((l) => l.startsWith("> "))
        .map((l) => l.slice(2).trim().split(/\s+/));
      expect(before).toHaveLength(1);
      expect(after).toHaveLength(1);
      const [b, a] = [before[0] ?? [], after[0] ?? []];
      const changed = b.map((cell, i) => (cell === a[i] ? null : i)).filter((i) => i !== null);
      // Columns: key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap
      expect(changed.every((i) => i === 5 || i === 11 || i === 12)).toBe(true);
    },
  );

  it("ran fast: under 400 ms, or about 3 s when pg_isready got no answer", () => {
    for (const f of fixtures) {
      const meaning = diagnose(f.text, { pgdata: f.meta.pgdata }).connectivity.pgIsReady.meaning;
      const limit = meaning === "no-response" ? 3600 : 400;
      expect(f.meta.runtimeMs, f.name).toBeLessThan(limit);
    }
  });
});
