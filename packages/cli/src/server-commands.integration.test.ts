// The CLI against the console's API over HTTP (bearer tokens, real store, real lab host): the runbook's zombies case from
// `hosts add` to a closed incident and its report, with approvals by a second person.
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootstrapFirstAdmin } from "@pgrescue/api/startup";
import { generateApiToken } from "@pgrescue/api/testing";
import { startTestServer, type TTestServer } from "@pgrescue/api/testing";
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TCliEnv } from "./env.ts";
import { runCli } from "./main.ts";

let lab: TLabHost;
let pg: TLabInstance;
let server: TTestServer;
let http: { url: string; close(): Promise<void> };
let adminEnv: TCliEnv;
let approverEnv: TCliEnv;

beforeAll(async () => {
  lab = await startLabHost({ name: "itest-cli-server" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  server = await startTestServer({ pgCtlTimeoutSec: 8 });
  http = await server.serveHttp();
  const adminToken = generateApiToken();
  const admin = await bootstrapFirstAdmin(server.store.db, {
    email: "admin@example.com",
    password: "first admin's passphrase",
    token: adminToken,
  });
  if (admin === null) throw new Error("the test store has users already");
  adminEnv = { PGRESCUE_SERVER: http.url, PGRESCUE_TOKEN: adminToken };
  const { caller } = await server.callerAs("ADMIN");
  await caller.users.create({
    email: "approver@example.com",
    name: "Second person",
    role: "APPROVER",
    password: "approver's passphrase",
  });
  // the approver signs in the way a person does: pgrescue login, the token saved in their config dir
  approverEnv = { PGRESCUE_CONFIG_DIR: await mkdtemp(path.join(tmpdir(), "pgrescue-cli-")) };
  const login = await runCli(
    ["login", "--server", http.url, "--email", "approver@example.com", "--json"],
    { ...approverEnv, PGRESCUE_PASSWORD: "approver's passphrase" },
  );
  expect(login.exitCode, login.stderr).toBe(0);
  await caller.policy.update({ fourEyesRungs: [0, 1, 2, 3, 4], approvalTtlMinutes: null });
}, 120_000);

afterAll(async () => {
  await http.close();
  await server.close();
  await lab.stop();
});

async function cli<T = unknown>(env: TCliEnv, args: string[], expectedExit = 0): Promise<T> {
  const result = await runCli([...args, "--json"], env);
  expect(result.exitCode, `${args.join(" ")}: ${result.stderr ?? ""}`).toBe(expectedExit);
  return JSON.parse(result.stdout) as T;
}

type TStep = {
  id: string;
  rung: number;
  confirmationRequired: string | null;
  displayCommands: string[];
};

describe("pgrescue against a running console", () => {
  it("adds the host and instance, opens the incident, approves as a second person, runs each step to healthy, closes and exports", async () => {
    await cli(adminEnv, [
      "hosts",
      "add",
      "--name",
      "lab",
      "--ssh",
      `postgres@127.0.0.1:${String(lab.ssh.port)}`,
      "--identity",
      lab.logins.postgres.privateKeyPath,
      "--accept-host-key",
    ]);
    const hosts = await cli<{ name: string; hostKeyFingerprint: string }[]>(adminEnv, [
      "hosts",
      "list",
    ]);
    expect(hosts).toEqual([
      expect.objectContaining({ name: "lab", hostKeyFingerprint: lab.ssh.hostKeyFingerprint }),
    ]);
    await cli(adminEnv, [
      "instances",
      "add",
      "--host",
      "lab",
      "--pgdata",
      pg.pgdata,
      "--pg-bin",
      pg.binDir,
      "--log-file",
      pg.logFile,
    ]);

    await lab.breakInstance(pg, "zombies");
    const opened = await cli<{ incident: { id: string }; verdict: string; step: TStep | null }>(
      adminEnv,
      ["incidents", "open", "--host", "lab", "--pgdata", pg.pgdata],
    );
    expect(opened.verdict).toBe("zombies-unreaped");
    expect(opened.step?.rung).toBe(0);
    expect(opened.step?.displayCommands.some((line) => line.startsWith("kill -CONT "))).toBe(true);

    let step = opened.step;
    let verdict = opened.verdict;
    for (let round = 0; round < 6 && verdict !== "healthy"; round += 1) {
      if (step === null) break;
      // Four-eyes: the requester (admin) may not approve its own step.
      const own = await runCli(
        [
          "steps",
          "approve",
          step.id,
          ...(step.confirmationRequired === null ? [] : ["--confirm", step.confirmationRequired]),
        ],
        adminEnv,
      );
      expect(own.exitCode).toBe(1);
      expect(own.stderr).toContain("FORBIDDEN");
      await cli(approverEnv, [
        "steps",
        "approve",
        step.id,
        ...(step.confirmationRequired === null ? [] : ["--confirm", step.confirmationRequired]),
      ]);
      const outcome = await cli<{
        step: { status: string };
        verdict: string;
        nextStep: TStep | null;
      }>(adminEnv, ["steps", "run", step.id]);
      expect(outcome.step.status).toBe("SUCCEEDED");
      verdict = outcome.verdict;
      step = outcome.nextStep;
    }
    expect(verdict).toBe("healthy");

    const shown = await cli<{ steps: { status: string; output: unknown[] }[] }>(adminEnv, [
      "incidents",
      "show",
      opened.incident.id,
    ]);
    expect(
      shown.steps.filter((s) => s.status === "SUCCEEDED").every((s) => s.output.length > 0),
    ).toBe(true);
    const text = await runCli(["incidents", "show", opened.incident.id], adminEnv);
    expect(text.stdout).toContain("kill -CONT");
    await cli(adminEnv, [
      "incidents",
      "close",
      opened.incident.id,
      "--outcome",
      "RECOVERED",
      "--summary",
      "SIGCONT to the stopped postmaster",
    ]);
    const list = await cli<{ items: { id: string; outcome: string }[] }>(adminEnv, [
      "incidents",
      "list",
      "--outcome",
      "RECOVERED",
    ]);
    expect(list.items).toEqual([
      expect.objectContaining({ id: opened.incident.id, outcome: "RECOVERED" }),
    ]);
    const markdown = await runCli(
      ["incidents", "export", opened.incident.id, "--format", "md"],
      adminEnv,
    );
    expect(markdown.exitCode).toBe(0);
    expect(markdown.stdout).toContain(`# Incident ${opened.incident.id}`);
    expect(markdown.stdout).toContain("approver@example.com");
  });

  it("explains a missing or wrong token, an unreachable console and bad input", async () => {
    const noToken = await runCli(["hosts", "list"], {
      PGRESCUE_SERVER: http.url,
      PGRESCUE_CONFIG_DIR: await mkdtemp(path.join(tmpdir(), "pgrescue-cli-")),
    });
    expect(noToken).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining("not signed in") as unknown,
    });
    const wrong = await runCli(["hosts", "list"], {
      PGRESCUE_SERVER: http.url,
      PGRESCUE_TOKEN: `pgr_${"x".repeat(43)}`,
    });
    expect(wrong).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining("UNAUTHORIZED") as unknown,
    });
    const down = await runCli(["hosts", "list"], {
      PGRESCUE_SERVER: "http://127.0.0.1:1",
      PGRESCUE_TOKEN: adminEnv.PGRESCUE_TOKEN,
    });
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toContain("cannot reach the console");
    const viewer = await runCli(
      ["hosts", "add", "--name", "x", "--ssh", "a@b", "--agent", "--accept-host-key"],
      approverEnv,
    );
    expect(viewer).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining("FORBIDDEN") as unknown,
    });
    const unpinned = await runCli(
      ["hosts", "add", "--name", "x", "--ssh", "a@b", "--agent"],
      adminEnv,
    );
    expect(unpinned).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining("--accept-host-key") as unknown,
    });
    const badPath = await runCli(
      ["instances", "add", "--host", "lab", "--pgdata", "relative/dir"],
      adminEnv,
    );
    expect(badPath).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining("BAD_REQUEST") as unknown,
    });
  });

  it("logs in with a password only, saves the token 0600, and logout revokes it", async () => {
    const env = { PGRESCUE_CONFIG_DIR: await mkdtemp(path.join(tmpdir(), "pgrescue-cli-")) };
    const wrong = await runCli(["login", "--server", http.url, "--email", "approver@example.com"], {
      ...env,
      PGRESCUE_PASSWORD: "not the password!!",
    });
    expect(wrong).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining("not correct") as unknown,
    });
    const ok = await runCli(["login", "--server", http.url, "--email", "approver@example.com"], {
      ...env,
      PGRESCUE_PASSWORD: "approver's passphrase",
    });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("approver@example.com (approver)");
    const file = path.join(env.PGRESCUE_CONFIG_DIR, "credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // the server commands use the saved login without PGRESCUE_SERVER or PGRESCUE_TOKEN
    expect((await runCli(["hosts", "list", "--json"], env)).exitCode).toBe(0);
    const tokensBefore = await server.store.db.apiToken.count({ where: { revokedAt: null } });
    const out = await runCli(["logout"], env);
    expect(out.stdout).toContain("token revoked");
    expect(await server.store.db.apiToken.count({ where: { revokedAt: null } })).toBe(
      tokensBefore - 1,
    );
    expect(await runCli(["hosts", "list"], env)).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining("which console") as unknown,
    });
  });
});
