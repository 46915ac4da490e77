// Issue 14 in the browser, against the console as `pnpm start` serves it: the redirect after sign-in stays on the
// console whatever `next` says, every response carries the security headers (and the pages work under their policy),
// another site cannot frame the console, and the launcher's front refuses large bodies, form sign-ins and spoofed
// client addresses.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { BASE_URL, E2E_ADMIN, E2E_TOKEN, signInThroughApi } from "../support.ts";

async function signInWithForm(page: Page, next: string): Promise<void> {
  await page.goto(`/sign-in?next=${next}`);
  await page.getByLabel("E-mail").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(E2E_ADMIN.email);
}

/** `next` values that once left the console, or would in some browser: as they appear in the sign-in link. */
const REDIRECT_TRICKS = [
  "%2F%09%2Fevil.example%2F",
  "%2F%0A%2Fevil.example%2F",
  "%2F%0D%2Fevil.example%2F",
  "%2F%5Cevil.example%2F",
  "%5C%5Cevil.example%2F",
  "%2F%2Fevil.example%2F",
  "%2F.%2F%2Fevil.example%2F",
  "https%3Aevil.example",
  "https%3A%2F%2Fevil.example%2F",
  "%2F%20%2Fevil.example%2F",
  "%2F%E2%80%8B%2Fevil.example%2F",
];

test("after sign-in the browser stays on the console, whatever the link's next says", async ({
  browser,
}) => {
  for (const trick of REDIRECT_TRICKS) {
    const context = await browser.newContext({ baseURL: BASE_URL });
    const page = await context.newPage();
    await signInWithForm(page, trick);
    await expect(page, trick).toHaveURL(`${BASE_URL}/hosts`);
    await context.close();
  }
  // a path on the console is where the link says
  const context = await browser.newContext({ baseURL: BASE_URL });
  const page = await context.newPage();
  await signInWithForm(page, "%2Fhistory%3Fstatus%3DOPEN");
  await expect(page).toHaveURL(`${BASE_URL}/history?status=OPEN`);
  await context.close();
});

const SECURITY_HEADERS = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

test("every response carries the security headers, and the pages run under their policy", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Refused to load: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await signInThroughApi(page);
  const scripts: string[] = [];
  for (const path of [
    "/",
    "/setup",
    "/hosts",
    "/history",
    "/account",
    "/admin/users",
    "/admin/audit",
  ]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    const headers = response?.headers() ?? {};
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      expect(headers[name], `${path} ${name}`).toBe(value);
    const csp = headers["content-security-policy"] ?? "";
    expect(csp, path).toContain("frame-ancestors 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, path).toBeDefined();
    // the page's scripts carry this response's nonce (Next.js read it from the front's policy)
    const nonces = await page
      .locator("script[nonce]")
      .evaluateAll((nodes) => nodes.map((node) => (node as HTMLScriptElement).nonce));
    expect(nonces.length, path).toBeGreaterThan(0);
    // the page's own scripts ran: the session was checked in the browser (the setup page shows no session)
    if (path !== "/setup")
      await expect(page.getByTestId("signed-in-as")).toHaveText(E2E_ADMIN.email);
    scripts.push(
      ...(await page
        .locator("script[src]")
        .evaluateAll((nodes) => nodes.map((node) => (node as HTMLScriptElement).src))),
    );
  }
  expect(violations).toEqual([]);
  // the API, a static file and a page that does not exist carry them too
  const staticFile = scripts.find((src) => src.includes("/_next/static/")) ?? "/icon.svg";
  for (const path of [
    "/api/trpc/system.health",
    new URL(staticFile, BASE_URL).pathname,
    "/no-such-page",
  ]) {
    const response = await page.request.get(path);
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      expect(response.headers()[name], `${path} ${name}`).toBe(value);
    expect(response.headers()["content-security-policy"], path).toContain("frame-ancestors 'none'");
  }
});

test("a page of another site cannot frame the console while the user is signed in", async ({
  page,
}) => {
  await signInThroughApi(page);
  const framing: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(
      `<!doctype html><title>elsewhere</title><iframe name="console" src="${BASE_URL}/hosts" width="800" height="600"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => framing.listen(0, "127.0.0.1", resolve));
  try {
    const address = framing.address();
    const port = address !== null && typeof address === "object" ? address.port : 0;
    const blocked = page.waitForEvent("console", (message) =>
      /frame-ancestors|X-Frame-Options/i.test(message.text()),
    );
    await page.goto(`http://127.0.0.1:${String(port)}/`);
    await blocked;
    const frame = page.frame({ name: "console" });
    // the frame holds Chromium's error page, not the console
    expect(await frame?.locator("[data-testid=signed-in-as]").count()).toBe(0);
    expect(frame?.url()).not.toBe(`${BASE_URL}/hosts`);
  } finally {
    await new Promise((resolve) => framing.close(resolve));
  }
});

/** Sends a request head only and returns the status line the console answered with. */
async function statusForHead(head: string[]): Promise<string> {
  const { hostname, port } = new URL(BASE_URL);
  return new Promise((resolve, reject) => {
    let response = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head.join("\r\n")}\r\n\r\n`);
    });
    socket.on("data", (data: Buffer) => {
      response += data.toString("latin1");
      if (response.includes("\r\n")) {
        socket.destroy();
        resolve(response.split("\r\n")[0] ?? "");
      }
    });
    socket.on("error", reject);
  });
}

test("the launcher's front: 300 MiB bodies refused unread, form sign-ins refused, the client's address from the socket", async ({
  page,
}) => {
  const host = new URL(BASE_URL).host;
  for (const path of ["/api/auth/sign-in/email", "/api/trpc/setup.complete"]) {
    expect(
      await statusForHead([
        `POST ${path} HTTP/1.1`,
        `Host: ${host}`,
        `Origin: ${BASE_URL}`,
        "Content-Type: application/json",
        `Content-Length: ${String(300 * 1024 * 1024)}`,
      ]),
      path,
    ).toBe("HTTP/1.1 413 Payload Too Large");
  }
  const form = await page.request.post("/api/auth/sign-in/email", {
    form: { email: E2E_ADMIN.email, password: E2E_ADMIN.password },
    headers: { origin: BASE_URL },
  });
  expect(form.status()).toBe(415);
  expect(form.headers()["set-cookie"]).toBeUndefined();

  const email = `spoofer-${String(Date.now())}@e2e.example`;
  const spoofed = await page.request.post("/api/auth/sign-in/email", {
    data: { email, password: "not anybody's password" },
    headers: { origin: BASE_URL, "x-forwarded-for": "198.51.100.77", "x-real-ip": "198.51.100.78" },
  });
  expect(spoofed.status()).toBe(401);
  const audit = await page.request.get(
    `/api/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ json: { action: "auth.sign-in.failed", actor: email } }))}`,
    { headers: { authorization: `Bearer ${E2E_TOKEN}` } },
  );
  expect(audit.status()).toBe(200);
  const items = (
    (await audit.json()) as { result: { data: { json: { items: { ip: string | null }[] } } } }
  ).result.data.json.items;
  expect(items.map((item) => item.ip)).toEqual(["127.0.0.1"]);
});
