// Sign-in with an API token: refused tokens, the httpOnly session cookie, who is signed in, sign-out,
// and the Authorization header taking precedence over the cookie.
import { expect, test } from "@playwright/test";
import { E2E_TOKEN, screenshotPath } from "../support.ts";

test("signs in with the API token into an httpOnly cookie, shows who is signed in, and signs out", async ({
  page,
  context,
}) => {
  await page.goto("/hosts");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fhosts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  const token = page.getByLabel("API token");

  await token.fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("that is not an API token");

  await token.fill(`pgr_${"x".repeat(43)}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText(
    "this token is unknown or revoked",
  );
  await page.screenshot({ path: screenshotPath("sign-in-refused") });

  await token.fill(E2E_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/hosts$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText("admin@localhost");
  await expect(page.getByTestId("signed-in-role")).toHaveText("admin");

  // The token lives only in an httpOnly, SameSite=Strict cookie: page scripts cannot read it.
  const session = (await context.cookies()).find((cookie) => cookie.name === "pgrescue_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", value: E2E_TOKEN });
  expect(await page.evaluate(() => document.cookie)).not.toContain(E2E_TOKEN);
  expect(await page.content()).not.toContain(E2E_TOKEN);

  // The cookie authenticates tRPC; an Authorization header, when sent, wins over it.
  const me = await page.request.get("/api/trpc/users.me");
  expect(me.status()).toBe(200);
  const withOtherHeader = await page.request.get("/api/trpc/users.me", {
    headers: { authorization: `Bearer pgr_${"y".repeat(43)}` },
  });
  expect(withOtherHeader.status()).toBe(401);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(
    (await context.cookies()).find((cookie) => cookie.name === "pgrescue_session"),
  ).toBeUndefined();
  await page.goto("/history");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fhistory$/);
  await page.screenshot({ path: screenshotPath("sign-in") });
});
