"use client";
// "Changes since the previous diagnosis": what moved on the host between this diagnosis and the one before it.
import { useQuery } from "@tanstack/react-query";
import { Badge, ErrorAlert, LoadingBlock, type TTone } from "~/components/ui/feedback";
import { Section } from "~/components/ui/layout";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import type { RouterOutputs } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

type TChange = RouterOutputs["instances"]["changes"]["changes"][number];

const AREA_LABELS: Record<TChange["area"], string> = {
  verdict: "verdict",
  recommendation: "rung",
  postmaster: "postmaster",
  member: "process",
  zombie: "zombie",
  orphan: "orphan",
  shm: "shared memory",
  sem: "semaphores",
  dsm: "/dev/shm",
  connectivity: "pg_isready",
  cluster: "control data",
  pidfile: "pid file",
};

const KIND_TONES: Record<TChange["kind"], TTone> = {
  appeared: "info",
  disappeared: "neutral",
  changed: "warn",
  "unchanged-stuck": "bad",
};

export function SnapshotChanges({ snapshotId }: { snapshotId: string }) {
  const trpc = useTRPC();
  const changes = useQuery({
    ...trpc.instances.changes.queryOptions({ snapshotId }),
    staleTime: Infinity,
  });
  if (changes.isPending)
    return <LoadingBlock label="Comparing with the previous diagnosis…" className="h-16" />;
  if (changes.isError) {
    return (
      <ErrorAlert
        title="Could not compare with the previous diagnosis"
        message={readError(changes.error).message}
      />
    );
  }
  const { previous, changes: list } = changes.data;
  if (previous === null) return null;
  return (
    <Section
      id="changes"
      title={
        <>
          Changes since the previous diagnosis (<Timestamp date={previous.takenAt} />)
        </>
      }
      description={`That one said ${previous.verdict}. Processes are matched by PID and start time; R/S/D/I flips and wait channels are left out.`}
    >
      <div data-testid="snapshot-changes">
        {list.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Nothing a DBA would act on has changed.
          </p>
        ) : (
          <ul className="space-y-1 text-sm">
            {list.map((change, index) => (
              <li
                key={`${change.area}-${change.subject ?? ""}-${String(index)}`}
                className="flex items-baseline gap-2"
              >
                <Badge tone={KIND_TONES[change.kind]} className="shrink-0">
                  {AREA_LABELS[change.area]}
                </Badge>
                <span className="min-w-0 break-words">{change.summary}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Section>
  );
}
