// "Changes since the previous diagnosis" on the instance page, against a real lab host (PostgreSQL 15): diagnose a
// healthy instance, break it the runbook's way (zombies), diagnose again and read what changed.
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { expect, test } from "@playwright/test";
import { addLabInstanceThroughApi, screenshotPath, signInThroughApi } from "../support.ts";

test.describe.configure({ mode: "serial" });

let lab: TLabHost;
let pg: TLabInstance;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await startLabHost({ name: "e2e-changes" });
  pg = await lab.createInstance({ name: "main", major: 15 });
});

test.afterAll(async () => {
  await lab.stop();
});

test("a second diagnosis lists what changed since the first one", async ({ page }) => {
  test.setTimeout(180_000);
  await signInThroughApi(page);
  const instanceId = await addLabInstanceThroughApi(page, "changes-lab", lab, pg);

  await page.goto(`/instances/${instanceId}`);
  const diagnose = page.getByRole("button", { name: "Diagnose", exact: true });
  await diagnose.click();
  await expect(page.getByTestId("verdict-code")).toHaveText("healthy", { timeout: 60_000 });
  // The first diagnosis has nothing to compare with.
  await expect(page.getByTestId("snapshot-changes")).toHaveCount(0);

  const broken = await lab.breakInstance(pg, "zombies");
  await diagnose.click();
  await expect(page.getByTestId("verdict-code")).toHaveText("zombies-unreaped", {
    timeout: 60_000,
  });
  const changes = page.getByTestId("snapshot-changes");
  await expect(
    page.getByRole("heading", { name: /^Changes since the previous diagnosis/ }),
  ).toBeVisible();
  await expect(changes).toContainText("Verdict healthy → zombies-unreaped");
  await expect(changes).toContainText("Recommended none → rung 0");
  await expect(changes).toContainText("Postmaster running → stopped (T)");
  for (const zombie of broken.zombiePids) {
    await expect(changes).toContainText(`Zombie ${String(zombie)} appeared`);
  }
  await expect(changes).toContainText("pg_isready: accepting → no-response");
  await changes.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath("instance-changes"), fullPage: true });

  // After a reload the page compares the stored diagnosis with the one before it, too.
  await page.reload();
  await expect(page.getByTestId("snapshot-changes")).toContainText(
    "Verdict healthy → zombies-unreaped",
  );
});
