import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { diagnose } from "./diagnose.ts";
import {
  canonicalJson,
  canonicalMaterialFacts,
  classifyStateForPlan,
  materialFacts,
} from "./material-facts.ts";
import type { TSnapshot } from "./snapshot-schema.ts";

function snapshotOf(name: string): TSnapshot {
  const fixture = loadFixture(name);
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

describe("materialFacts", () => {
  const zombies = snapshotOf("zombies.pg15");

  it("holds the identities an approval depends on", () => {
    const facts = materialFacts(zombies);
    expect(facts.verdict).toBe("zombies-unreaped");
    expect(facts.postmaster).toEqual({
      pid: zombies.postmaster.pid,
      startTicks: zombies.postmaster.startTicks,
      state: "T",
      genuine: true,
    });
    expect(facts.members.map((m) => m.pid)).toEqual(zombies.members.map((m) => m.pid));
    expect(facts.members.every((m) => m.startTicks > 0)).toBe(true);
    expect(facts.zombies.map((z) => z.pid)).toEqual(zombies.zombies.map((z) => z.pid));
    expect(facts.shm.filter((s) => s.ours)).toHaveLength(1);
    expect(facts.pidFile.content).toEqual(zombies.pidFile.raw);
  });

  it("is identical for two diagnoses of the same state", () => {
    const again = snapshotOf("zombies.pg15");
    expect(canonicalMaterialFacts(again)).toBe(canonicalMaterialFacts(zombies));
  });

  it("ignores volatile detail: log tail, wait channels, lpid, a backend flipping between S and R", () => {
    const changed: TSnapshot = structuredClone(zombies);
    changed.log.tail = ["something new"];
    changed.members = changed.members.map((m) => ({
      ...m,
      wchan: "other",
      state: m.state === "S" ? "R" : m.state,
    }));
    changed.ipc.shm = changed.ipc.shm.map((s) => ({ ...s, lpid: s.lpid + 1 }));
    expect(canonicalMaterialFacts(changed)).toBe(canonicalMaterialFacts(zombies));
  });

  it("changes when a process identity, a plan-relevant state or an IPC object changes", () => {
    const resumed: TSnapshot = structuredClone(zombies);
    resumed.postmaster.state = "S";
    expect(canonicalMaterialFacts(resumed)).not.toBe(canonicalMaterialFacts(zombies));

    const reused: TSnapshot = structuredClone(zombies);
    const first = reused.members[1];
    if (first) first.startTicks += 1;
    expect(canonicalMaterialFacts(reused)).not.toBe(canonicalMaterialFacts(zombies));

    const detached: TSnapshot = structuredClone(zombies);
    detached.ipc.shm = detached.ipc.shm.map((s) => ({ ...s, nattch: s.nattch - 1 }));
    expect(canonicalMaterialFacts(detached)).not.toBe(canonicalMaterialFacts(zombies));
  });

  it("differs between scenarios of the same instance", () => {
    expect(canonicalMaterialFacts(snapshotOf("healthy.pg15"))).not.toBe(
      canonicalMaterialFacts(snapshotOf("stopped-clean.pg15")),
    );
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("maps non-finite numbers to null", () => {
    expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, 1])).toBe("[null,null,1]");
  });

  it("groups R, S and I, keeps Z, T, t and D apart", () => {
    expect(["R", "S", "I"].map(classifyStateForPlan)).toEqual(["running", "running", "running"]);
    expect(["Z", "T", "t", "D", "absent"].map(classifyStateForPlan)).toEqual([
      "Z",
      "T",
      "t",
      "D",
      "absent",
    ]);
  });
});
