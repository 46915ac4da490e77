// tRPC over HTTP (fetch adapter) for the console and the CLI; the body is read only within its limit (the
// launcher's front refuses larger declared bodies before this runs).
import { appRouter, createErrorLogger } from "@pgrescue/api";
import { BODY_LIMITS, limitRequestBody } from "@pgrescue/api/front";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createRequestContext } from "~/server/context";
import { getLogger } from "~/server/deps";

export const dynamic = "force-dynamic";

async function handler(incoming: Request) {
  const req = await limitRequestBody(incoming, BODY_LIMITS.trpc);
  if (req instanceof Response) return req;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: createRequestContext,
    // Failures inside a procedure are logged (once, with their request id) by the API's call scope; this logs the rest.
    onError: createErrorLogger(getLogger()),
  });
}

export { handler as GET, handler as POST };
