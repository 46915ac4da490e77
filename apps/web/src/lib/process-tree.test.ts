import { describe, expect, it } from "vitest";
import {
  buildProcessTree,
  flattenTree,
  pidOf,
  stateAttention,
  type TTreeMember,
} from "./process-tree.ts";

function member(pid: number, ppid: number, extra: Partial<TTreeMember> = {}): TTreeMember {
  return {
    pid,
    ppid,
    state: "S",
    wchan: null,
    role: "client backend",
    title: "postgres: x",
    isPostmaster: false,
    orphan: false,
    attachedShm: true,
    because: [],
    ...extra,
  };
}

describe("buildProcessTree", () => {
  it("puts children and zombies under the stopped postmaster (the runbook's case)", () => {
    const tree = buildProcessTree(
      [
        member(222, 1, { isPostmaster: true, state: "T", role: "postmaster" }),
        member(245, 222),
        member(223, 222),
      ],
      [
        { pid: 244, ppid: 222, comm: "postgres", parentIsPostmaster: true },
        { pid: 242, ppid: 222, comm: "postgres", parentIsPostmaster: true },
      ],
    );
    expect(
      tree.postmaster === null
        ? []
        : flattenTree([tree.postmaster]).map(({ node, depth }) => [pidOf(node), depth, node.kind]),
    ).toEqual([
      [222, 0, "member"],
      [223, 1, "member"],
      [242, 1, "zombie"],
      [244, 1, "zombie"],
      [245, 1, "member"],
    ]);
    expect(tree.orphans).toEqual([]);
    expect(tree.strayZombies).toEqual([]);
  });

  it("lists orphans (no live postmaster) with their own children, and zombies of unknown parents", () => {
    const tree = buildProcessTree(
      [member(300, 1, { orphan: true, state: "T" }), member(301, 300, { orphan: true })],
      [{ pid: 9, ppid: 1, comm: "postgres", parentIsPostmaster: false }],
    );
    expect(tree.postmaster).toBeNull();
    expect(flattenTree(tree.orphans).map(({ node, depth }) => [pidOf(node), depth])).toEqual([
      [300, 0],
      [301, 1],
    ]);
    expect(tree.strayZombies.map(pidOf)).toEqual([9]);
  });

  it("flags the states a DBA must notice", () => {
    expect(["Z", "D", "T", "t", "S", "R"].map(stateAttention)).toEqual([
      "zombie",
      "uninterruptible",
      "stopped",
      "stopped",
      null,
      null,
    ]);
  });
});
