// The CLI's tRPC client for a running console: same API, same approvals and audit trail as the UI.
import type { AppRouter } from "@pgrescue/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { TCliEnv } from "./env.ts";
import { UsageError } from "./ssh-spec.ts";

export type TServerClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export function connectServer(serverFlag: string | undefined, env: TCliEnv): TServerClient {
  const server = serverFlag ?? env.PGRESCUE_SERVER;
  if (server === undefined)
    throw new UsageError(
      "which console? pass --server URL or set PGRESCUE_SERVER (e.g. http://localhost:3000)",
    );
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server: ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--server must be an http:// or https:// URL");
  if (env.PGRESCUE_TOKEN === undefined) {
    throw new UsageError(
      "PGRESCUE_TOKEN is not set: use the API token printed at the console's first start, or one an admin created for you",
    );
  }
  const token = env.PGRESCUE_TOKEN;
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: new URL("/api/trpc", url).toString(),
        transformer: superjson,
        headers: () => ({ authorization: `Bearer ${token}` }),
      }),
    ],
  });
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
