// Editing a host and re-pinning a changed host key in the browser, against a real lab host (own namespaces, sshd,
// PostgreSQL 15). Edit: the form comes prefilled (no secret shown); a port where nothing listens is refused with the
// reason and changes nothing; switching to the sudo login with a password and a become user is saved after a
// successful connection test. Re-pin: the lab's sshd gets a new host key, Diagnose is refused and the host blocked; a
// viewer is told whom to ask; the admin's panel shows the pinned and the live-presented key side by side, refuses a
// key that changed again after the review, re-pins the current one after the host's name is typed, and Diagnose works
// again.
import { rotateHostKey, startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { expect, test } from "@playwright/test";
import {
  addLabInstanceThroughApi,
  BASE_URL,
  E2E_ADMIN,
  screenshotPath,
  signInThroughApi,
  trpcMutation,
} from "../support.ts";

test.describe.configure({ mode: "serial" });

let lab: TLabHost;
let pg: TLabInstance;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await startLabHost({ name: "e2e-host-edit" });
  pg = await lab.createInstance({ name: "main", major: 15 });
});

test.afterAll(async () => {
  await lab.stop();
});

test("an admin edits a host, and re-pins its changed host key after comparing both fingerprints", async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000);
  await signInThroughApi(page);
  const instanceId = await addLabInstanceThroughApi(page, "edited", lab, pg);
  const target = `postgres@${lab.ssh.host}:${String(lab.ssh.port)}`;
  await page.goto("/hosts");
  const card = page.getByTestId("host-edited");
  await expect(card.getByTestId("host-target")).toHaveText(target);

  // Edit: prefilled with the stored target, the stored key is not shown and may stay empty.
  await card.getByRole("button", { name: "Edit", exact: true }).click();
  const form = card.getByRole("form", { name: "Edit host edited" });
  await expect(form.getByLabel("SSH target")).toHaveValue(target);
  await expect(form.getByLabel("Become user (optional)")).toHaveValue("");
  await expect(form.getByRole("radio", { name: "Private key" })).toBeChecked();
  await expect(form.getByRole("textbox", { name: "New private key (optional)" })).toHaveValue("");

  // A port where nothing listens: the connection test fails, the reason is shown, nothing is changed.
  await form.getByLabel("SSH target").fill(`postgres@${lab.ssh.host}:1`);
  await form.getByRole("button", { name: "Save" }).click();
  const refused = form.getByRole("alert");
  await expect(refused).toContainText("The changes were not saved", { timeout: 30_000 });
  await expect(refused).toContainText("connection refused");
  await expect(card.getByTestId("host-target")).toHaveText(target);

  // The sudo login with its password, becoming postgres: tested, then saved.
  const password = lab.logins.admin.password;
  if (password === undefined) throw new Error("the lab's admin login has a password in root mode");
  await form
    .getByLabel("SSH target")
    .fill(`${lab.logins.admin.username}@${lab.ssh.host}:${String(lab.ssh.port)}`);
  await form.getByLabel("Become user (optional)").fill("postgres");
  await form.getByRole("radio", { name: "Password" }).check();
  // (the radio is labelled "Password" too)
  await form.locator('input[name="ssh-password"]').fill(password);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(card.getByTestId("host-notice")).toContainText(
    "changed: sshUser, becomeUser, credential",
    { timeout: 30_000 },
  );
  await expect(form).toBeHidden();
  await expect(card.getByTestId("host-target")).toHaveText(
    `${lab.logins.admin.username}@${lab.ssh.host}:${String(lab.ssh.port)} → sudo -u postgres`,
  );
  await expect(card).toContainText("auth: password");
  await expect(page.locator("body")).not.toContainText(password);

  // The host's sshd gets a new key: Diagnose is refused, the hosts page shows the host blocked.
  const first = await rotateHostKey(lab);
  await page.goto(`/instances/${instanceId}`);
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "HOST KEY MISMATCH" })).toContainText(
    first.fingerprint,
    { timeout: 30_000 },
  );
  await page.goto("/hosts");
  const banner = card.getByRole("alert").filter({ hasText: "HOST KEY MISMATCH" });
  await expect(banner).toContainText("HOST KEY MISMATCH");
  await expect(banner).toContainText(first.fingerprint);
  await expect(card.getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);

  // A viewer sees the block and whom to ask, and no way to re-pin.
  const viewer = { email: "viewer@e2e.example", password: "viewer passphrase for the e2e run" };
  await trpcMutation(page, "users.create", { ...viewer, name: "Viewer", role: "VIEWER" });
  const viewerContext = await browser.newContext({ baseURL: BASE_URL });
  const viewerPage = await viewerContext.newPage();
  await signInThroughApi(viewerPage, viewer);
  await viewerPage.goto("/hosts");
  const viewerCard = viewerPage.getByTestId("host-edited");
  await expect(viewerCard.getByRole("alert")).toContainText(first.fingerprint);
  await expect(viewerCard.getByTestId("repin-ask")).toHaveText(
    `Only an admin can re-pin the key after comparing both fingerprints: ask an admin (${E2E_ADMIN.email} pinned the current key).`,
  );
  await expect(viewerCard.getByRole("button")).toHaveCount(0);
  await viewerContext.close();

  // The review: both keys side by side, the presented one fetched live; re-pinning needs the host's name.
  await card.getByRole("button", { name: "Review and re-pin…" }).click();
  const panel = card.getByTestId("repin-panel");
  await expect(panel.getByTestId("repin-pinned-fingerprint")).toHaveText(
    lab.ssh.hostKeyFingerprint,
  );
  await expect(panel.getByTestId("repin-presented-fingerprint")).toHaveText(first.fingerprint, {
    timeout: 30_000,
  });
  await expect(panel).toContainText("man-in-the-middle");
  await expect(panel).toContainText("out of band");
  const repin = panel.getByRole("button", { name: "Re-pin to the presented key" });
  const confirmation = panel.getByLabel("Type the host's name (edited) to re-pin");
  await expect(repin).toBeDisabled();
  await confirmation.fill("edite");
  await expect(repin).toBeDisabled();
  await confirmation.fill("edited");
  await expect(repin).toBeEnabled();
  await page.screenshot({ path: screenshotPath("host-key-repin-panel"), fullPage: true });

  // The key changes again after the review: the re-pin is refused and the panel shows the new key.
  const second = await rotateHostKey(lab);
  await repin.click();
  const stale = panel.getByRole("alert");
  await expect(stale).toContainText("The key was not re-pinned", { timeout: 30_000 });
  await expect(stale).toContainText(
    `now presents ssh-ed25519 ${second.fingerprint}, not the ${first.fingerprint} you reviewed`,
  );
  await expect(panel.getByTestId("repin-presented-fingerprint")).toHaveText(second.fingerprint);
  await expect(panel).toContainText("The key changed again");
  await expect(banner).toContainText(first.fingerprint);

  // Re-pin to the key presented now: the block is lifted.
  await repin.click();
  await expect(card.getByTestId("host-notice")).toContainText(
    `${second.fingerprint} is pinned now; work on the host is unblocked`,
    { timeout: 30_000 },
  );
  await expect(card.getByRole("alert")).toHaveCount(0);
  await expect(card.getByTestId("host-key-fingerprint")).toContainText(second.fingerprint);

  // Work resumes: the diagnosis logs in against the new pin, with the edited login.
  await card.getByRole("link", { name: "main" }).click();
  await page.getByRole("button", { name: "Diagnose", exact: true }).click();
  await expect(page.getByTestId("verdict-code")).toHaveText("healthy", { timeout: 60_000 });
});
