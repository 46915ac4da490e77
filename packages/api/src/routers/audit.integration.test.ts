// The audit trail for real: a real incident on a lab host (approve, run) and a real password sign-in in between,
// read back through audit.list (filters, pagination) and the incident export; and the store itself refusing to
// change or delete an event, except what deleting a user or an incident does to it.
import { randomBytes } from "node:crypto";
import { createDb, type TDb, type Prisma } from "@pgrescue/db";
import { startLabHost, type TLabHost } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../context.ts";
import { createCaller } from "../root.ts";
import { recordAudit } from "../services/audit.ts";
import { startTestServer, type TTestServer } from "../testing.ts";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];
type TAuditPage = Awaited<ReturnType<TCaller["audit"]["list"]>>;
type TAuditItem = TAuditPage["items"][number];

const APPROVER_PASSWORD = `approver-${randomBytes(9).toString("base64url")}`;

let lab: TLabHost;
let server: TTestServer;
let admin: TCaller;
let operator: TCaller;
let approverEmail: string;
let incidentId: string;
let stepId: string;
let signInAt: Date;

/** A real password sign-in over HTTP, through the same auth handling the console serves, as the sign-in form sends it. */
async function signIn(email: string, password: string): Promise<number> {
  const http = await server.serveHttp();
  try {
    const response = await fetch(`${http.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: http.url },
      body: JSON.stringify({ email, password }),
    });
    return response.status;
  } finally {
    await http.close();
  }
}

async function listAll(input: Omit<Parameters<TCaller["audit"]["list"]>[0], "cursor" | "limit">) {
  const items: TAuditItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const result: TAuditPage = await admin.audit.list({ ...input, cursor, limit: 3 });
    items.push(...result.items);
    if (result.nextCursor === null) return items;
    cursor = result.nextCursor;
  }
  throw new Error("more than 100 pages");
}

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-audit" });
  server = await startTestServer({ pgCtlTimeoutSec: 8 });
  admin = (await server.callerAs("ADMIN")).caller;
  operator = (await server.callerAs("OPERATOR", "night-operator")).caller;
  approverEmail = `night_approver-${randomBytes(3).toString("hex")}@example.com`;
  await admin.users.create({
    email: approverEmail,
    name: "Night approver",
    role: "APPROVER",
    password: APPROVER_PASSWORD,
  });
  await admin.hosts.add({
    name: "lab",
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
  const pg = await lab.createInstance({ name: "main", major: 15 });
  const instance = await admin.instances.add({
    host: "lab",
    pgdata: pg.pgdata,
    pgBin: pg.binDir,
    logFile: pg.logFile,
    name: "main",
  });
  await lab.breakInstance(pg, "zombies");
  const opened = await operator.incidents.open({ instanceId: instance.id });
  if (opened.step === null) throw new Error(`no step proposed for ${opened.verdict}`);
  incidentId = opened.incident.id;
  stepId = opened.step.id;

  // The approver signs in with their password, approves, and the operator runs the step.
  signInAt = new Date();
  expect(await signIn(approverEmail, APPROVER_PASSWORD)).toBe(200);
  const approverUser = await server.store.db.user.findUniqueOrThrow({
    where: { email: approverEmail },
    select: { id: true, role: true },
  });
  const approver = createCaller(
    createContext({
      db: server.store.db,
      runtime: server.runtime,
      config: { migrationsDir: "", version: "test", embeddedStore: true },
      actor: { id: approverUser.id, label: approverEmail, role: approverUser.role },
    }),
  );
  await approver.steps.approve({ stepId, confirm: opened.step.confirmationRequired ?? undefined });
  const outcome = await operator.steps.run({ stepId });
  expect(outcome.step.status).toBe("SUCCEEDED");
}, 180_000);

afterAll(async () => {
  await server.close();
  await lab.stop();
});

describe("audit.list", () => {
  it("pages through every event newest first, each page after the last one's cursor", async () => {
    const everything = (await admin.audit.list({ limit: 200 })).items;
    expect(everything.length).toBeGreaterThan(6);
    const paged = await listAll({});
    expect(paged.map((event) => event.id)).toEqual(everything.map((event) => event.id));
    const ids = paged.map((event) => BigInt(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("filters by action prefix, actor, target, incident and time", async () => {
    const steps = await listAll({ action: "step." });
    expect(new Set(steps.map((event) => event.action))).toEqual(
      new Set(["step.propose", "step.approve", "step.run", "step.finish"]),
    );
    const approvals = await listAll({ action: "step.approve" });
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({
      actorLabel: approverEmail,
      targetType: "Step",
      targetId: stepId,
      incidentId,
    });

    // Part of the label, any case; '_' and '%' in the filter are matched as themselves, not as LIKE wildcards:
    // "night_approver" must not find the decoy "night-approver".
    const { actor: decoy } = await server.callerAs("APPROVER", "night-approver");
    if (decoy === null) throw new Error("no decoy");
    await recordAudit(server.store.db, decoy, { action: "test.decoy" });
    const byApprover = await listAll({ actor: "NIGHT_APPROVER" });
    expect(new Set(byApprover.map((event) => event.actorLabel))).toEqual(new Set([approverEmail]));
    expect(new Set(byApprover.map((event) => event.action))).toEqual(
      new Set(["auth.sign-in", "step.approve"]),
    );
    expect(await listAll({ actor: "night%approver" })).toEqual([]);
    expect((await listAll({ actor: "night-approver" })).map((event) => event.action)).toEqual([
      "test.decoy",
    ]);

    const ofStep = await listAll({ targetType: "Step", targetId: stepId });
    expect(ofStep.map((event) => event.action).sort()).toEqual([
      "step.approve",
      "step.finish",
      "step.propose",
      "step.run",
    ]);

    const ofIncident = await listAll({ incidentId });
    expect(ofIncident.every((event) => event.incidentId === incidentId)).toBe(true);
    expect(ofIncident.map((event) => event.action)).toEqual(
      expect.arrayContaining(["diagnosis.run", "incident.open", "step.approve", "step.run"]),
    );

    const since = await listAll({ from: signInAt });
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((event) => event.at >= signInAt)).toBe(true);
    expect(since.map((event) => event.action)).not.toContain("host.add");
    const before = await listAll({ to: signInAt });
    expect(before.every((event) => event.at < signInAt)).toBe(true);
    expect(before.map((event) => event.action)).toContain("host.add");
    expect(before.length + since.length).toBe((await listAll({})).length);
  });

  it("shows each event's actor, target, incident, details and address, and nothing of the rows they point to", async () => {
    const [signInEvent] = await listAll({ action: "auth.sign-in" });
    expect(signInEvent).toBeDefined();
    expect(Object.keys(signInEvent ?? {}).sort()).toEqual([
      "action",
      "actorId",
      "actorLabel",
      "at",
      "details",
      "id",
      "incidentId",
      "ip",
      "targetId",
      "targetType",
    ]);
    expect(signInEvent).toMatchObject({
      actorLabel: approverEmail,
      ip: "127.0.0.1",
      incidentId: null,
    });
  });

  it("refuses a malformed cursor or action", async () => {
    await expect(admin.audit.list({ cursor: "12; drop" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(admin.audit.list({ action: "step_%" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});

describe("the incident export", () => {
  it("holds the approval and the step run, but not the approver's sign-in in between", async () => {
    // The sign-in happened during the incident, and it is in the audit trail…
    expect(await listAll({ action: "auth.sign-in", actor: approverEmail })).toHaveLength(1);
    // …but it is not part of the incident.
    const markdown = (await operator.incidents.export({ incidentId, format: "md" })).body;
    const trail = markdown.slice(markdown.indexOf("## Audit trail"));
    expect(trail).toContain("| step.approve |");
    expect(trail).toContain("| step.run |");
    expect(trail).toContain("| step.finish |");
    expect(trail).not.toContain("auth.sign-in");

    const json = JSON.parse(
      (await operator.incidents.export({ incidentId, format: "json" })).body,
    ) as {
      incident: { auditEvents: { action: string }[] };
    };
    const actions = json.incident.auditEvents.map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(["step.approve", "step.run"]));
    expect(actions.filter((action) => action.startsWith("auth."))).toEqual([]);
  });
});

describe("the store keeps the audit trail append-only", () => {
  // the owner of the table: the trigger holds even for it (the console's own role may not even try, see the store's tests)
  let owner: TDb;
  beforeAll(() => {
    owner = createDb(server.store.ownerUrl);
  });
  afterAll(async () => {
    await owner.$disconnect();
  });

  async function newEvent(data: Partial<Prisma.AuditEventUncheckedCreateInput> = {}) {
    return server.store.db.auditEvent.create({
      data: { actorLabel: "guard-test", action: "test.guard", details: { n: 1 }, ...data },
      select: { id: true },
    });
  }

  async function newIncident() {
    const instance = await server.store.db.instance.findFirstOrThrow({ select: { id: true } });
    return server.store.db.incident.create({
      data: { instanceId: instance.id, title: "guard test", status: "CLOSED" },
      select: { id: true },
    });
  }

  async function readEvent(id: bigint) {
    return server.store.db.auditEvent.findUniqueOrThrow({ where: { id } });
  }

  it("refuses UPDATE, DELETE and TRUNCATE, through Prisma and in plain SQL, and the event stays as written", async () => {
    const { id } = await newEvent({ targetType: "Step", targetId: "s1", ip: "10.0.0.1" });
    const written = await readEvent(id);
    const refused = /the audit trail is append-only/;
    await expect(
      owner.auditEvent.update({ where: { id }, data: { action: "test.forged" } }),
    ).rejects.toThrow(refused);
    await expect(owner.auditEvent.delete({ where: { id } })).rejects.toThrow(refused);
    await expect(
      owner.$executeRaw`UPDATE "AuditEvent" SET "details" = '{"n": 2}' WHERE "id" = ${id}`,
    ).rejects.toThrow(refused);
    await expect(
      owner.$executeRaw`UPDATE "AuditEvent" SET "at" = "at" - interval '1 day' WHERE "id" = ${id}`,
    ).rejects.toThrow(refused);
    await expect(owner.$executeRaw`DELETE FROM "AuditEvent" WHERE "id" = ${id}`).rejects.toThrow(
      refused,
    );
    await expect(owner.$executeRaw`TRUNCATE "AuditEvent"`).rejects.toThrow(refused);
    // the console's role is not even let near it
    await expect(
      server.store.db.$executeRaw`DELETE FROM "AuditEvent" WHERE "id" = ${id}`,
    ).rejects.toThrow(/permission denied/);
    expect(await readEvent(id)).toEqual(written);
  });

  it("refuses to unlink an event from a user or an incident that still exists, or to move it to another incident", async () => {
    const { actor } = await server.callerAs("VIEWER", "guard-user");
    if (actor === null) throw new Error("no actor");
    const { id } = await newEvent({ actorId: actor.id, incidentId });
    await expect(
      owner.auditEvent.update({ where: { id }, data: { actorId: null } }),
    ).rejects.toThrow(/append-only/);
    await expect(
      owner.auditEvent.update({ where: { id }, data: { incidentId: null } }),
    ).rejects.toThrow(/append-only/);
    expect(await readEvent(id)).toMatchObject({ actorId: actor.id, incidentId });
  });

  it("lets only an opening diagnosis's event join the incident its snapshot belongs to, once, and never move on", async () => {
    const snapshot = await server.store.db.snapshot.findFirstOrThrow({
      where: { incidentId },
      select: { id: true },
    });
    const other = await newIncident();
    // any other event keeps the incident it was written with (none)
    const plain = await newEvent({ action: "step.approve" });
    await expect(
      server.store.db.auditEvent.update({ where: { id: plain.id }, data: { incidentId } }),
    ).rejects.toThrow(/append-only/);
    // a diagnosis joins only its own snapshot's incident
    const diagnosis = await newEvent({
      action: "diagnosis.run",
      details: { snapshotId: snapshot.id },
    });
    await expect(
      server.store.db.auditEvent.update({
        where: { id: diagnosis.id },
        data: { incidentId: other.id },
      }),
    ).rejects.toThrow(/append-only/);
    await server.store.db.auditEvent.update({ where: { id: diagnosis.id }, data: { incidentId } });
    expect(await readEvent(diagnosis.id)).toMatchObject({ incidentId });
    await expect(
      owner.auditEvent.update({ where: { id: diagnosis.id }, data: { incidentId: other.id } }),
    ).rejects.toThrow(/append-only/);
    expect(await readEvent(plain.id)).toMatchObject({ incidentId: null });
  });

  it("lets deleting a user or an incident unlink their events (ON DELETE SET NULL), keeping who and what", async () => {
    const user = await server.store.db.user.create({
      data: {
        email: `gone-${randomBytes(3).toString("hex")}@example.com`,
        name: "Gone",
        role: "VIEWER",
      },
      select: { id: true, email: true },
    });
    const incident = await newIncident();
    await recordAudit(
      server.store.db,
      { id: user.id, label: user.email, role: "VIEWER" },
      { action: "test.gone", incidentId: incident.id, details: { kept: true } },
    );
    const event = await server.store.db.auditEvent.findFirstOrThrow({
      where: { action: "test.gone" },
      select: { id: true },
    });

    // the console never deletes people or incidents (its role may not): the owner does
    await owner.user.delete({ where: { id: user.id } });
    await owner.incident.delete({ where: { id: incident.id } });

    expect(await readEvent(event.id)).toMatchObject({
      actorId: null,
      actorLabel: user.email,
      incidentId: null,
      action: "test.gone",
      details: { kept: true },
    });
  });
});
