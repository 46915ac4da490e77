"use client";
// "Try it on a lab host": create the demo (a lab host with a PostgreSQL instance broken the runbook's way) or break it again.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMe } from "~/components/session/use-me";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { readError } from "~/lib/errors";
import { hasRole } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

export function TryLabButton() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const me = useMe();
  const isAdmin = hasRole(me.data?.role, "ADMIN");
  const status = useQuery(trpc.demo.status.queryOptions());

  const onReady = async ({ instanceId }: { instanceId: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.demo.status.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
    router.push(`/instances/${instanceId}`);
  };
  const create = useMutation(trpc.demo.createLabHost.mutationOptions({ onSuccess: onReady }));
  const breakAgain = useMutation(trpc.demo.breakAgain.mutationOptions({ onSuccess: onReady }));

  if (status.isPending) return <LoadingBlock label="Checking this machine…" className="h-16" />;
  if (status.isError) {
    return (
      <ErrorAlert
        title="Could not check whether a lab host can run here"
        message={readError(status.error).message}
      />
    );
  }
  const { unavailable, host, instanceId, mode } = status.data;
  const busy = create.isPending || breakAgain.isPending;

  return (
    <div className="space-y-3" data-testid="try-lab">
      {host !== null && instanceId !== null ? (
        <>
          <p className="text-sm text-zinc-700 dark:text-zinc-300" data-testid="demo-exists">
            The demo host <span className="font-mono font-medium">{host.name}</span> exists already
            {host.labRunning
              ? ` (lab host ${host.labHostName} on this machine)`
              : ` (but its lab host ${host.labHostName} is not running on this machine)`}
            :{" "}
            <Link href={`/instances/${instanceId}`} className="font-medium underline">
              open its instance
            </Link>
            , or break it again to start over from the zombies.
          </p>
          {isAdmin ? (
            <Button
              variant="primary"
              busy={breakAgain.isPending}
              disabled={busy || !host.labRunning}
              onClick={() => {
                breakAgain.mutate();
              }}
            >
              {breakAgain.isPending ? "Breaking it again…" : "Break the demo instance again"}
            </Button>
          ) : null}
        </>
      ) : unavailable !== null ? (
        <Alert tone="warn" title="This machine cannot run a lab host" role="status">
          <span data-testid="demo-unavailable">{unavailable}</span>
        </Alert>
      ) : isAdmin ? (
        <>
          <Button
            variant="primary"
            busy={create.isPending}
            disabled={busy}
            onClick={() => {
              create.mutate();
            }}
          >
            {create.isPending ? "Starting the lab host…" : "Try it on a lab host"}
          </Button>
          {mode === "userns" ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              Not running as root: the lab host uses a user namespace, so every login on it is you.
            </p>
          ) : null}
        </>
      ) : me.isSuccess ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Creating the demo needs the admin role; you are {me.data.role.toLowerCase()}.
        </p>
      ) : null}

      <div aria-live="polite" className="space-y-2 empty:hidden">
        {create.isPending ? (
          <Alert tone="info" role="status">
            Starting a lab host of this console&apos;s own, named demo- and a random suffix so that
            it never meets your own <code>pnpm lab</code> hosts (its own PID and IPC namespaces and
            sshd), creating a PostgreSQL instance and breaking it: the postmaster is stopped, two
            backends stay defunct. This takes up to a minute.
          </Alert>
        ) : null}
        {create.isError ? (
          <ErrorAlert title="No demo was created" message={readError(create.error).message} />
        ) : null}
        {breakAgain.isError ? (
          <ErrorAlert
            title="The demo instance was not broken again"
            message={readError(breakAgain.error).message}
          />
        ) : null}
      </div>
    </div>
  );
}
