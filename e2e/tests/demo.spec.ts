// "Try it on a lab host" in the browser: the admin creates the demo (a detached lab host demo-<random> of the
// console's own, with PostgreSQL broken by the zombies scenario), lands on its instance page and diagnoses
// zombies-unreaped, breaks it again and removes it. A lab host named "demo" (a developer's `pnpm lab up`, or one
// this spec starts in its place) runs next to it the whole time and is left exactly as it was.
import {
  listLabHosts,
  startLabHost,
  stopLabHost,
  type TLabHost,
  type TLabHostSummary,
} from "@pgrescue/lab";
import { expect, test } from "@playwright/test";
import { screenshotPath, signInThroughApi, trpcMutation, trpcQuery } from "../support.ts";

test.describe.configure({ mode: "serial" });

type TDemoStatus = {
  host: { id: string; name: string; labHostName: string; labRunning: boolean } | null;
  instanceId: string | null;
};

/** The lab host "demo" of `pnpm lab up`: the developer's if there is one, else started here. */
let bystander: TLabHostSummary;
let ownBystander: TLabHost | null = null;
/** The console's demo lab host, once created (for the clean-up). */
let demoLabHost: string | null = null;

async function findLabHost(name: string): Promise<TLabHostSummary | undefined> {
  return (await listLabHosts()).find((host) => host.name === name);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // Never replace somebody's "demo" (a dead one's files included): only start one where there is none.
  if ((await findLabHost("demo")) === undefined)
    ownBystander = await startLabHost({ name: "demo" });
  const found = await findLabHost("demo");
  if (found === undefined) throw new Error("no lab host demo after starting one");
  bystander = found;
});

test.afterAll(async ({ browser }) => {
  // Remove the demo from the console (other specs start from an empty hosts page), then make sure its
  // detached lab host is gone even if that failed.
  const page = await browser.newPage();
  try {
    await signInThroughApi(page);
    await trpcMutation(page, "demo.remove", null);
  } finally {
    await page.close();
    if (demoLabHost !== null && (await findLabHost(demoLabHost)) !== undefined) {
      await stopLabHost(demoLabHost);
    }
    await ownBystander?.stop();
  }
});

/** The lab host "demo" is still there, the same process, in the same state. */
async function expectBystanderUntouched(): Promise<void> {
  const now = await findLabHost("demo");
  expect(now?.status).toBe(bystander.status);
  expect(now?.initPid).toBe(bystander.initPid);
  expect(now?.sshPort).toBe(bystander.sshPort);
}

test("try it on a lab host: its own lab host next to a 'demo' one, diagnose zombies, break it again, remove it", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  await page.goto("/");
  await page.getByRole("link", { name: "Try it on a lab host" }).click();
  await expect(page).toHaveURL(/\/demo$/);
  await page.getByRole("button", { name: "Try it on a lab host" }).click();
  await expect(page.getByRole("status").filter({ hasText: "random suffix" })).toBeVisible();
  await expect(page).toHaveURL(/\/instances\/[a-z0-9]+$/, { timeout: 180_000 });

  const status = await trpcQuery<TDemoStatus>(page, "demo.status");
  const labHostName = status.host?.labHostName ?? "";
  demoLabHost = labHostName;
  expect(labHostName).toMatch(/^demo-[0-9a-f]{6}$/);
  expect(status.host?.name).toBe(labHostName);
  expect(status.host?.labRunning).toBe(true);
  expect(page.url()).toContain(`/instances/${status.instanceId ?? "?"}`);
  expect((await findLabHost(labHostName))?.detached).toBe(true);
  await expectBystanderUntouched();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`main on ${labHostName}`);

  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText("zombies-unreaped", {
    timeout: 60_000,
  });
  await expect(page.getByTestId("recommended-rung")).toHaveText("0 (first aid)");
  await page.screenshot({ path: screenshotPath("demo"), fullPage: true });

  // The demo exists now: the page names it and offers to break it again instead of creating another one.
  await page.goto("/demo");
  await expect(page.getByTestId("demo-exists")).toContainText(
    `The demo host ${labHostName} exists already (lab host ${labHostName} on this machine)`,
  );
  await expect(page.getByRole("button", { name: "Try it on a lab host" })).toHaveCount(0);
  await page.getByRole("button", { name: "Break the demo instance again" }).click();
  await expect(page).toHaveURL(/\/instances\/[a-z0-9]+$/, { timeout: 120_000 });
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText("zombies-unreaped", {
    timeout: 60_000,
  });
  await expectBystanderUntouched();

  // Removing the demo stops its own lab host and only that one.
  expect(await trpcMutation<{ removed: boolean }>(page, "demo.remove", null)).toEqual({
    removed: true,
  });
  expect(await findLabHost(labHostName)).toBeUndefined();
  await expectBystanderUntouched();
  await page.goto("/demo");
  await expect(page.getByRole("button", { name: "Try it on a lab host" })).toBeVisible();
  await page.goto("/hosts");
  await expect(page.getByTestId(`host-${labHostName}`)).toHaveCount(0);
});
