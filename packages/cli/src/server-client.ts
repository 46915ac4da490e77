// The CLI's tRPC client for a running console: same API, same approvals and audit trail as the UI.
import type { TAppRouter } from "@pgrescue/api";
import { quoteForDisplay } from "@pgrescue/core";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { TCliEnv } from "./env.ts";
import { readSavedLogin } from "./saved-login.ts";
import { UsageError } from "./ssh-spec.ts";

export type TServerClient = ReturnType<typeof createTRPCClient<TAppRouter>>;

/** The console's URL from --server or PGRESCUE_SERVER, else from the saved login, checked. */
export function resolveServerUrl(serverFlag: string | undefined, env: TCliEnv): URL {
  const server = serverFlag ?? env.PGRESCUE_SERVER ?? readSavedLogin(env)?.server;
  if (server === undefined)
    throw new UsageError(
      "which console? pass --server URL, set PGRESCUE_SERVER (e.g. http://localhost:3000), or run pgrescue login",
    );
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server: ${quoteForDisplay(server)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--server must be an http:// or https:// URL");
  return url;
}

/** A tRPC client for the console, with the given headers on every request. */
export function createServerClient(url: URL, headers: Record<string, string>): TServerClient {
  return createTRPCClient<TAppRouter>({
    links: [
      httpLink({
        url: new URL("/api/trpc", url).toString(),
        transformer: superjson,
        headers: () => headers,
      }),
    ],
  });
}

export function connectServer(serverFlag: string | undefined, env: TCliEnv): TServerClient {
  const url = resolveServerUrl(serverFlag, env);
  const saved = readSavedLogin(env);
  // PGRESCUE_TOKEN wins; a saved login only serves the console it was made for
  const token = env.PGRESCUE_TOKEN ?? (saved?.server === url.origin ? saved.token : undefined);
  if (token === undefined) {
    throw new UsageError(
      `not signed in to ${url.origin}: run pgrescue login --server ${url.origin}, or set PGRESCUE_TOKEN to an API token`,
    );
  }
  return createServerClient(url, { authorization: `Bearer ${token}` });
}

/** A server-side refusal or failure as one line: the tRPC code and the server's message. */
export function describeServerError(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data: unknown = error.data;
  const code =
    typeof data === "object" && data !== null && "code" in data && typeof data.code === "string"
      ? data.code
      : null;
  if (code === null) return `cannot reach the console: ${error.message}`;
  return `${code}: ${error.message}`;
}

/** Unreachable console (no answer at all) is a connection error; an answer from it is a refusal. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data: unknown = error.data;
  return !(typeof data === "object" && data !== null && "code" in data);
}
