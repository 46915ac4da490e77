// `pgrescue login` / `logout`: sign in with e-mail and password, trade the session for an API token of one's
// own (saved 0600, revocable under Account), and revoke it again at logout.
import { hostname } from "node:os";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import type { TCliEnv } from "./env.ts";
import { EXIT, type TCommandResult } from "./exit.ts";
import { readSavedLogin, removeSavedLogin, writeSavedLogin } from "./saved-login.ts";
import { createServerClient, resolveServerUrl } from "./server-client.ts";
import { UsageError } from "./ssh-spec.ts";

export const LOGIN_USAGE = `Signing in (the token is saved 0600 in ~/.config/pgrescue/credentials.json; PGRESCUE_TOKEN overrides it):
  login --server URL --email ADDRESS     asks for the password (or reads PGRESCUE_PASSWORD)
  logout                                 revokes the saved token and deletes it`;

/** Reads a line from the terminal without echoing it. */
async function askPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError("no terminal to ask for the password: set PGRESCUE_PASSWORD");
  const muted = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question("", resolve);
    });
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

function signInProblem(status: number, body: unknown): string {
  const message =
    typeof body === "object" &&
    body !== null &&
    "message" in body &&
    typeof body.message === "string"
      ? body.message
      : `HTTP ${String(status)}`;
  if (status === 401) return "the e-mail or the password is not correct";
  return `sign-in refused: ${message}`;
}

export async function runLoginCommand(argv: string[], env: TCliEnv): Promise<TCommandResult> {
  const { values } = parseArgs({
    args: argv,
    options: { server: { type: "string" }, email: { type: "string" }, json: { type: "boolean" } },
    strict: true,
  });
  const url = resolveServerUrl(values.server, env);
  const email = values.email?.trim();
  if (email === undefined || email === "") throw new UsageError("--email is required");
  const password = env.PGRESCUE_PASSWORD ?? (await askPassword(`Password for ${email}: `));
  // the console accepts cookie-carrying mutations only from its own origin: say which one we mean
  const origin = url.origin;
  const response = await fetch(new URL("/api/auth/sign-in/email", url), {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    return {
      exitCode: EXIT.problem,
      stdout: "",
      stderr: `pgrescue: ${signInProblem(response.status, body)}\n`,
    };
  }
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] ?? "")
    .filter((c) => c !== "")
    .join("; ");
  const session = createServerClient(url, { cookie, origin });
  const me = await session.users.me.query();
  const created = await session.tokens.create.mutate({ name: `pgrescue CLI on ${hostname()}` });
  // the session was only the way to the token: end it
  await fetch(new URL("/api/auth/sign-out", url), {
    method: "POST",
    headers: { "content-type": "application/json", origin, cookie },
    body: "{}",
  });
  const file = writeSavedLogin(env, {
    server: origin,
    email: me.label,
    tokenId: created.id,
    token: created.token,
  });
  const result = {
    server: origin,
    user: me.label,
    role: me.role,
    tokenPrefix: created.prefix,
    savedTo: file,
  };
  return values.json === true
    ? { exitCode: EXIT.ok, stdout: `${JSON.stringify(result, null, 2)}\n` }
    : {
        exitCode: EXIT.ok,
        stdout: `signed in to ${origin} as ${me.label} (${me.role.toLowerCase()}); token ${created.prefix}… saved to ${file}\n`,
      };
}

export async function runLogoutCommand(argv: string[], env: TCliEnv): Promise<TCommandResult> {
  parseArgs({ args: argv, options: { json: { type: "boolean" } }, strict: true });
  const saved = readSavedLogin(env);
  if (saved === null) return { exitCode: EXIT.ok, stdout: "not signed in\n" };
  const client = createServerClient(new URL(saved.server), {
    authorization: `Bearer ${saved.token}`,
  });
  let note = "token revoked";
  try {
    await client.tokens.revoke.mutate({ tokenId: saved.tokenId });
  } catch (error) {
    note = `the console did not revoke the token (${error instanceof Error ? error.message : String(error)}): revoke ${saved.token.slice(0, 8)}… under Account`;
  }
  removeSavedLogin(env);
  return { exitCode: EXIT.ok, stdout: `signed out of ${saved.server}: ${note}\n` };
}
