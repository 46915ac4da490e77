// History pagination in the browser: a real lab host's instance (PostgreSQL 15) gets more incidents than one page
// holds, each opened with a real diagnosis and closed through the API. Filtered by host and outcome (kept in the
// URL), the page shows the newest page; "Load more" appends the older ones, distinct and in order; a reload keeps
// the filters and starts over at the first page.
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { expect, test, type Page } from "@playwright/test";
import {
  addLabInstanceThroughApi,
  screenshotPath,
  signInThroughApi,
  trpcMutation,
  trpcQuery,
} from "../support.ts";

test.describe.configure({ mode: "serial" });

/** PAGE_SIZE of apps/web/src/components/history/history-page.tsx */
const PAGE_SIZE = 25;
const MATCHING = PAGE_SIZE + 3;
const HOST = "history-lab";

let lab: TLabHost;
let pg: TLabInstance;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await startLabHost({ name: "e2e-history" });
  pg = await lab.createInstance({ name: "main", major: 15 });
});

test.afterAll(async () => {
  await lab.stop();
});

type TListed = { items: { id: string; openedAt: string }[]; nextCursor: string | null };

/** Opens an incident (one real diagnosis over SSH) and closes it with the outcome. */
async function openAndClose(page: Page, instanceId: string, outcome: string, summary: string) {
  const opened = await trpcMutation<{ incident: { id: string } }>(page, "incidents.open", {
    instanceId,
  });
  await trpcMutation(page, "incidents.close", {
    incidentId: opened.incident.id,
    outcome,
    summary,
  });
  return opened.incident.id;
}

/** The incident ids of the table's rows, in order (from their links). */
async function rowIds(page: Page): Promise<string[]> {
  const hrefs = await page
    .getByTestId("history-row")
    .getByRole("link")
    .evaluateAll((links) => links.map((link) => link.getAttribute("href") ?? ""));
  return hrefs.map((href) => href.replace("/incidents/", ""));
}

async function rowOpenedAt(page: Page): Promise<number[]> {
  const times = await page
    .getByTestId("history-row")
    .locator("td:first-child time")
    .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("datetime") ?? ""));
  return times.map((iso) => Date.parse(iso));
}

test("history: Load more appends older incidents, filters in the URL survive a reload", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  const instanceId = await addLabInstanceThroughApi(page, HOST, lab, pg);
  const created: string[] = [];
  for (let index = 0; index < MATCHING; index += 1) {
    created.push(
      await openAndClose(page, instanceId, "FALSE_ALARM", `e2e pagination ${String(index)}`),
    );
    // Two that the outcome filter must leave out, among the others.
    if (index === 3 || index === 20) {
      await openAndClose(page, instanceId, "ABORTED", `e2e pagination, aborted ${String(index)}`);
    }
  }
  const newestFirst = [...created].reverse();

  await page.goto(`/history?host=${HOST}&outcome=FALSE_ALARM`);
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(PAGE_SIZE);
  await expect(page.getByText(`${String(PAGE_SIZE)} incidents shown`)).toBeVisible();
  const firstPage = await rowIds(page);
  expect(firstPage).toEqual(newestFirst.slice(0, PAGE_SIZE));
  // The same page as the API gives for the same filters.
  const apiFirst = await trpcQuery<TListed>(page, "incidents.list", {
    host: HOST,
    outcome: "FALSE_ALARM",
    limit: PAGE_SIZE,
  });
  expect(apiFirst.items.map((item) => item.id)).toEqual(firstPage);
  // Local time on the page, UTC on hover.
  const opened = rows.first().locator("td:first-child time");
  await expect(opened).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await expect(opened).not.toContainText("UTC");

  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(MATCHING);
  await expect(page.getByText(`${String(MATCHING)} incidents shown`)).toBeVisible();
  await expect(page.getByText("That is all.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  const all = await rowIds(page);
  expect(all.slice(0, PAGE_SIZE), "the first page stays as it was").toEqual(firstPage);
  const appended = all.slice(PAGE_SIZE);
  expect(appended).toEqual(newestFirst.slice(PAGE_SIZE));
  expect(appended.filter((id) => firstPage.includes(id))).toEqual([]);
  const openedAt = await rowOpenedAt(page);
  expect(openedAt).toEqual([...openedAt].sort((a, b) => b - a));
  expect(Math.max(...openedAt.slice(PAGE_SIZE))).toBeLessThanOrEqual(
    Math.min(...openedAt.slice(0, PAGE_SIZE)),
  );
  for (const row of await rows.all()) {
    await expect(row).toContainText(`${HOST}:main`);
    await expect(row).toContainText("False alarm");
  }
  await page.screenshot({ path: screenshotPath("history-load-more"), fullPage: true });

  // A reload keeps the filters (URL and form) and shows the first page again.
  await page.reload();
  await expect(page).toHaveURL(/\/history\?host=history-lab&outcome=FALSE_ALARM$/);
  const filters = page.getByRole("form", { name: "Filter incidents" });
  await expect(filters.getByLabel("Host")).toHaveValue(HOST);
  await expect(filters.getByLabel("Outcome")).toHaveValue("FALSE_ALARM");
  await expect(rows).toHaveCount(PAGE_SIZE);
  expect(await rowIds(page)).toEqual(firstPage);

  // The outcome filter really filters: the two aborted ones are all there is of that outcome.
  await filters.getByLabel("Outcome").selectOption("ABORTED");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/outcome=ABORTED/);
  await expect(rows).toHaveCount(2);
  await expect(page.getByText("That is all.")).toBeVisible();
});
