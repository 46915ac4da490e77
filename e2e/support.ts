// Shared by the e2e specs and the config: the console's address, the first admin's password and API token,
// where artifacts go, and signing in through the console's auth route (what the sign-in form does).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, type Locator, type Page } from "@playwright/test";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3107);
export const BASE_URL = `http://127.0.0.1:${String(E2E_PORT)}`;

/** PGRESCUE_BOOTSTRAP_TOKEN of the console under test (the first admin's API token): pgr_ + 43 base64url characters. */
export const E2E_TOKEN = "pgr_e2eFixedBootstrapToken-for-the-console-0000";

export const ARTIFACTS_DIR = path.join(import.meta.dirname, "artifacts");
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, "screenshots");
export const DOWNLOADS_DIR = path.join(ARTIFACTS_DIR, "downloads");
/** The console's embedded store (wiped at each start) and Playwright's results: one per port, so runs on
 * different E2E_PORTs at the same time do not delete each other's store. */
export const STORE_DIR = path.join(
  ARTIFACTS_DIR,
  process.env.E2E_PORT === undefined ? "store" : `store-${String(E2E_PORT)}`,
);
export const RESULTS_DIR = path.join(
  ARTIFACTS_DIR,
  process.env.E2E_PORT === undefined ? "results" : `results-${String(E2E_PORT)}`,
);

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return path.join(SCREENSHOTS_DIR, `${name}.png`);
}

/** The first admin, created from PGRESCUE_ADMIN_EMAIL/PASSWORD at the console's first start. */
export const E2E_ADMIN = { email: "admin@e2e.example", password: "e2e first admin passphrase" };

/** Signs in as the sign-in form does (POST /api/auth/sign-in/email): the httpOnly session cookie lands in the page's browser context. */
export async function signInThroughApi(
  page: Page,
  user: { email: string; password: string } = E2E_ADMIN,
): Promise<void> {
  const response = await page.request.post("/api/auth/sign-in/email", {
    data: { email: user.email, password: user.password },
    headers: { origin: BASE_URL },
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** Approves the incident page's open step through the dialog, typing the instance's name when the rung asks for it. */
export async function approveOpenStep(
  page: Page,
  step: Locator,
  instanceName: string,
): Promise<void> {
  const dialog = page.getByRole("dialog");
  await step.getByRole("button", { name: "Approve…" }).click();
  const confirm = dialog.getByLabel(/Type the instance's name/);
  if ((await confirm.count()) > 0) await confirm.fill(instanceName);
  await dialog.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(step).toHaveAttribute("data-status", "APPROVED");
}

/** Nothing proposed yet (e.g. crash recovery after SIGCONT): wait, diagnose again, and return the current verdict. */
export async function diagnoseAgain(page: Page): Promise<string> {
  await page.waitForTimeout(2_000);
  await page.getByRole("button", { name: "Diagnose again" }).click();
  await expect(page.getByTestId("rediagnosis-result")).toBeVisible({ timeout: 60_000 });
  return page.getByTestId("current-verdict").innerText();
}

/** A tRPC mutation over HTTP with the page's session cookie (superjson wire format); fails the test on an error answer. */
export async function trpcMutation<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await page.request.post(`/api/trpc/${procedure}`, {
    data: { json: input },
    headers: { origin: BASE_URL },
  });
  const body = await response.text();
  expect(response.status(), `${procedure}: ${body}`).toBe(200);
  return (JSON.parse(body) as { result: { data: { json: T } } }).result.data.json;
}

/** A tRPC query over HTTP with the page's session cookie; dates arrive as ISO strings. */
export async function trpcQuery<T>(page: Page, procedure: string, input?: unknown): Promise<T> {
  const query =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await page.request.get(`/api/trpc/${procedure}${query}`);
  const body = await response.text();
  expect(response.status(), `${procedure}: ${body}`).toBe(200);
  return (JSON.parse(body) as { result: { data: { json: T } } }).result.data.json;
}

/** What addLabInstanceThroughApi needs of a lab host and its instance (structurally @pgrescue/lab's types). */
type TLabTarget = {
  ssh: { host: string; port: number; hostKeyFingerprint: string };
  logins: { postgres: { privateKey: string } };
};
type TLabPg = { pgdata: string; binDir: string; logFile: string };

/** Adds a lab host (postgres key, its host key pinned) and its instance "main" through the API; returns the instance id. */
export async function addLabInstanceThroughApi(
  page: Page,
  hostName: string,
  lab: TLabTarget,
  pg: TLabPg,
): Promise<string> {
  await trpcMutation(page, "hosts.add", {
    name: hostName,
    address: lab.ssh.host,
    port: lab.ssh.port,
    sshUser: "postgres",
    auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
    hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
  });
  const instance = await trpcMutation<{ id: string }>(page, "instances.add", {
    host: hostName,
    pgdata: pg.pgdata,
    pgBin: pg.binDir,
    logFile: pg.logFile,
    name: "main",
  });
  return instance.id;
}
