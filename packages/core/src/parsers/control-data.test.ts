import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput } from "../probe/probe-output.ts";
import { isCleanShutdownState, parseControlData, parsePgControlHead } from "./control-data.ts";

function sectionContent(fixture: string, name: string): string[] {
  return findSection(parseProbeOutput(loadFixture(fixture).text), name)?.content ?? [];
}

describe("parseControlData", () => {
  it("reads real pg_controldata 15 output of a running cluster", () => {
    const parsed = parseControlData(sectionContent("zombies.pg15", "controldata"));
    expect(parsed.errors).toEqual([]);
    expect(parsed).toMatchObject({
      clusterState: "in production",
      pgControlVersion: 1300,
      catalogVersion: 202209061,
      timeline: 1,
    });
    expect(parsed.latestCheckpointLocation).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(parsed.fields["wal_level setting"]).toBe("replica");
  });

  it("reads the clean shutdown state", () => {
    expect(parseControlData(sectionContent("stopped-clean.pg15", "controldata")).clusterState).toBe(
      "shut down",
    );
  });

  it("is English although the probe ran in a German environment", () => {
    expect(
      parseControlData(sectionContent("zombies-locale-de.pg15", "controldata")).clusterState,
    ).toBe("in production");
  });

  it("never carries the mock authentication nonce", () => {
    expect(sectionContent("zombies.pg15", "controldata").some((l) => l.includes("nonce"))).toBe(
      false,
    );
  });

  it("reports an error line instead of a state", () => {
    const parsed = parseControlData([
      'pg_controldata: error: could not open file "/x/global/pg_control" for reading: Permission denied',
    ]);
    expect(parsed.clusterState).toBeNull();
    expect(parsed.errors).toEqual([
      `no 'Database cluster state' line: pg_controldata: error: could not open file "/x/global/pg_control" for reading: Permission denied`,
    ]);
  });
});

describe("parsePgControlHead", () => {
  it("decodes the state of a PostgreSQL 18 cluster, for which no pg_controldata is installed", () => {
    const head = parsePgControlHead(sectionContent("zombies.pg18", "pg_control"));
    expect(head).toMatchObject({
      pgControlVersion: 1800,
      clusterState: "in production",
      stateCode: 6,
    });
  });

  it("agrees with pg_controldata on PostgreSQL 15", () => {
    for (const fixture of ["zombies.pg15", "stopped-clean.pg15", "stale-pidfile.pg15"]) {
      const head = parsePgControlHead(sectionContent(fixture, "pg_control"));
      const full = parseControlData(sectionContent(fixture, "controldata"));
      expect(head?.clusterState, fixture).toBe(full.clusterState);
      expect(head?.pgControlVersion).toBe(full.pgControlVersion);
      expect(head?.catalogVersion).toBe(full.catalogVersion);
    }
  });

  it("refuses what is not a pg_control head", () => {
    expect(parsePgControlHead([])).toBeNull();
    expect(parsePgControlHead(["od: /x: Permission denied"])).toBeNull();
    expect(parsePgControlHead(["1 2 3 4 5 6 7 8"])).toBeNull();
  });

  it("knows which states are clean", () => {
    expect(isCleanShutdownState("shut down")).toBe(true);
    expect(isCleanShutdownState("shut down in recovery")).toBe(true);
    expect(isCleanShutdownState("in production")).toBe(false);
    expect(isCleanShutdownState(null)).toBe(false);
  });
});
