// The audit trail in the browser: an admin's policy changes (made through the API) are listed newest first with
// their details, local time with UTC on hover; the action filter lives in the URL and survives a reload; "Load
// more" appends the older events.
import { expect, test } from "@playwright/test";
import { screenshotPath, signInThroughApi, trpcMutation, trpcQuery } from "../support.ts";

/** PAGE_SIZE of apps/web/src/components/admin/audit-page.tsx */
const PAGE_SIZE = 50;
const CHANGES = PAGE_SIZE + 4;

/** The policy as it was before this spec changed it: restored afterwards, so that later specs see the default. */
let policyBefore: unknown = null;

test.afterEach(async ({ page }) => {
  if (policyBefore !== null) await trpcMutation(page, "policy.update", policyBefore);
  policyBefore = null;
});

test("an admin finds their policy changes in the audit trail, filters them, and loads the older ones", async ({
  page,
}) => {
  await signInThroughApi(page);
  const me = await trpcQuery<{ label: string }>(page, "users.me");
  policyBefore = await trpcQuery(page, "policy.get");
  // Each change has its own approval lifetime, so each event says which one it was.
  for (let minutes = 1; minutes <= CHANGES; minutes += 1) {
    await trpcMutation(page, "policy.update", {
      fourEyesRungs: [2, 3],
      approvalTtlMinutes: minutes,
    });
  }

  await page.goto("/hosts");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  await expect(page.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();

  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(PAGE_SIZE);
  const newest = rows.first();
  await expect(newest).toHaveAttribute("data-action", "policy.update");
  await expect(newest).toContainText(me.label);
  await expect(newest).toContainText(`"approvalTtlMinutes":${String(CHANGES)}`);
  const when = newest.locator("time");
  await expect(when).toHaveAttribute("title", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);

  await page.getByLabel("Action").fill("policy.");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/\/admin\/audit\?action=policy\.$/);
  await expect(rows).toHaveCount(PAGE_SIZE);
  await page.reload();
  await expect(page.getByLabel("Action")).toHaveValue("policy.");
  await expect(rows).toHaveCount(PAGE_SIZE);

  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(CHANGES);
  await expect(page.getByText("That is all.")).toBeVisible();
  for (const action of await rows.evaluateAll((elements) =>
    elements.map((element) => element.getAttribute("data-action")),
  ))
    expect(action).toBe("policy.update");
  // Newest first: the oldest change is the last row.
  await expect(rows.last()).toContainText('"approvalTtlMinutes":1}');
  await page.screenshot({ path: screenshotPath("audit-trail"), fullPage: true });

  await page.getByLabel("Who").fill("nobody-like-this");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/actor=nobody-like-this/);
  await expect(page.getByText("No event matches these filters")).toBeVisible();
});
