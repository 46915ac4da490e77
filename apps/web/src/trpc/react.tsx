"use client";
// The browser's tRPC client: TanStack Query + superjson; queries and mutations over HTTP batch,
// subscriptions (live step output) over server-sent events. The session cookie rides along by itself.
import type { TAppRouter } from "@pgrescue/api";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { isClientError, isSessionMissing } from "~/lib/errors";

export const { TRPCProvider, useTRPC } = createTRPCContext<TAppRouter>();

/** Pages anyone may see; elsewhere a query that finds no session sends the user to sign in. */
const PUBLIC_PATHS = new Set(["/", "/sign-in"]);

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // A 4xx will not get better by asking again.
        retry: (failures, error) => failures < 1 && !isClientError(error),
      },
    },
    queryCache: new QueryCache({
      onError(error) {
        if (!isSessionMissing(error) || PUBLIC_PATHS.has(window.location.pathname)) return;
        const next = window.location.pathname + window.location.search;
        window.location.assign(`/sign-in?next=${encodeURIComponent(next)}&expired=1`);
      },
    }),
  });
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<TAppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc", transformer: superjson }),
          false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
