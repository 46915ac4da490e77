// instances.history and instances.changes through createCaller (real store, a real lab host over sshd): two diagnoses around a break, read back and compared.
import { diffSnapshots } from "@pgrescue/core";
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];

let lab: TLabHost;
let server: TTestServer;
let operator: TCaller;
let viewer: TCaller;
let instanceId = "";
let pg: TLabInstance;

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-history" });
  server = await startTestServer();
  const admin = (await server.callerAs("ADMIN")).caller;
  operator = (await server.callerAs("OPERATOR")).caller;
  viewer = (await server.callerAs("VIEWER")).caller;
  await admin.hosts.add({
    name: "lab",
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
  pg = await lab.createInstance({ name: "main", major: 15 });
  const added = await admin.instances.add({
    host: "lab",
    pgdata: pg.pgdata,
    pgBin: pg.binDir,
    logFile: pg.logFile,
    name: "main",
  });
  instanceId = added.id;
}, 180_000);

afterAll(async () => {
  await server.close();
  await lab.stop();
});

describe("instances.history", () => {
  it("is empty before the first diagnosis", async () => {
    expect(await viewer.instances.history({ instanceId })).toEqual([]);
  });

  it("lists the diagnoses newest first, and the previous one shows what the break changed", async () => {
    const before = await operator.instances.diagnose({ instanceId });
    expect(before.snapshot.verdict.code).toBe("healthy");
    await lab.breakInstance(pg, "zombies");
    const after = await operator.instances.diagnose({ instanceId });
    expect(after.snapshot.verdict.code).toBe("zombies-unreaped");

    const history = await viewer.instances.history({ instanceId, limit: 5 });
    expect(history.map((h) => [h.id, h.verdict, h.recommendedRung])).toEqual([
      [after.snapshotId, "zombies-unreaped", 0],
      [before.snapshotId, "healthy", null],
    ]);
    expect(await viewer.instances.history({ instanceId, limit: 1 })).toHaveLength(1);

    const [, previous] = history;
    if (previous === undefined) throw new Error("no previous diagnosis");
    const stored = await viewer.instances.snapshot({ snapshotId: previous.id });
    const changes = diffSnapshots(stored.snapshot, after.snapshot);
    expect(changes[0]).toMatchObject({
      area: "verdict",
      before: "healthy",
      after: "zombies-unreaped",
    });
    expect(changes.map((c) => c.summary)).toContain("Postmaster running → stopped (T)");
    expect(changes.filter((c) => c.area === "zombie" && c.kind === "appeared")).toHaveLength(
      after.snapshot.zombies.length,
    );
    // The same comparison, done by the server for the instance page.
    const served = await viewer.instances.changes({ snapshotId: after.snapshotId });
    expect(served.previous).toMatchObject({ snapshotId: before.snapshotId, verdict: "healthy" });
    expect(served.changes).toEqual(changes);
    expect(await viewer.instances.changes({ snapshotId: before.snapshotId })).toEqual({
      previous: null,
      changes: [],
    });
    // Leave the host as found: SIGCONT lets the postmaster reap its zombies.
    await lab.breakInstance(pg, "healthy");
  });

  it("refuses an unknown instance and anonymous callers", async () => {
    await expect(viewer.instances.history({ instanceId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const anonymous = (await server.callerAs(null)).caller;
    await expect(anonymous.instances.history({ instanceId })).rejects.toBeInstanceOf(TRPCError);
  });
});
