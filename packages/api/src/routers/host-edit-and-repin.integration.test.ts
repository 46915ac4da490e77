// hosts.update and hosts.repinHostKey against real lab hosts (real sshd, real PostgreSQL) and a real store: an edit
// runs the connection test with the new settings (a new credential is sealed and used, a new address that presents
// another key is refused), and after the host's sshd really got a new key only an admin who typed the host's name and
// accepted exactly the key presented now lifts the block.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { rotateHostKey, startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];

let lab: TLabHost;
let other: TLabHost;
let pg: TLabInstance;
let server: TTestServer;
let admin: TCaller;
let adminLabel: string;
let operator: TCaller;
let viewer: TCaller;
let hostId: string;

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(error)}`);
  return error;
}

/** The host as the store holds it, sealed credential included (for what the store ended up as). */
function storedHost() {
  return server.store.db.host.findUniqueOrThrow({
    where: { id: hostId },
    select: {
      address: true,
      port: true,
      sshUser: true,
      becomeUser: true,
      authMethod: true,
      credentialId: true,
      credential: { select: { sealed: true } },
      hostKeyAlgorithm: true,
      hostKeyFingerprint: true,
      hostKey: true,
      hostKeyPinnedAt: true,
      hostKeyMismatchAt: true,
      hostKeyMismatchFingerprint: true,
    },
  });
}

function auditOf(action: string) {
  return server.store.db.auditEvent.findMany({
    where: { action, targetId: hostId },
    orderBy: { id: "asc" },
    select: { actorLabel: true, details: true },
  });
}

const diagnose = () => operator.instances.diagnose({ host: "edit", pgdata: pg.pgdata });

const sshdLog = () => readFile(path.join(lab.dir, "logs", "sshd.log"), "utf8");

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-host-edit" });
  other = await startLabHost({ name: "itest-host-edit-other" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  server = await startTestServer();
  const signedIn = await server.callerAs("ADMIN");
  admin = signedIn.caller;
  adminLabel = signedIn.actor?.label ?? "";
  operator = (await server.callerAs("OPERATOR")).caller;
  viewer = (await server.callerAs("VIEWER")).caller;
  const host = await admin.hosts.add({
    name: "edit",
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
  hostId = host.id;
  await admin.instances.add({
    host: "edit",
    pgdata: pg.pgdata,
    pgBin: pg.binDir,
    logFile: pg.logFile,
    name: "main",
  });
}, 180_000);

afterAll(async () => {
  await server.close();
  await lab.stop();
  await other.stop();
});

describe("hosts.update", () => {
  it("replaces login, become user and credential after logging in with them; the new password is sealed and used", async () => {
    const password = lab.logins.admin.password;
    if (password === undefined)
      throw new Error("the lab's admin login has a password in root mode");
    const before = await storedHost();
    const logBefore = (await sshdLog()).length;

    const { host, changed } = await admin.hosts.update({
      hostId,
      sshUser: lab.logins.admin.username,
      becomeUser: "postgres",
      auth: { kind: "password", password },
    });
    expect(changed).toEqual(["sshUser", "becomeUser", "credential"]);
    expect(host).toMatchObject({
      sshUser: lab.logins.admin.username,
      becomeUser: "postgres",
      authMethod: "PASSWORD",
      port: lab.ssh.port,
      hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
    });
    expect(JSON.stringify(host)).not.toContain(password);

    // Stored: a new sealed credential that is not the password in plain text; the key's credential is gone.
    const after = await storedHost();
    expect(after.credentialId).not.toBe(before.credentialId);
    expect(after.credential).not.toBeNull();
    expect(Buffer.from(after.credential?.sealed ?? []).toString("latin1")).not.toContain(password);
    expect(
      await server.store.db.credential.count({ where: { id: before.credentialId ?? "" } }),
    ).toBe(0);

    // Used: the diagnosis logs in as pgadmin with that password and runs through sudo as postgres.
    const diagnosis = await diagnose();
    expect(diagnosis.snapshot.verdict.code).toBe("healthy");
    const log = (await sshdLog()).slice(logBefore);
    expect(log).toContain(`Accepted password for ${lab.logins.admin.username} from 127.0.0.1`);

    const [audit] = await auditOf("host.update");
    expect(audit?.actorLabel).toBe(adminLabel);
    expect(audit?.details).toEqual({
      name: "edit",
      changed: ["sshUser", "becomeUser", "credential"],
      before: { sshUser: "postgres", becomeUser: null },
      after: { sshUser: lab.logins.admin.username, becomeUser: "postgres" },
      authMethod: { before: "KEY", after: "PASSWORD" },
    });
    expect(JSON.stringify(await viewer.hosts.list())).not.toContain(password);
  });

  it("keeps the stored secret when the credential is left empty, and says what is missing or wrong", async () => {
    const before = await storedHost();
    // Without sudo pgadmin runs the commands itself: the connection test logs in with the stored password.
    const plain = await admin.hosts.update({
      hostId,
      becomeUser: null,
      auth: { kind: "password" },
    });
    expect(plain.changed).toEqual(["becomeUser"]);
    expect(plain.host.becomeUser).toBeNull();
    const kept = await storedHost();
    expect(kept.credentialId).toBe(before.credentialId);
    expect(kept.credential?.sealed).toEqual(before.credential?.sealed);
    const back = await admin.hosts.update({ hostId, becomeUser: "postgres" });
    expect(back.changed).toEqual(["becomeUser"]);
    const settled = await storedHost();
    expect(settled.credentialId).toBe(before.credentialId);

    const nothing = await refusal(admin.hosts.update({ hostId, becomeUser: "postgres" }));
    expect(nothing.code).toBe("BAD_REQUEST");
    expect(nothing.message).toContain("nothing to change");
    const noKey = await refusal(admin.hosts.update({ hostId, auth: { kind: "key" } }));
    expect(noKey.code).toBe("BAD_REQUEST");
    expect(noKey.message).toContain(
      "switching from password to key authentication needs the new private key",
    );
    const wrong = await refusal(
      admin.hosts.update({
        hostId,
        becomeUser: null,
        auth: { kind: "password", password: "not-the-password" },
      }),
    );
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(wrong.message).toContain(`${lab.logins.admin.username}@127.0.0.1`);
    expect(wrong.message).toContain("refused the login (password");
    expect(await storedHost()).toEqual(settled);
    expect(await auditOf("host.update")).toHaveLength(3);

    // Back to the postgres key, as the re-pin below expects.
    const keyed = await admin.hosts.update({
      hostId,
      sshUser: "postgres",
      becomeUser: null,
      auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    });
    expect(keyed.changed).toEqual(["sshUser", "becomeUser", "credential"]);
    expect(keyed.host.authMethod).toBe("KEY");
    expect((await diagnose()).snapshot.verdict.code).toBe("healthy");
  });

  it("refuses a new address or port that presents another host key, naming both, and changes nothing", async () => {
    const before = await storedHost();
    const audits = (await auditOf("host.update")).length;
    const error = await refusal(
      admin.hosts.update({ hostId, address: other.ssh.host, port: other.ssh.port }),
    );
    expect(error.code).toBe("PRECONDITION_FAILED");
    expect(error.message).toContain(
      `HOST KEY MISMATCH at ${other.ssh.host}:${String(other.ssh.port)}`,
    );
    expect(error.message).toContain(other.ssh.hostKeyFingerprint);
    expect(error.message).toContain(lab.ssh.hostKeyFingerprint);
    expect(error.message).toContain("Nothing was changed");
    // Not the host's own address: no block is recorded, and the host works as before.
    expect(await storedHost()).toEqual(before);
    expect(before.hostKeyMismatchAt).toBeNull();
    expect(await auditOf("host.update")).toHaveLength(audits);
    expect((await diagnose()).snapshot.verdict.code).toBe("healthy");
  });

  it("is for admins only", async () => {
    for (const caller of [operator, viewer]) {
      const error = await refusal(caller.hosts.update({ hostId, becomeUser: "postgres" }));
      expect(error.code).toBe("FORBIDDEN");
    }
    expect((await storedHost()).becomeUser).toBeNull();
  });
});

describe("a changed host key and the admin's re-pin", () => {
  it("blocks the host when its sshd gets a new key; the admin compares both, a stale key is refused, the current one re-pinned, work resumes", async () => {
    // The pool holds a warm connection from the diagnoses above; the rotation ends it like a reinstall's reboot.
    const first = await rotateHostKey(lab);
    expect(first.fingerprint).not.toBe(lab.ssh.hostKeyFingerprint);

    // An edit on the same address meets the new key: refused naming both, and the host is blocked like any work.
    const edit = await refusal(admin.hosts.update({ hostId, becomeUser: "postgres" }));
    expect(edit.code).toBe("PRECONDITION_FAILED");
    expect(edit.message).toContain("HOST KEY MISMATCH");
    expect(edit.message).toContain(first.fingerprint);
    expect(edit.message).toContain(lab.ssh.hostKeyFingerprint);
    const blocked = await storedHost();
    expect(blocked.hostKeyMismatchFingerprint).toBe(first.fingerprint);
    expect(blocked.hostKeyMismatchAt).toBeInstanceOf(Date);
    expect(blocked.becomeUser).toBeNull();
    const refused = await refusal(diagnose());
    expect(refused.message).toContain("blocked until an admin verifies the new key and re-pins it");
    const [listed] = (await viewer.hosts.list()).filter((host) => host.id === hostId);
    expect(listed?.hostKeyFingerprint).toBe(lab.ssh.hostKeyFingerprint);
    expect(listed?.hostKeyMismatchFingerprint).toBe(first.fingerprint);
    expect(listed?.hostKeyPinnedBy?.email).toBe(adminLabel);

    // Both keys, the presented one fetched live.
    const review = await admin.hosts.reviewHostKey({ hostId });
    expect(review.pinned).toEqual({
      algorithm: "ssh-ed25519",
      fingerprint: lab.ssh.hostKeyFingerprint,
    });
    expect(review.presented).toEqual({ algorithm: "ssh-ed25519", fingerprint: first.fingerprint });

    // Only admins; the typed name must match.
    for (const caller of [operator, viewer]) {
      expect((await refusal(caller.hosts.reviewHostKey({ hostId }))).code).toBe("FORBIDDEN");
      const denied = await refusal(
        caller.hosts.repinHostKey({ hostId, fingerprint: first.fingerprint, confirm: "edit" }),
      );
      expect(denied.code).toBe("FORBIDDEN");
    }
    const unconfirmed = await refusal(
      admin.hosts.repinHostKey({ hostId, fingerprint: first.fingerprint, confirm: "Edit" }),
    );
    expect(unconfirmed.code).toBe("BAD_REQUEST");
    expect(unconfirmed.message).toContain("type the host's name exactly (edit)");

    // The key changes again after the admin looked: what they reviewed is stale and nothing is re-pinned.
    const second = await rotateHostKey(lab);
    const stale = await refusal(
      admin.hosts.repinHostKey({ hostId, fingerprint: first.fingerprint, confirm: "edit" }),
    );
    expect(stale.code).toBe("PRECONDITION_FAILED");
    expect(stale.message).toContain(
      `edit now presents ssh-ed25519 ${second.fingerprint}, not the ${first.fingerprint} you reviewed`,
    );
    expect(await storedHost()).toEqual(blocked);
    expect(await auditOf("host.repin")).toHaveLength(0);

    // The admin reviews again and accepts exactly the key presented now.
    expect((await admin.hosts.reviewHostKey({ hostId })).presented.fingerprint).toBe(
      second.fingerprint,
    );
    const repinned = await admin.hosts.repinHostKey({
      hostId,
      fingerprint: second.fingerprint,
      confirm: "edit",
    });
    expect(repinned).toMatchObject({
      hostKeyAlgorithm: "ssh-ed25519",
      hostKeyFingerprint: second.fingerprint,
      hostKeyMismatchAt: null,
      hostKeyMismatchFingerprint: null,
    });
    const pinned = await storedHost();
    expect(Buffer.from(pinned.hostKey ?? []).toString("base64")).toBe(
      second.publicKey.split(" ")[1],
    );
    expect(pinned.hostKeyPinnedAt?.getTime()).toBeGreaterThan(
      blocked.hostKeyPinnedAt?.getTime() ?? Infinity,
    );

    const audits = await auditOf("host.repin");
    expect(audits).toHaveLength(1);
    expect(audits[0]?.actorLabel).toBe(adminLabel);
    expect(audits[0]?.details).toEqual({
      name: "edit",
      previous: { algorithm: "ssh-ed25519", fingerprint: lab.ssh.hostKeyFingerprint },
      pinned: { algorithm: "ssh-ed25519", fingerprint: second.fingerprint },
      mismatch: { at: blocked.hostKeyMismatchAt?.toISOString(), fingerprint: first.fingerprint },
    });

    // Unblocked: the diagnosis logs in against the new pin.
    expect((await diagnose()).snapshot.verdict.code).toBe("healthy");
    const again = await refusal(
      admin.hosts.repinHostKey({ hostId, fingerprint: second.fingerprint, confirm: "edit" }),
    );
    expect(again.code).toBe("BAD_REQUEST");
    expect(again.message).toContain("there is nothing to re-pin");
  });
});
