// "Try it on a lab host" in the browser: the admin creates the demo (a detached lab host "demo" with PostgreSQL
// broken by the zombies scenario), lands on its instance page and diagnoses zombies-unreaped. Nothing is left behind.
import { listLabHosts, stopLabHost } from "@pgrescue/lab";
import { expect, test } from "@playwright/test";
import { BASE_URL, screenshotPath, signInThroughApi } from "../support.ts";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ browser }) => {
  // Remove the demo host from the console (other specs start from an empty hosts page), then make sure
  // the detached lab host is gone even if that failed.
  const page = await browser.newPage();
  try {
    await signInThroughApi(page);
    await page.request.post("/api/trpc/demo.remove", {
      data: { json: null },
      headers: { origin: BASE_URL },
    });
  } finally {
    await page.close();
    if ((await listLabHosts()).some((host) => host.name === "demo")) await stopLabHost("demo");
  }
});

test("try it on a lab host: create the demo, land on its instance, diagnose zombies, break it again", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  await page.goto("/");
  await page.getByRole("link", { name: "Try it on a lab host" }).click();
  await expect(page).toHaveURL(/\/demo$/);
  await page.getByRole("button", { name: "Try it on a lab host" }).click();
  await expect(page).toHaveURL(/\/instances\/[a-z0-9]+$/, { timeout: 180_000 });
  await expect(page.getByRole("heading", { level: 1 })).toContainText("main on demo");

  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText("zombies-unreaped", {
    timeout: 60_000,
  });
  await expect(page.getByTestId("recommended-rung")).toHaveText("0 (first aid)");
  await page.screenshot({ path: screenshotPath("demo"), fullPage: true });

  // The demo exists now: the page offers to break it again instead of creating another one.
  await page.goto("/demo");
  await expect(page.getByRole("button", { name: "Try it on a lab host" })).toHaveCount(0);
  await page.getByRole("button", { name: "Break the demo instance again" }).click();
  await expect(page).toHaveURL(/\/instances\/[a-z0-9]+$/, { timeout: 120_000 });
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText("zombies-unreaped", {
    timeout: 60_000,
  });
});
