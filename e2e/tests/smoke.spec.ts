// Smoke: the production home page renders and reports a ready, migrated store.
import { readdirSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";

test("home page shows the console ready with its embedded store", async ({ page }) => {
  await page.goto("/");
  await expect(
    page.getByRole("heading", { level: 1, name: "PostgreSQL rescue console" }),
  ).toBeVisible();
  const status = page.getByRole("region", { name: "Console status" });
  await expect(status.getByTestId("health-status")).toHaveText("ready");
  await expect(status).toContainText("(embedded)");
  const migrations = readdirSync(path.join(import.meta.dirname, "../../prisma/migrations")).filter(
    (name) => /^\d{14}_/.test(name),
  );
  await expect(status).toContainText(`${String(migrations.length)} applied`);
  await page.screenshot({
    path: path.join(import.meta.dirname, "../artifacts/screenshots/home.png"),
    fullPage: true,
  });
});
