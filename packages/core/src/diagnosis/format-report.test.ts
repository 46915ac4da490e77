import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { diagnose } from "./diagnose.ts";
import { describeRung, formatSnapshotReport } from "./format-report.ts";

function reportOf(name: string): string {
  const fixture = loadFixture(name);
  return formatSnapshotReport(diagnose(fixture.text, { pgdata: fixture.meta.pgdata }));
}

describe("formatSnapshotReport", () => {
  it("leads with the verdict and recommended rung of the runbook's zombie case", () => {
    const report = reportOf("zombies.pg15");
    const fixture = loadFixture("zombies.pg15");
    const lines = report.split("\n");
    expect(lines[0]).toMatch(/^Verdict: (postmaster-stopped|zombies-unreaped) — /);
    expect(report).toContain("Zombies (");
    for (const pid of fixture.meta.scenario?.zombiePids ?? []) {
      expect(report).toMatch(new RegExp(`^\\s+${String(pid)} parent `, "m"));
    }
    expect(report).toMatch(/^Recommended rung: \d \(/m);
  });

  it("marks orphans and the attached segment as ours", () => {
    const report = reportOf("orphan-attached.pg18");
    expect(report).toContain("ORPHAN");
    expect(report).toMatch(/shmid \d+ uid \d+ nattch [1-9]\d* attached [\d,]+ — OURS/);
  });

  it("shows other owners' semaphore sets as not ours", () => {
    const report = reportOf("legacy-semaphores.pg15");
    expect(report).toMatch(/semid \d+ .* — OURS/);
    expect(report).toMatch(/semid \d+ .* — not ours/);
  });

  it("reports a healthy instance without zombies", () => {
    const report = reportOf("healthy.pg15");
    expect(report.startsWith("Verdict: healthy")).toBe(true);
    expect(report).not.toContain("Zombies (");
    expect(report).toContain("pg_isready: accepting");
  });

  it("names rungs", () => {
    expect(describeRung(3)).toBe("3 (kill + IPC cleanup)");
    expect(describeRung(null)).toBe("none");
  });
});
