"use client";
// One instance: diagnose it (read-only, one SSH round trip), read the snapshot, open an incident.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { SnapshotChanges } from "~/components/diagnosis/snapshot-changes";
import { SnapshotView, type TDiagnosisMeta } from "~/components/diagnosis/snapshot-view";
import { useMe } from "~/components/session/use-me";
import { Button, ButtonLink } from "~/components/ui/button";
import { Alert, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { PageHeader } from "~/components/ui/layout";
import { readError } from "~/lib/errors";
import { hasRole, type TSnapshotView } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

type TShownDiagnosis = { snapshot: TSnapshotView; meta: TDiagnosisMeta };

export function InstancePage({ instanceId }: { instanceId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const me = useMe();
  const canOperate = hasRole(me.data?.role, "OPERATOR");
  const instances = useQuery(trpc.instances.list.queryOptions());
  const instance = instances.data?.find((candidate) => candidate.id === instanceId);
  const lastSnapshotId = instance?.snapshots[0]?.id;
  const [fresh, setFresh] = useState<TShownDiagnosis | null>(null);

  const stored = useQuery({
    ...trpc.instances.snapshot.queryOptions({
      snapshotId: lastSnapshotId ?? "",
      includeRaw: false,
    }),
    enabled: lastSnapshotId !== undefined && fresh === null,
    staleTime: Infinity,
  });
  const openIncidents = useQuery({
    ...trpc.incidents.list.queryOptions({
      host: instance?.host.name,
      instance: instance?.name,
      status: "OPEN",
      limit: 1,
    }),
    enabled: instance !== undefined,
  });
  const activeIncident = openIncidents.data?.items[0];

  const diagnose = useMutation(
    trpc.instances.diagnose.mutationOptions({
      onSuccess: async (result) => {
        setFresh({
          snapshot: result.snapshot,
          meta: {
            snapshotId: result.snapshotId,
            takenAt: result.takenAt,
            durationMs: result.timings.totalMs,
            sshExecs: result.sshExecs,
            takenBy: me.data?.label ?? null,
          },
        });
        await queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
  );
  const open = useMutation(
    trpc.incidents.open.mutationOptions({
      onSuccess: async (result) => {
        await queryClient.invalidateQueries({ queryKey: trpc.incidents.list.queryKey() });
        router.push(`/incidents/${result.incident.id}`);
      },
      onError: async () => {
        // Most likely one is open already (maybe from another console): show the link to it.
        await openIncidents.refetch();
      },
    }),
  );

  if (instances.isPending) return <LoadingBlock label="Loading the instance…" className="h-40" />;
  if (instances.isError) {
    return (
      <ErrorAlert
        title="Could not load the instance"
        message={readError(instances.error).message}
      />
    );
  }
  if (instance === undefined) {
    return (
      <EmptyState title="No such instance">
        It may have been removed.{" "}
        <Link href="/hosts" className="underline">
          Back to the hosts
        </Link>
      </EmptyState>
    );
  }

  const shown: TShownDiagnosis | null =
    fresh ??
    (stored.data === undefined
      ? null
      : {
          snapshot: stored.data.snapshot,
          meta: {
            snapshotId: stored.data.snapshotId,
            takenAt: stored.data.takenAt,
            durationMs: stored.data.durationMs,
            sshExecs: stored.data.sshExecs,
            takenBy: stored.data.takenBy?.email ?? null,
          },
        });
  const busy = diagnose.isPending || open.isPending;

  return (
    <div>
      <PageHeader
        title={
          <>
            {instance.name}{" "}
            <span className="font-normal text-zinc-600 dark:text-zinc-400">
              on {instance.host.name}
            </span>
          </>
        }
        subtitle={
          <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-3">
            <dt>Data directory</dt>
            <dd className="font-mono break-all">{instance.dataDir}</dd>
            <dt>Bin directory</dt>
            <dd className="font-mono break-all">{instance.binDir ?? "found by the probe"}</dd>
            <dt>Server log</dt>
            <dd className="font-mono break-all">{instance.logFile ?? "found by the probe"}</dd>
          </dl>
        }
        actions={
          canOperate ? (
            <>
              <Button
                variant="primary"
                busy={diagnose.isPending}
                disabled={busy}
                onClick={() => {
                  diagnose.mutate({ instanceId });
                }}
              >
                {diagnose.isPending ? "Diagnosing…" : "Diagnose"}
              </Button>
              {activeIncident === undefined ? (
                <Button
                  busy={open.isPending}
                  disabled={busy || openIncidents.isPending}
                  onClick={() => {
                    open.mutate({ instanceId });
                  }}
                >
                  {open.isPending ? "Opening (diagnosing first)…" : "Open incident"}
                </Button>
              ) : (
                <ButtonLink href={`/incidents/${activeIncident.id}`} variant="secondary">
                  Continue the open incident
                </ButtonLink>
              )}
            </>
          ) : me.isSuccess ? (
            <span className="text-sm text-zinc-600 dark:text-zinc-400">
              Diagnosing needs the operator role; you are {me.data.role.toLowerCase()}.
            </span>
          ) : null
        }
      />

      <div aria-live="polite" className="mb-4 space-y-2 empty:mb-0">
        {diagnose.isPending ? (
          <Alert tone="info" role="status">
            Diagnosing: one read-only SSH round trip to {instance.host.name}. Nothing on the host is
            changed.
          </Alert>
        ) : null}
        {diagnose.isError ? (
          <ErrorAlert
            title="The diagnosis did not run"
            message={readError(diagnose.error).message}
          />
        ) : null}
        {open.isError ? (
          <ErrorAlert title="No incident was opened" message={readError(open.error).message} />
        ) : null}
        {activeIncident === undefined ? null : (
          <Alert tone="warn" title="An incident is open for this instance">
            <Link
              href={`/incidents/${activeIncident.id}`}
              className="font-medium underline underline-offset-2"
            >
              {activeIncident.title}
            </Link>
          </Alert>
        )}
      </div>

      {shown !== null ? (
        <SnapshotView
          snapshot={shown.snapshot}
          meta={shown.meta}
          afterVerdict={<SnapshotChanges snapshotId={shown.meta.snapshotId} />}
        />
      ) : lastSnapshotId !== undefined && stored.isPending ? (
        <LoadingBlock label="Loading the last diagnosis…" className="h-64" />
      ) : stored.isError ? (
        <ErrorAlert
          title="Could not load the last diagnosis"
          message={readError(stored.error).message}
        />
      ) : (
        <EmptyState title="Not diagnosed yet">
          Press Diagnose: one read-only SSH round trip shows the verdict, the processes, the IPC
          objects and the server log.
        </EmptyState>
      )}
    </div>
  );
}
