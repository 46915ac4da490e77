"use client";
// Live events of one incident over SSE: output chunks are kept per step; every other event (and every
// (re)connection) refreshes the stored incident, which stays the source of truth.
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import type { TOutputChunk } from "~/lib/terminal-text";
import { useTRPC } from "~/trpc/react";

export type TLiveOutput = Record<string, TOutputChunk[]>;

/** Appends each step's new chunks; steps without new chunks keep their array (memoised panes skip them). */
function appendChunks(
  output: TLiveOutput,
  arrived: ReadonlyMap<string, readonly TOutputChunk[]>,
): TLiveOutput {
  const next = { ...output };
  for (const [stepId, chunks] of arrived) next[stepId] = [...(output[stepId] ?? []), ...chunks];
  return next;
}

export function useIncidentEvents(incidentId: string, enabled: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [output, setOutput] = useState<TLiveOutput>({});
  // A script prints in hundreds of small chunks, each its own event: they are shown once per frame, not
  // rendered one by one, so the page keeps up with the output and stays responsive while it streams.
  const arrived = useRef(new Map<string, TOutputChunk[]>());
  const frame = useRef<number | null>(null);
  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );
  const flush = () => {
    frame.current = null;
    const batch = arrived.current;
    arrived.current = new Map();
    setOutput((previous) => appendChunks(previous, batch));
  };
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
            const chunks = arrived.current.get(event.stepId) ?? [];
            chunks.push(chunk);
            arrived.current.set(event.stepId, chunks);
            frame.current ??= requestAnimationFrame(flush);
          } else {
            refresh();
          }
        },
      },
    ),
  );
  return { output, connection: subscription.status };
}
