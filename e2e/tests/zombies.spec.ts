// The runbook's case end to end in the browser, against a real lab host (own PID/IPC namespaces, sshd,
// PostgreSQL 15): the postmaster is SIGSTOPped and two killed backends stay <defunct>. Add the host and the
// instance, diagnose, open an incident, approve and run each proposed step while its output streams, end
// healthy, close, find it in the history and download the report. Negative paths: a wrong SSH key, and an
// approval refused for a wrong typed confirmation.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { startLabHost, type TLabHost, type TLabInstance, type TScenarioState } from "@pgrescue/lab";
import { expect, test, type Page } from "@playwright/test";
import {
  approveOpenStep,
  BASE_URL,
  diagnoseAgain,
  DOWNLOADS_DIR,
  screenshotPath,
  signInThroughApi,
  trpcMutation,
} from "../support.ts";

test.describe.configure({ mode: "serial" });

let lab: TLabHost;
let pg: TLabInstance;
let broken: TScenarioState;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await startLabHost({ name: "e2e-zombies" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  broken = await lab.breakInstance(pg, "zombies");
});

test.afterAll(async () => {
  await lab.stop();
});

const target = () => `postgres@${lab.ssh.host}:${String(lab.ssh.port)}`;

async function fillHostForm(page: Page, privateKey: string): Promise<void> {
  const form = page.getByRole("form", { name: "Add a host" });
  await form.getByLabel("Name").fill("lab");
  await form.getByLabel("SSH target").fill(target());
  await form.getByRole("radio", { name: "Private key" }).check();
  await form.getByRole("textbox", { name: "Private key" }).fill(privateKey);
  await expect(
    form.getByRole("checkbox", { name: /Accept the key the host presents/ }),
  ).toBeChecked();
  await form.getByRole("button", { name: "Add host" }).click();
}

/** Proposes a rung in the incident's form and waits until that step is the open one; returns its number. */
async function proposeRung(page: Page, rung: number, reason?: string): Promise<number> {
  const form = page.getByRole("form", { name: "Propose a rung" });
  const before =
    (await form.getByRole("status").count()) > 0 ? await form.getByRole("status").innerText() : "";
  await form.getByLabel("Rung").selectOption(String(rung));
  if (reason !== undefined) await form.getByLabel(/^Reason/).fill(reason);
  await form.getByRole("button", { name: /^Propose rung/ }).click();
  const status = form.getByRole("status");
  await expect(status).toContainText(/Proposed as step \d+/);
  await expect(status).not.toHaveText(before);
  const seq = Number(/step (\d+)/.exec(await status.innerText())?.[1]);
  await expect(
    page.locator(`[data-testid="open-step"][data-seq="${String(seq)}"]`),
  ).toHaveAttribute("data-rung", String(rung));
  return seq;
}

test("input the API rejects is shown at its field; a wrong SSH key is refused with AUTH_FAILED; no host is added", async ({
  page,
}) => {
  await signInThroughApi(page);
  await page.goto("/hosts");
  // Other specs may have added their own hosts to the same console; none of them is called lab.
  await expect(
    page.getByRole("list", { name: "Hosts" }).or(page.getByText("No hosts yet")),
  ).toBeVisible();
  await expect(page.getByTestId("host-lab")).toHaveCount(0);
  const form = page.getByRole("form", { name: "Add a host" });
  await form.getByLabel("Name").fill("not a valid name");
  await form.getByLabel("SSH target").fill(target());
  await form.getByRole("textbox", { name: "Private key" }).fill(lab.logins.postgres.privateKey);
  await form.getByRole("button", { name: "Add host" }).click();
  await expect(form.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Name")).toHaveAccessibleDescription(/a host name is 1–63 letters/);
  await expect(form.getByRole("alert")).toContainText("Some fields need attention");

  // The lab's admin key is a real key, but not one the postgres account accepts.
  await fillHostForm(page, lab.logins.admin.privateKey);
  const alert = page.getByRole("form", { name: "Add a host" }).getByRole("alert");
  await expect(alert).toContainText("AUTH_FAILED", { timeout: 30_000 });
  await expect(alert).toContainText("refused the login");
  await expect(page.getByTestId("host-lab")).toHaveCount(0);
  await page.screenshot({ path: screenshotPath("hosts-wrong-key"), fullPage: true });
});

test("zombies: diagnose, approve and run the ladder to healthy, close, find it in history, export the report", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);

  // Hosts: add the lab host with the postgres key, accepting (and pinning) the key it presents.
  await page.goto("/hosts");
  await fillHostForm(page, lab.logins.postgres.privateKey);
  await expect(page.getByTestId("host-added")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("pinned-fingerprint")).toHaveText(lab.ssh.hostKeyFingerprint);
  await expect(page.getByTestId("host-lab").getByTestId("host-key-fingerprint")).toContainText(
    lab.ssh.hostKeyFingerprint,
  );

  const instanceForm = page.getByRole("form", { name: "Add an instance" });
  await instanceForm.getByLabel("Host").selectOption("lab");
  await instanceForm.getByLabel("Data directory (PGDATA)").fill(pg.pgdata);
  await instanceForm.getByLabel("Bin directory (optional)").fill(pg.binDir);
  await instanceForm.getByLabel("Server log file (optional)").fill(pg.logFile);
  await instanceForm.getByLabel("Name (optional)").fill("main");
  await instanceForm.getByRole("button", { name: "Add instance" }).click();
  await expect(page.getByTestId("instance-added")).toContainText("Added main on lab");
  await expect(page.getByTestId("host-lab")).toContainText("never diagnosed");
  await page.screenshot({ path: screenshotPath("hosts"), fullPage: true });

  // Instance: one read-only diagnosis shows the stopped postmaster and its zombies.
  await page.getByTestId("instance-added").getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("main");
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText(/zombies-unreaped|postmaster-stopped/, {
    timeout: 60_000,
  });
  const postmasterPid = broken.postmasterPid;
  if (postmasterPid === null) throw new Error("the zombies scenario left no postmaster");
  await expect(page.getByTestId(`process-${String(postmasterPid)}`)).toHaveAttribute(
    "data-state",
    "T",
  );
  for (const zombie of broken.zombiePids) {
    await expect(page.getByTestId(`process-${String(zombie)}`)).toHaveAttribute("data-state", "Z");
  }
  if (broken.shm !== null) {
    await expect(page.getByTestId(`ipc-shm-${String(broken.shm.shmid)}`)).toContainText("ours");
  }
  await expect(page.getByTestId("pg-isready")).toContainText("no-response");
  await expect(page.getByTestId("recommended-rung")).toHaveText("0 (first aid)");
  await page.screenshot({ path: screenshotPath("instance-diagnosis"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({
    path: screenshotPath("instance-diagnosis-dark"),
    animations: "disabled",
  });
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByRole("button", { name: "Show raw probe output" }).click();
  await expect(page.getByTestId("raw-probe-stdout")).toContainText("@@pgrescue:");

  // Incident: the recommended first aid is proposed with its exact command.
  await page.getByRole("button", { name: "Open incident" }).click();
  await expect(page).toHaveURL(/\/incidents\/[a-z0-9]+$/, { timeout: 60_000 });
  const openStep = page.getByTestId("open-step");
  await expect(openStep).toHaveAttribute("data-rung", "0");
  await expect(openStep.getByTestId("step-commands")).toHaveText(
    `kill -CONT ${String(postmasterPid)}`,
  );
  await page.screenshot({ path: screenshotPath("incident-proposed") });

  // Role restriction: an operator sees the same step, without the approve control, and why.
  const operator = {
    email: `operator-${String(Date.now())}@e2e.example`,
    password: "operator's passphrase",
  };
  await trpcMutation(page, "users.create", {
    ...operator,
    name: "Night operator",
    role: "OPERATOR",
  });
  const operatorContext = await page.context().browser()?.newContext({ baseURL: BASE_URL });
  if (operatorContext === undefined) throw new Error("no browser for a second context");
  const operatorPage = await operatorContext.newPage();
  await signInThroughApi(operatorPage, operator);
  await operatorPage.goto(page.url());
  const operatorStep = operatorPage.getByTestId("open-step");
  await expect(operatorStep).toHaveAttribute("data-rung", "0");
  await expect(
    operatorPage.getByText("Approving needs the approver role; you are operator."),
  ).toBeVisible();
  await expect(operatorStep.getByRole("button", { name: "Approve…" })).toHaveCount(0);
  await operatorPage.screenshot({ path: screenshotPath("incident-operator-cannot-approve") });
  await operatorContext.close();

  // A refused approval: rung 3 (with a reason, it skips the recommendation) and a wrong typed confirmation.
  const rung3 = await proposeRung(
    page,
    3,
    "e2e: the approval with a wrong confirmation must be refused",
  );
  await openStep.getByRole("button", { name: "Approve…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(/Type the instance's name/).fill("mian");
  await dialog.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "the confirmation does not match: type the instance's name exactly (main)",
  );
  await page.screenshot({ path: screenshotPath("approval-refused") });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.locator(`[data-testid="open-step"][data-seq="${String(rung3)}"]`),
  ).toHaveAttribute("data-status", "PROPOSED");
  await expect(page.getByTestId("timeline")).toContainText(
    "approval of rung 3 refused: the confirmation does not match",
  );

  // Back to the recommendation, then approve and run each proposed step until the instance is healthy.
  await proposeRung(page, 0);
  let verdict = "";
  let runs = 0;
  for (let round = 0; round < 6 && verdict !== "healthy"; round += 1) {
    const step = page.locator('[data-testid="open-step"]');
    if ((await step.count()) === 0) {
      verdict = await diagnoseAgain(page);
      continue;
    }
    const seq = Number(await step.getAttribute("data-seq"));
    await approveOpenStep(page, step, "main");
    await step.getByRole("button", { name: "Run", exact: true }).click();
    // The script's output arrives over the live event stream (SSE) as the host prints it.
    const output = page
      .locator(`[data-seq="${String(seq)}"]`)
      .first()
      .getByTestId("step-output");
    await expect(output).toContainText("@@pgrescue:end", { timeout: 120_000 });
    await expect(output).not.toHaveAttribute("data-live-chunks", "0");
    if (runs === 0) await page.screenshot({ path: screenshotPath("incident-step-output") });
    runs += 1;
    const outcome = page.getByTestId("run-outcome");
    await expect(outcome).toContainText(`Step ${String(seq)} (rung`, { timeout: 180_000 });
    await expect(outcome).toContainText("succeeded, exit code 0");
    verdict = await page.getByTestId("run-outcome-verdict").innerText();
    // Let the page settle on what the run planned next before looking for the next step.
    await expect(page.getByText("The step finished; diagnosing again")).toBeHidden({
      timeout: 30_000,
    });
    const next = /Next: step (\d+)/.exec(await outcome.innerText())?.[1];
    if (next !== undefined)
      await expect(page.locator(`[data-testid="open-step"][data-seq="${next}"]`)).toBeVisible();
  }
  expect(verdict).toBe("healthy");
  await expect(page.getByTestId("current-verdict")).toHaveText("healthy");
  const lastStep = page.getByTestId("last-step");
  await expect(lastStep).toHaveAttribute("data-status", "SUCCEEDED");
  await expect(lastStep.getByTestId("step-output")).toContainText(
    `@@pgrescue:action kill pid=${String(postmasterPid)} signal=CONT result=ok`,
  );
  await page.screenshot({ path: screenshotPath("incident-healthy"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: screenshotPath("incident-healthy-dark"), animations: "disabled" });
  await page.emulateMedia({ colorScheme: "light" });

  // The host itself: the instance answers a real query again, and the zombies are gone.
  const check = await lab.exec(
    `'${pg.binDir}/psql' -X -At -h '${pg.socketDir}' -p ${String(pg.port)} -U postgres -d postgres -c 'select 42'`,
    { user: "postgres" },
  );
  expect(check.stdout.trim()).toBe("42");
  const left = (await lab.captureState()).processes.filter(
    (process) => broken.zombiePids.includes(process.pid) && process.state === "Z",
  );
  expect(left).toEqual([]);

  // Close with an outcome and a summary.
  const closeForm = page.getByRole("form", { name: "Close the incident" });
  await expect(closeForm.getByLabel("Outcome")).toHaveValue("RECOVERED");
  await closeForm
    .getByLabel("Summary")
    .fill("SIGCONT to the stopped postmaster; it reaped its zombies (e2e).");
  await closeForm.getByRole("button", { name: "Close the incident" }).click();
  await expect(page.getByTestId("incident-status")).toHaveText("CLOSED");
  await expect(page.getByTestId("incident-closed")).toContainText("Recovered");
  const incidentUrl = page.url();

  // History: find it with filters, open its timeline.
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "History" })
    .click();
  const filters = page.getByRole("form", { name: "Filter incidents" });
  await filters.getByLabel("Host").selectOption("lab");
  await filters.getByLabel("Status").selectOption("CLOSED");
  await filters.getByLabel("Outcome").selectOption("RECOVERED");
  await filters.getByLabel("Text").fill("zombie");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/status=CLOSED/);
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("lab:main");
  await expect(rows.first()).toContainText("Recovered");
  await page.screenshot({ path: screenshotPath("history"), fullPage: true });
  await filters.getByLabel("Outcome").selectOption("ABORTED");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByText("No incident matches these filters")).toBeVisible();
  await page.goBack();
  await expect(rows).toHaveCount(1);
  await rows.first().getByRole("link").click();
  await expect(page).toHaveURL(incidentUrl);
  await expect(page.getByTestId("timeline")).toContainText("closed the incident: RECOVERED");

  // The Markdown report: downloaded as a file with the exact commands and the audit trail.
  mkdirSync(DOWNLOADS_DIR, { recursive: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download report (Markdown)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.md$/);
  const reportPath = path.join(DOWNLOADS_DIR, download.suggestedFilename());
  await download.saveAs(reportPath);
  const report = readFileSync(reportPath, "utf8");
  expect(report).toContain(`kill -CONT ${String(postmasterPid)}`);
  expect(report).toContain("## Audit trail");
  expect(report).toContain("SIGCONT to the stopped postmaster");
});
