// Sign-in with e-mail and password: refusals, the httpOnly session cookie, the origin check, sign-out; an admin
// creating people in the Users page; and what each role may do — in the pages and at the API.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { BASE_URL, E2E_ADMIN, screenshotPath, signInThroughApi, trpcMutation } from "../support.ts";

const COOKIE = "pgrescue.session_token";

test("signs in with e-mail and password into an httpOnly cookie, refuses other origins, and signs out", async ({
  page,
  context,
}) => {
  await page.goto("/hosts");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fhosts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();

  await page.getByLabel("E-mail").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill("not the right password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText(
    "The e-mail or the password is not correct.",
  );
  await page.screenshot({ path: screenshotPath("sign-in-refused") });

  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/hosts$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(E2E_ADMIN.email);
  await expect(page.getByTestId("signed-in-role")).toHaveText("admin");

  // The session lives only in an httpOnly, SameSite=Strict cookie: page scripts cannot read it.
  const session = (await context.cookies()).find((cookie) => cookie.name === COOKIE);
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
  expect(await page.evaluate(() => document.cookie)).not.toContain(COOKIE);

  // The cookie authenticates reads; a mutation with it must come from the console's own origin.
  expect((await page.request.get("/api/trpc/users.me")).status()).toBe(200);
  const forged = await page.request.post("/api/trpc/tokens.create", {
    data: { json: { name: "forged" } },
    headers: { origin: "https://evil.example" },
  });
  expect(forged.status()).toBe(401);
  const forgedSignOut = await page.request.post("/api/auth/sign-out", {
    data: {},
    headers: { origin: "https://evil.example" },
  });
  expect(forgedSignOut.status()).toBe(403);
  expect((await page.request.get("/api/trpc/users.me")).status()).toBe(200);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect((await context.cookies()).find((cookie) => cookie.name === COOKIE)).toBeUndefined();
  await page.goto("/history");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fhistory$/);
  await page.screenshot({ path: screenshotPath("sign-in") });
});

async function signedInPage(
  browser: Browser,
  user: { email: string; password: string },
): Promise<Page> {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: { width: 1280, height: 720 },
  });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(user.email);
  return page;
}

test("an admin creates a viewer in the Users page; the viewer sees and may do only what a viewer may; disabling signs them out", async ({
  page,
  browser,
}) => {
  const stamp = String(Date.now());
  const viewer = { email: `viewer-${stamp}@e2e.example`, password: "viewer's long passphrase" };
  await signInThroughApi(page);
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("E-mail").fill(viewer.email);
  await form.getByLabel("Name").fill("Morning reader");
  await form.getByLabel("Role").selectOption("VIEWER");
  await form.getByLabel("First password").fill("too short");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form).toContainText("at least 12 characters");
  await form.getByLabel("First password").fill(viewer.password);
  await form.getByRole("button", { name: "Create user" }).click();
  const row = page.locator(`[data-testid="user-row"][data-email="${viewer.email}"]`);
  await expect(row).toContainText("active");
  await page.screenshot({ path: screenshotPath("users") });

  const viewerPage = await signedInPage(browser, viewer);
  await expect(viewerPage.getByTestId("signed-in-role")).toHaveText("viewer");
  const nav = viewerPage.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Hosts" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
  await viewerPage.goto("/hosts");
  await expect(
    viewerPage.getByText("Adding hosts and instances needs the admin role; you are viewer."),
  ).toBeVisible();
  await expect(viewerPage.getByRole("form", { name: "Add a host" })).toHaveCount(0);
  await viewerPage.goto("/admin/users");
  await expect(viewerPage.getByTestId("users-forbidden")).toBeVisible();
  // the API refuses as well, whatever the page shows
  const refused = await viewerPage.request.post("/api/trpc/users.create", {
    data: {
      json: {
        email: "x@e2e.example",
        name: "x",
        role: "ADMIN",
        password: "a password long enough",
      },
    },
    headers: { origin: BASE_URL },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("this needs the admin role");
  await viewerPage.screenshot({ path: screenshotPath("viewer-users-forbidden") });

  // the viewer makes an API token for their CLI under Account
  await viewerPage.goto("/account");
  await viewerPage.getByLabel("New token's name").fill("laptop CLI");
  await viewerPage.getByRole("button", { name: "Create token" }).click();
  await expect(viewerPage.getByTestId("new-api-token")).toContainText("pgr_");
  await expect(viewerPage.getByTestId("api-token-row")).toContainText("laptop CLI");

  // the admin disables the viewer: their open page loses its session at the next request
  await row.getByRole("button", { name: `Disable ${viewer.email}` }).click();
  await expect(row).toContainText("disabled");
  expect((await viewerPage.request.get("/api/trpc/users.me")).status()).toBe(401);
  await viewerPage.goto("/hosts");
  await expect(viewerPage).toHaveURL(/\/sign-in/);
  await viewerPage.context().close();
});

test("an operator is refused approvals and policy changes at the API (the incident page is checked in zombies.spec)", async ({
  page,
  browser,
}) => {
  const stamp = String(Date.now());
  const operator = { email: `operator-${stamp}@e2e.example`, password: "operator's passphrase" };
  await signInThroughApi(page);
  await trpcMutation(page, "users.create", {
    ...operator,
    name: "Night operator",
    role: "OPERATOR",
  });
  const operatorPage = await signedInPage(browser, operator);
  await expect(operatorPage.getByTestId("signed-in-role")).toHaveText("operator");
  const approve = await operatorPage.request.post("/api/trpc/steps.approve", {
    data: { json: { stepId: "no-such-step" } },
    headers: { origin: BASE_URL },
  });
  expect(approve.status()).toBe(403);
  expect(await approve.text()).toContain("this needs the approver role");
  const policy = await operatorPage.request.post("/api/trpc/policy.update", {
    data: { json: { fourEyesRungs: [], approvalTtlMinutes: 5 } },
    headers: { origin: BASE_URL },
  });
  expect(policy.status()).toBe(403);
  await operatorPage.context().close();
});
