// The console on a 1280×720 laptop screen, in light and dark mode: on the main pages (home, hosts, an instance, an
// incident, history, the demo) nothing scrolls sideways, the primary actions lie inside the window's width, and every
// visible text has WCAG contrast against its background (4.5:1, large text 3:1). The empty states of hosts and
// history on the fresh store this run starts with. (This file sorts first, so it runs before any spec adds data.)
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { findLowContrastText, horizontalOverflow } from "../contrast-check.ts";
import {
  addLabInstanceThroughApi,
  screenshotPath,
  signInThroughApi,
  trpcMutation,
  trpcQuery,
} from "../support.ts";

test.describe.configure({ mode: "serial" });

const SCHEMES = ["light", "dark"] as const;

type TPageCheck = {
  name: string;
  path: string;
  /** Shown once the page has its data. */
  ready: (page: Page) => Locator;
  /** The actions a user comes to the page for. */
  actions: (page: Page) => Locator[];
};

let lab: TLabHost;
/** The instance whose incident runs first aid, and one that stays stuck (its page shows the zombies). */
let pg: TLabInstance;
let stuck: TLabInstance;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await startLabHost({ name: "e2e-layout" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  await lab.breakInstance(pg, "zombies");
  stuck = await lab.createInstance({ name: "stuck", major: 15 });
  await lab.breakInstance(stuck, "zombies");
});

test.afterAll(async () => {
  await lab.stop();
});

/** Every layout and contrast problem of one page in one colour scheme, as readable lines. */
async function checkPage(page: Page, check: TPageCheck, scheme: string): Promise<string[]> {
  await page.goto(check.path);
  await expect(check.ready(page)).toBeVisible({ timeout: 30_000 });
  // Nothing hovered: hover colours are not what a reader sees.
  await page.mouse.move(0, 0);
  const where = `${check.name} (${scheme})`;
  const problems: string[] = [];
  const overflow = await horizontalOverflow(page);
  if (overflow.scrollWidth > overflow.clientWidth) {
    problems.push(
      `${where}: scrolls sideways, ${String(overflow.scrollWidth)}px wide in ${String(overflow.clientWidth)}px`,
    );
  }
  for (const action of check.actions(page)) {
    await expect(action).toBeVisible();
    await action.scrollIntoViewIfNeeded();
    const box = await action.boundingBox();
    if (box === null || box.x < 0 || box.x + box.width > overflow.clientWidth) {
      problems.push(
        `${where}: ${String(action)} lies outside the window's width (${JSON.stringify(box)})`,
      );
    }
  }
  for (const failure of await findLowContrastText(page)) {
    problems.push(
      `${where}: "${failure.text}" ${failure.color} on ${failure.background} = ${String(failure.ratio)}:1 < ${String(failure.required)}:1 (${failure.element})`,
    );
  }
  await page.screenshot({ path: screenshotPath(`layout-${check.name}-${scheme}`) });
  return problems;
}

async function checkPages(page: Page, checks: TPageCheck[]): Promise<string[]> {
  const problems: string[] = [];
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const check of checks) problems.push(...(await checkPage(page, check, scheme)));
  }
  await page.emulateMedia({ colorScheme: "light" });
  return problems;
}

const addHostActions = (page: Page) => [
  page.getByRole("button", { name: "Test connection" }),
  page.getByRole("button", { name: "Add host" }),
];

test("fresh store: hosts and history say clearly that there is nothing yet and what to do", async ({
  page,
}) => {
  await signInThroughApi(page);
  const hosts = await trpcQuery<unknown[]>(page, "hosts.list");
  const incidents = await trpcQuery<{ items: unknown[] }>(page, "incidents.list", {});
  expect(
    { hosts: hosts.length, incidents: incidents.items.length },
    "this test needs the fresh store the e2e run starts with (this file sorts first)",
  ).toEqual({ hosts: 0, incidents: 0 });

  await page.goto("/hosts");
  await expect(page.getByText("No hosts yet", { exact: true })).toBeVisible();
  await expect(
    page.getByText(
      "Add the first database host below: pgrescue logs in over SSH and pins its host key.",
    ),
  ).toBeVisible();
  await expect(page.getByRole("form", { name: "Add a host" })).toBeVisible();

  await page.goto("/history");
  await expect(page.getByText("No incidents yet", { exact: true })).toBeVisible();
  await expect(
    page.getByText("Incidents appear here once someone opens one from an instance page."),
  ).toBeVisible();
  await expect(page.getByTestId("history-table")).toHaveCount(0);

  const problems = await checkPages(page, [
    {
      name: "hosts-empty",
      path: "/hosts",
      ready: (p) => p.getByText("No hosts yet", { exact: true }),
      actions: addHostActions,
    },
    {
      name: "history-empty",
      path: "/history",
      ready: (p) => p.getByText("No incidents yet", { exact: true }),
      actions: (p) => [p.getByRole("button", { name: "Apply filters" })],
    },
  ]);
  expect(problems).toEqual([]);
});

test("1280×720, light and dark: no sideways scrolling, actions in reach, readable contrast on the main pages", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  // Data for every page: a host with two instances broken the runbook's way (zombies): one only diagnosed, the
  // other with an incident whose first aid ran.
  const instanceId = await addLabInstanceThroughApi(page, "layout-lab", lab, pg);
  const stuckId = await trpcMutation<{ id: string }>(page, "instances.add", {
    host: "layout-lab",
    pgdata: stuck.pgdata,
    pgBin: stuck.binDir,
    logFile: stuck.logFile,
    name: "stuck",
  });
  await trpcMutation(page, "instances.diagnose", { instanceId: stuckId.id });
  const opened = await trpcMutation<{ incident: { id: string }; step: { id: string } | null }>(
    page,
    "incidents.open",
    { instanceId },
  );
  const stepId = opened.step?.id;
  if (stepId === undefined) throw new Error("no step was proposed for the zombies");
  await trpcMutation(page, "steps.approve", { stepId });
  await trpcMutation(page, "steps.run", { stepId });
  const incidentPath = `/incidents/${opened.incident.id}`;

  const main = (page: Page) => page.getByRole("main");
  const problems = await checkPages(page, [
    {
      name: "home",
      path: "/",
      ready: (p) => p.getByRole("region", { name: "Console status" }).getByTestId("health-status"),
      actions: (p) => [
        main(p).getByRole("link", { name: "Hosts and instances" }),
        main(p).getByRole("link", { name: "Incident history" }),
        main(p).getByRole("link", { name: "Try it on a lab host" }),
        p.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }),
        p.getByRole("button", { name: "Sign out" }),
      ],
    },
    {
      name: "hosts",
      path: "/hosts",
      ready: (p) => p.getByTestId("host-layout-lab"),
      actions: (p) => [...addHostActions(p), p.getByRole("button", { name: "Add instance" })],
    },
    {
      name: "instance",
      path: `/instances/${stuckId.id}`,
      ready: (p) => p.getByTestId("verdict-code").filter({ hasText: "zombies-unreaped" }),
      actions: (p) => [
        p.getByRole("button", { name: "Diagnose", exact: true }),
        p.getByRole("button", { name: "Open incident" }),
      ],
    },
    {
      name: "incident",
      path: incidentPath,
      ready: (p) => p.getByTestId("last-step").getByTestId("step-output"),
      actions: (p) => [
        p.getByRole("button", { name: "Download report (Markdown)" }),
        p.getByRole("button", { name: "Diagnose again" }),
        p.getByRole("form", { name: "Close the incident" }).getByRole("button", {
          name: "Close the incident",
        }),
      ],
    },
    {
      name: "history",
      path: "/history",
      ready: (p) => p.getByTestId("history-row").first(),
      actions: (p) => [
        p.getByRole("button", { name: "Apply filters" }),
        p.getByTestId("history-row").first().getByRole("link"),
      ],
    },
    {
      name: "demo",
      path: "/demo",
      ready: (p) =>
        p
          .getByRole("button", { name: "Try it on a lab host" })
          .or(p.getByTestId("demo-unavailable")),
      actions: (p) => [
        p
          .getByRole("button", { name: "Try it on a lab host" })
          .or(p.getByTestId("demo-unavailable")),
      ],
    },
  ]);
  expect(problems).toEqual([]);
});
