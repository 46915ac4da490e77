// hosts.* against a real lab host (real sshd) and a real store: the connection test shows the key the host presents,
// a wrong expected key is refused and stores nothing, and a key that changes later blocks all work on the host.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];

let lab: TLabHost;
let pg: TLabInstance;
let server: TTestServer;
let admin: TCaller;
let operator: TCaller;
let viewer: TCaller;

/** A valid fingerprint of a key the lab host does not have: a fresh ed25519 key from ssh-keygen. */
function freshFingerprint(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "pgrescue-hostkey-"));
  try {
    const keyFile = path.join(dir, "key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
    const printed = execFileSync("ssh-keygen", ["-lf", `${keyFile}.pub`], { encoding: "utf8" });
    const fingerprint = printed.split(" ")[1];
    if (fingerprint?.startsWith("SHA256:") !== true) throw new Error(`ssh-keygen -lf: ${printed}`);
    return fingerprint;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const connection = () => ({
  address: lab.ssh.host,
  port: lab.ssh.port,
  sshUser: "postgres",
  auth: { kind: "key" as const, privateKey: lab.logins.postgres.privateKey },
});

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-hosts" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  server = await startTestServer();
  admin = (await server.callerAs("ADMIN")).caller;
  operator = (await server.callerAs("OPERATOR")).caller;
  viewer = (await server.callerAs("VIEWER")).caller;
}, 180_000);

afterAll(async () => {
  await server.close();
  await lab.stop();
});

describe("hosts.testConnection", () => {
  it("returns the key the lab host presents, as ssh-keygen -lf prints it", async () => {
    const presented = await admin.hosts.testConnection(connection());
    expect(presented).toEqual({
      algorithm: "ssh-ed25519",
      fingerprint: lab.ssh.hostKeyFingerprint,
    });
  });

  it("shows the key even with a login the host would refuse: nothing is sent before the key is accepted", async () => {
    const presented = await admin.hosts.testConnection({
      ...connection(),
      auth: { kind: "key", privateKey: lab.logins.admin.privateKey },
    });
    expect(presented.fingerprint).toBe(lab.ssh.hostKeyFingerprint);
  });

  it("is for admins only", async () => {
    const error = await refusal(viewer.hosts.testConnection(connection()));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("says why when nothing listens on the port", async () => {
    const error = await refusal(admin.hosts.testConnection({ ...connection(), port: 1 }));
    expect(error.code).toBe("BAD_GATEWAY");
    expect(error.message).toContain("connection refused");
  });
});

describe("pinning and a changed host key", () => {
  it("refuses to add the host with a wrong expected fingerprint, naming both, and stores nothing", async () => {
    const wrong = freshFingerprint();
    const error = await refusal(
      admin.hosts.add({ name: "wrong-key", ...connection(), hostKey: { fingerprint: wrong } }),
    );
    expect(error.code).toBe("PRECONDITION_FAILED");
    expect(error.message).toContain("HOST KEY MISMATCH");
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(lab.ssh.hostKeyFingerprint);
    expect(await server.store.db.host.count({ where: { name: "wrong-key" } })).toBe(0);
    expect(await server.store.db.credential.count()).toBe(0);
    expect((await viewer.hosts.list()).map((host) => host.name)).not.toContain("wrong-key");
  });

  it("blocks a host whose key changed: the diagnosis fails with HOST KEY MISMATCH, later ones never connect", async () => {
    // The operator accepts exactly the key the test showed.
    const presented = await admin.hosts.testConnection(connection());
    const host = await admin.hosts.add({
      name: "lab",
      ...connection(),
      hostKey: { fingerprint: presented.fingerprint },
    });
    expect(host.hostKeyFingerprint).toBe(lab.ssh.hostKeyFingerprint);
    expect(host.hostKeyMismatchAt).toBeNull();
    await admin.instances.add({
      host: "lab",
      pgdata: pg.pgdata,
      pgBin: pg.binDir,
      logFile: pg.logFile,
      name: "main",
    });
    const first = await operator.instances.diagnose({ host: "lab", pgdata: pg.pgdata });
    expect(first.snapshot.verdict.code).toBe("healthy");

    // What the console sees when the host's key changes: the pin no longer matches what it presents.
    const pinned = freshFingerprint();
    await server.store.db.host.update({
      where: { id: host.id },
      data: { hostKeyFingerprint: pinned },
      select: { id: true },
    });
    const mismatch = await refusal(operator.instances.diagnose({ host: "lab", pgdata: pg.pgdata }));
    expect(mismatch.code).toBe("PRECONDITION_FAILED");
    expect(mismatch.message).toContain("HOST KEY MISMATCH");
    expect(mismatch.message).toContain(pinned);
    expect(mismatch.message).toContain(lab.ssh.hostKeyFingerprint);

    const [listed] = (await viewer.hosts.list()).filter((item) => item.name === "lab");
    expect(listed?.hostKeyMismatchAt).toBeInstanceOf(Date);
    expect(listed?.hostKeyMismatchFingerprint).toBe(lab.ssh.hostKeyFingerprint);
    expect(listed?.hostKeyFingerprint).toBe(pinned);
    const audit = await server.store.db.auditEvent.findMany({
      where: { action: "host.key-mismatch", targetId: host.id },
    });
    expect(audit).toHaveLength(1);

    // Put the right pin back but leave the recorded mismatch: a connection would now succeed, so a refusal
    // proves the console did not connect — the host stays blocked until an admin re-pins it.
    await server.store.db.host.update({
      where: { id: host.id },
      data: { hostKeyFingerprint: lab.ssh.hostKeyFingerprint },
      select: { id: true },
    });
    const snapshotsBefore = await server.store.db.snapshot.count();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const blocked = await refusal(
        operator.instances.diagnose({ host: "lab", pgdata: pg.pgdata }),
      );
      expect(blocked.code).toBe("PRECONDITION_FAILED");
      expect(blocked.message).toContain("HOST KEY MISMATCH on lab");
      expect(blocked.message).toContain(
        "blocked until an admin verifies the new key and re-pins it",
      );
    }
    expect(await server.store.db.snapshot.count()).toBe(snapshotsBefore);
    expect(
      await server.store.db.auditEvent.count({
        where: { action: "host.key-mismatch", targetId: host.id },
      }),
    ).toBe(1);
  });
});
