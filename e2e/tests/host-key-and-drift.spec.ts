// Host keys and drift in the browser, against real lab hosts (own namespaces, sshd, PostgreSQL 15).
// Host key: the connection test shows the key the host presents; a wrong expected key is refused naming both;
// accepting the shown key pins exactly it; when the host's sshd later presents a new key, Diagnose fails with a
// HOST KEY MISMATCH and the hosts page shows the host blocked. Drift: a destructive step approved for one
// process table is refused on the host when that table changed before the run, and the fresh diagnosis
// proposes a new step that needs its own approval; approving and running the new steps ends healthy.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  rotateHostKey,
  startLabHost,
  type TLabHost,
  type TLabInstance,
  type TScenarioState,
} from "@pgrescue/lab";
import { expect, test, type Page } from "@playwright/test";
import { approveOpenStep, diagnoseAgain, screenshotPath, signInThroughApi } from "../support.ts";

test.describe.configure({ mode: "serial" });

let keyLab: TLabHost;
let keyPg: TLabInstance;
let driftLab: TLabHost;
let driftPg: TLabInstance;
let broken: TScenarioState;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  keyLab = await startLabHost({ name: "e2e-hostkey" });
  keyPg = await keyLab.createInstance({ name: "main", major: 15 });
  driftLab = await startLabHost({ name: "e2e-drift" });
  driftPg = await driftLab.createInstance({ name: "main", major: 15 });
  broken = await driftLab.breakInstance(driftPg, "zombies");
});

test.afterAll(async () => {
  await keyLab.stop();
  await driftLab.stop();
});

const targetOf = (lab: TLabHost) => `postgres@${lab.ssh.host}:${String(lab.ssh.port)}`;

/** "SHA256:…" of a public key file, as ssh-keygen prints it. */
function fingerprintOf(publicKeyFile: string): string {
  const printed = execFileSync("ssh-keygen", ["-lf", publicKeyFile], { encoding: "utf8" });
  const fingerprint = printed.split(" ")[1];
  if (fingerprint?.startsWith("SHA256:") !== true) throw new Error(`ssh-keygen -lf: ${printed}`);
  return fingerprint;
}

/** A valid fingerprint of a key no lab host has. */
function foreignFingerprint(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "pgrescue-e2e-key-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "key")]);
    return fingerprintOf(path.join(dir, "key.pub"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fillHostForm(page: Page, name: string, lab: TLabHost): Promise<void> {
  const form = page.getByRole("form", { name: "Add a host" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("SSH target").fill(targetOf(lab));
  await form.getByRole("radio", { name: "Private key" }).check();
  await form.getByRole("textbox", { name: "Private key" }).fill(lab.logins.postgres.privateKey);
}

async function addInstance(page: Page, host: string, pg: TLabInstance): Promise<void> {
  const instanceForm = page.getByRole("form", { name: "Add an instance" });
  await instanceForm.getByLabel("Host").selectOption(host);
  await instanceForm.getByLabel("Data directory (PGDATA)").fill(pg.pgdata);
  await instanceForm.getByLabel("Bin directory (optional)").fill(pg.binDir);
  await instanceForm.getByLabel("Server log file (optional)").fill(pg.logFile);
  await instanceForm.getByLabel("Name (optional)").fill("main");
  await instanceForm.getByRole("button", { name: "Add instance" }).click();
  await expect(page.getByTestId("instance-added")).toContainText(`Added main on ${host}`);
}

test("host key: test shows the presented key, a wrong one is refused, the shown one is pinned, a changed one blocks the host", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signInThroughApi(page);
  await page.goto("/hosts");
  const form = page.getByRole("form", { name: "Add a host" });
  await fillHostForm(page, "hostkey", keyLab);

  // The connection test stops at the key exchange and shows the key to compare.
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByTestId("presented-fingerprint")).toHaveText(
    keyLab.ssh.hostKeyFingerprint,
    { timeout: 30_000 },
  );
  await expect(form.getByTestId("presented-host-key")).toContainText("ssh-ed25519");

  // An expected fingerprint that is not the host's: refused, naming both; nothing is added.
  const wrong = foreignFingerprint();
  await form.getByRole("checkbox", { name: /Accept the key the host presents/ }).uncheck();
  await form.getByLabel("Expected fingerprint").fill(wrong);
  await form.getByRole("button", { name: "Add host" }).click();
  const alert = form.getByRole("alert");
  await expect(alert).toContainText("HOST KEY MISMATCH", { timeout: 30_000 });
  await expect(alert).toContainText(wrong);
  await expect(alert).toContainText(keyLab.ssh.hostKeyFingerprint);
  await expect(page.getByTestId("host-hostkey")).toHaveCount(0);
  await page.screenshot({ path: screenshotPath("host-key-wrong-expected"), fullPage: true });

  // Accept exactly the key the test showed.
  await form.getByRole("button", { name: "Accept this key" }).click();
  await expect(page.getByTestId("host-added")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("pinned-fingerprint")).toHaveText(keyLab.ssh.hostKeyFingerprint);
  await expect(page.getByTestId("host-hostkey").getByTestId("host-key-fingerprint")).toContainText(
    keyLab.ssh.hostKeyFingerprint,
  );
  await addInstance(page, "hostkey", keyPg);

  // The host's sshd now presents another key: the diagnosis refuses to log in.
  const { fingerprint: rotated } = await rotateHostKey(keyLab);
  await page.getByTestId("instance-added").getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("main");
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  const diagnosisError = page.getByRole("alert").filter({ hasText: "HOST KEY MISMATCH" });
  await expect(diagnosisError).toContainText(rotated, { timeout: 30_000 });
  await expect(diagnosisError).toContainText(keyLab.ssh.hostKeyFingerprint);

  // The hosts page shows the host blocked, with both keys.
  await page.goto("/hosts");
  const banner = page.getByTestId("host-hostkey").getByRole("alert");
  await expect(banner).toContainText("HOST KEY MISMATCH");
  await expect(banner).toContainText(rotated);
  await expect(banner).toContainText(keyLab.ssh.hostKeyFingerprint);
  await expect(banner).toContainText("blocked");
  await page.screenshot({ path: screenshotPath("host-key-mismatch"), fullPage: true });

  // Every later diagnosis is refused without connecting: blocked until an admin re-pins.
  await page.getByTestId("host-hostkey").getByRole("link", { name: "main" }).click();
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(
    page.getByRole("alert").filter({ hasText: "blocked until an admin verifies the new key" }),
  ).toBeVisible({ timeout: 30_000 });
});

test("drift: a step approved for one process table is refused after it changed; the new step needs its own approval", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  await page.goto("/hosts");
  const form = page.getByRole("form", { name: "Add a host" });
  await fillHostForm(page, "drift", driftLab);
  await form.getByRole("button", { name: "Add host" }).click();
  await expect(page.getByTestId("host-added")).toBeVisible({ timeout: 30_000 });
  await addInstance(page, "drift", driftPg);

  await page.getByTestId("instance-added").getByRole("link").click();
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText(/zombies-unreaped|postmaster-stopped/, {
    timeout: 60_000,
  });
  await page.getByRole("button", { name: "Open incident" }).click();
  await expect(page).toHaveURL(/\/incidents\/[a-z0-9]+$/, { timeout: 60_000 });

  // Rung 3 (kill the verified processes), proposed with a reason and approved with the typed confirmation.
  const propose = page.getByRole("form", { name: "Propose a rung" });
  await propose.getByLabel("Rung").selectOption("3");
  await propose.getByLabel(/^Reason/).fill("e2e: drift between approval and run must be refused");
  await propose.getByRole("button", { name: /^Propose rung/ }).click();
  await expect(propose.getByRole("status")).toContainText(/Proposed as step \d+/);
  const rung3Seq = Number(/step (\d+)/.exec(await propose.getByRole("status").innerText())?.[1]);
  const rung3 = page.locator(`[data-testid="open-step"][data-seq="${String(rung3Seq)}"]`);
  await expect(rung3).toHaveAttribute("data-rung", "3");
  const dialog = page.getByRole("dialog");
  await rung3.getByRole("button", { name: "Approve…" }).click();
  await dialog.getByLabel(/Type the instance's name/).fill("main");
  await dialog.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(rung3).toHaveAttribute("data-status", "APPROVED");

  // The host changes after the approval: the checkpointer dies (and stays <defunct> under the stopped postmaster).
  const found = await driftLab.exec(
    "ps -eo pid=,args= | awk '/postgres: .*[c]heckpointer/ {print $1}'",
  );
  const checkpointer = Number(found.stdout.trim().split("\n")[0]);
  expect(checkpointer, found.stdout + found.stderr).toBeGreaterThan(1);
  expect(broken.postmasterPid).not.toBe(checkpointer);
  const killed = await driftLab.exec(`kill -KILL ${String(checkpointer)}`);
  expect(killed.code, killed.stderr).toBe(0);

  // Run: the script re-verifies every target on the host first and refuses; nothing is changed.
  await rung3.getByRole("button", { name: "Run", exact: true }).click();
  const outcome = page.getByTestId("run-outcome");
  await expect(outcome).toContainText(`Step ${String(rung3Seq)} (rung 3) refused`, {
    timeout: 120_000,
  });
  const refused = page.locator(`[data-seq="${String(rung3Seq)}"]`).first();
  await expect(refused).toHaveAttribute("data-status", "REFUSED");
  await expect(refused.getByTestId("step-error")).toContainText(
    "Refused on the host: nothing was changed",
  );
  await expect(refused.getByTestId("step-error")).toContainText(
    `PID ${String(checkpointer)} (checkpointer) has exited since the diagnosis`,
  );
  const next = /Next: step (\d+)/.exec(await outcome.innerText())?.[1];
  expect(next, await outcome.innerText()).toBeDefined();
  const nextStep = page.locator(`[data-testid="open-step"][data-seq="${String(next)}"]`);
  await expect(nextStep).toHaveAttribute("data-status", "PROPOSED");
  await expect(nextStep.getByRole("button", { name: "Approve…" })).toBeVisible();
  await expect(nextStep.getByRole("button", { name: "Run", exact: true })).toHaveCount(0);
  await page.screenshot({ path: screenshotPath("drift-refused"), fullPage: true });
  // The postmaster was not touched by the refused step: still there, still stopped.
  const postmaster = await driftLab.exec(`ps -o stat= -p ${String(broken.postmasterPid)}`);
  expect(postmaster.stdout.trim()).toMatch(/^T/);

  // Approve and run the new steps until the instance is healthy.
  let verdict = "";
  for (let round = 0; round < 8 && verdict !== "healthy"; round += 1) {
    const step = page.locator('[data-testid="open-step"]');
    if ((await step.count()) === 0) {
      verdict = await diagnoseAgain(page);
      continue;
    }
    const seq = Number(await step.getAttribute("data-seq"));
    await approveOpenStep(page, step, "main");
    await step.getByRole("button", { name: "Run", exact: true }).click();
    await expect(outcome).toContainText(`Step ${String(seq)} (rung`, { timeout: 180_000 });
    await expect(outcome).toContainText("succeeded, exit code 0");
    verdict = await page.getByTestId("run-outcome-verdict").innerText();
    await expect(page.getByText("The step finished; diagnosing again")).toBeHidden({
      timeout: 30_000,
    });
    const following = /Next: step (\d+)/.exec(await outcome.innerText())?.[1];
    if (following !== undefined)
      await expect(
        page.locator(`[data-testid="open-step"][data-seq="${following}"]`),
      ).toBeVisible();
  }
  expect(verdict).toBe("healthy");
  await expect(page.getByTestId("current-verdict")).toHaveText("healthy");
  const check = await driftLab.exec(
    `'${driftPg.binDir}/psql' -X -At -h '${driftPg.socketDir}' -p ${String(driftPg.port)} -U postgres -d postgres -c 'select 42'`,
    { user: "postgres" },
  );
  expect(check.stdout.trim()).toBe("42");
});
