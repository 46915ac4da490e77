"use client";
// Live events of one incident over SSE: output chunks are kept per step; every other event (and every
// (re)connection) refreshes the stored incident, which stays the source of truth.
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import type { TOutputChunk } from "~/lib/terminal-text";
import { useTRPC } from "~/trpc/react";

export type TLiveOutput = Record<string, TOutputChunk[]>;

export function useIncidentEvents(incidentId: string, enabled: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [output, setOutput] = useState<TLiveOutput>({});
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.incidents.get.queryKey({ incidentId }) });
  };
  const subscription = useSubscription(
    trpc.incidents.events.subscriptionOptions(
      { incidentId },
      {
        enabled,
        onStarted: refresh,
        onData: (event) => {
          if (event.kind === "output") {
            const chunk: TOutputChunk = { seq: event.seq, stream: event.stream, data: event.data };
            setOutput((previous) => ({
              ...previous,
              [event.stepId]: [...(previous[event.stepId] ?? []), chunk],
            }));
          } else {
            refresh();
          }
        },
      },
    ),
  );
  return { output, connection: subscription.status };
}
