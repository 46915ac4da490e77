import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { diagnose } from "./diagnose.ts";
import { classifyStateForDiff, diffSnapshots, type TSnapshotChange } from "./diff-snapshots.ts";
import type { TSnapshot } from "./snapshot-schema.ts";

function snapshotOf(name: string): TSnapshot {
  const fixture = loadFixture(name);
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

const summaries = (changes: TSnapshotChange[]) => changes.map((c) => c.summary);
const ofArea = (changes: TSnapshotChange[], area: TSnapshotChange["area"]) =>
  changes.filter((c) => c.area === area);

describe("diffSnapshots on real captures", () => {
  const healthy = snapshotOf("healthy.pg15");
  const zombies = snapshotOf("zombies.pg15");

  it("reports nothing between two diagnoses of the same state", () => {
    expect(diffSnapshots(healthy, snapshotOf("healthy.pg15"))).toEqual([]);
    expect(diffSnapshots(zombies, snapshotOf("zombies.pg15"))).toEqual([]);
  });

  it("healthy → zombies: verdict, rung, a stopped postmaster, zombies appeared, no answer", () => {
    const changes = diffSnapshots(healthy, zombies);
    expect(changes[0]).toMatchObject({
      area: "verdict",
      before: "healthy",
      after: "zombies-unreaped",
    });
    expect(changes[1]).toMatchObject({ area: "recommendation", before: "none", after: "rung 0" });
    expect(summaries(changes)).toContain("Postmaster running → stopped (T)");
    expect(
      ofArea(changes, "zombie")
        .filter((c) => c.kind === "appeared")
        .map((c) => c.subject),
    ).toEqual(zombies.zombies.map((z) => `PID ${String(z.pid)}`));
    expect(summaries(changes)).toContain("pg_isready: accepting → no-response");
    // The restart behind the break replaced every member: one line each way, not one per process.
    const fresh = zombies.members.filter((m) => !m.isPostmaster);
    expect(ofArea(changes, "member").map((c) => [c.kind, c.subject] as const)).toEqual([
      ["appeared", fresh.map((m) => `PID ${String(m.pid)}`).join(", ")],
      [
        "disappeared",
        healthy.members
          .filter((m) => !m.isPostmaster)
          .map((m) => `PID ${String(m.pid)}`)
          .join(", "),
      ],
    ]);
    expect(ofArea(changes, "member")[0]?.summary).toMatch(
      new RegExp(`^${String(fresh.length)} new processes: checkpointer \\d+`),
    );
    expect(ofArea(changes, "dsm").map((c) => c.summary)).toEqual([
      expect.stringMatching(
        /^2 new \/dev\/shm files: PostgreSQL\.\d+, PostgreSQL\.\d+ \(this instance's\)$/,
      ),
      expect.stringMatching(/^2 \/dev\/shm files gone: /),
    ]);
    const zombiePids = zombies.zombies.map((z) => z.pid);
    expect(zombiePids.length).toBeGreaterThan(0);
    // A zombie is not a member; it is not listed twice.
    expect(
      ofArea(changes, "member").some((c) =>
        zombiePids.some((pid) => c.subject === `PID ${String(pid)}`),
      ),
    ).toBe(false);
  });

  it("zombies → healthy: zombies reaped, postmaster running again, accepting", () => {
    const changes = diffSnapshots(zombies, healthy);
    expect(changes[0]).toMatchObject({ area: "verdict", after: "healthy" });
    expect(summaries(changes)).toContain("Postmaster stopped (T) → running");
    expect(ofArea(changes, "zombie").map((c) => [c.kind, c.summary] as const)).toEqual(
      zombies.zombies.map((z) => ["disappeared", `Zombie ${String(z.pid)} reaped`]),
    );
    expect(summaries(changes)).toContain("pg_isready: no-response → accepting");
  });

  it("orphan-attached → stale-pidfile: the orphan is gone, the segment replaced, the pid file points elsewhere", () => {
    const orphaned = snapshotOf("orphan-attached.pg15");
    const stale = snapshotOf("stale-pidfile.pg15");
    const orphans = orphaned.members.filter((m) => m.orphan);
    expect(orphans.length).toBeGreaterThan(0);
    const changes = diffSnapshots(orphaned, stale);
    expect(changes[0]).toMatchObject({
      area: "verdict",
      before: "orphans-attached",
      after: "stale-pidfile",
    });
    expect(changes[1]).toMatchObject({ before: "rung 3", after: "rung 4" });
    expect(
      ofArea(changes, "orphan")
        .filter((c) => c.kind === "disappeared")
        .map((c) => c.subject),
    ).toEqual(orphans.map((m) => `PID ${String(m.pid)}`));
    const shm = ofArea(changes, "shm");
    expect(shm.map((c) => c.kind).sort()).toEqual(["appeared", "disappeared"]);
    expect(ofArea(changes, "pidfile")).toContainEqual(
      expect.objectContaining({
        before: String(orphaned.pidFile.pid),
        after: String(stale.pidFile.pid),
      }),
    );
  });

  it("healthy → legacy-semaphores: postmaster absent and no longer genuine, semaphore sets appeared", () => {
    const legacy = snapshotOf("legacy-semaphores.pg15");
    const changes = diffSnapshots(healthy, legacy);
    expect(summaries(changes)).toContain("Postmaster running → absent");
    expect(summaries(changes)).toContain("Postmaster no longer verified genuine");
    expect(ofArea(changes, "sem").filter((c) => c.kind === "appeared")).toHaveLength(
      legacy.ipc.sem.length,
    );
    const back = diffSnapshots(legacy, healthy);
    expect(ofArea(back, "sem")).toEqual([
      expect.objectContaining({
        kind: "disappeared",
        summary: `${String(legacy.ipc.sem.length)} semaphore sets are gone`,
      }),
    ]);
  });

  it("healthy → stopped-clean: cluster state and pid file", () => {
    const stopped = snapshotOf("stopped-clean.pg15");
    const changes = diffSnapshots(healthy, stopped);
    expect(summaries(changes)).toContain(
      `Cluster state: ${String(healthy.controlData.clusterState)} → ${String(stopped.controlData.clusterState)}`,
    );
    expect(summaries(changes)).toContain("postmaster.pid: present → missing");
  });
});

describe("diffSnapshots on a snapshot changed in one place", () => {
  const zombies = snapshotOf("zombies.pg15");
  const backend = zombies.members.find((m) => !m.isPostmaster);
  if (backend === undefined) throw new Error("zombies.pg15 has no non-postmaster member");

  it("ignores R/S/D/I flips and wait channels", () => {
    const flipped = structuredClone(zombies);
    flipped.members = flipped.members.map((m) => ({ ...m, state: "D", wchan: "io_schedule" }));
    const changes = diffSnapshots(zombies, flipped);
    expect(changes.filter((c) => c.kind === "changed")).toEqual([]);
  });

  it("reports a process still in D as stuck, and T/Z as state changes", () => {
    const inD = structuredClone(zombies);
    inD.members = inD.members.map((m) => (m.pid === backend.pid ? { ...m, state: "D" } : m));
    const stillD = structuredClone(inD);
    expect(diffSnapshots(inD, stillD)).toEqual([
      expect.objectContaining({
        area: "member",
        kind: "unchanged-stuck",
        subject: `PID ${String(backend.pid)}`,
      }),
    ]);
    const stopped = structuredClone(zombies);
    stopped.members = stopped.members.map((m) =>
      m.pid === backend.pid ? { ...m, state: "T" } : m,
    );
    expect(diffSnapshots(zombies, stopped)).toEqual([
      expect.objectContaining({ area: "member", before: "running", after: "stopped (T)" }),
    ]);
  });

  it("treats a reused PID (other start ticks) as one process gone and another appeared", () => {
    const reused = structuredClone(zombies);
    reused.members = reused.members.map((m) =>
      m.pid === backend.pid ? { ...m, startTicks: m.startTicks + 100 } : m,
    );
    expect(diffSnapshots(zombies, reused).map((c) => [c.area, c.kind, c.subject])).toEqual([
      ["member", "appeared", `PID ${String(backend.pid)}`],
      ["member", "disappeared", `PID ${String(backend.pid)}`],
    ]);
  });

  it("reports nattch and ownership of a segment", () => {
    const detached = structuredClone(zombies);
    detached.ipc.shm = detached.ipc.shm.map((s) => ({ ...s, nattch: s.nattch - 1 }));
    const [first] = zombies.ipc.shm;
    if (first === undefined) throw new Error("zombies.pg15 has no segment");
    expect(diffSnapshots(zombies, detached)).toEqual([
      expect.objectContaining({
        area: "shm",
        before: `nattch ${String(first.nattch)}`,
        after: `nattch ${String(first.nattch - 1)}`,
      }),
    ]);
  });

  it("groups R, S, I and D; keeps T, t, Z and absent apart", () => {
    expect(["R", "S", "I", "D"].map(classifyStateForDiff)).toEqual([
      "running",
      "running",
      "running",
      "running",
    ]);
    expect(["T", "t", "Z", "absent"].map(classifyStateForDiff)).toEqual(["T", "t", "Z", "absent"]);
  });
});
