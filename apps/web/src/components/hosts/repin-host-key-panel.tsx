"use client";
// An admin's review of a changed host key: the pinned key and the one the host presents right now (fetched live,
// without logging in) side by side, what a changed key can mean, and the re-pin after typing the host's name.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { QueryStatus } from "~/components/ui/query-status";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import type { RouterOutputs, THostItem } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

type TKey = { algorithm: string; fingerprint: string };

function KeyColumn({
  title,
  keyShown,
  testId,
  children,
}: {
  title: string;
  keyShown: TKey | null;
  testId: string;
  children?: ReactNode;
}) {
  return (
    <div className="rounded-md border border-zinc-300 bg-white px-3 py-2 dark:border-zinc-700 dark:bg-zinc-950">
      <p className="text-xs font-medium text-zinc-600 uppercase dark:text-zinc-400">{title}</p>
      <p className="mt-1 font-mono text-sm break-all" data-testid={testId}>
        {keyShown?.fingerprint ?? "—"}
      </p>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">{keyShown?.algorithm ?? ""}</p>
      {children}
    </div>
  );
}

export function RepinHostKeyPanel({
  host,
  onRepinned,
  onCancel,
}: {
  host: THostItem;
  onRepinned: (host: RouterOutputs["hosts"]["repinHostKey"]) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState("");
  // Always fetched afresh: a key seen minutes ago is not what the admin decides on.
  const review = useQuery({
    ...trpc.hosts.reviewHostKey.queryOptions({ hostId: host.id }),
    staleTime: 0,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });
  const repin = useMutation(
    trpc.hosts.repinHostKey.mutationOptions({
      onSuccess: async (pinned) => {
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        onRepinned(pinned);
      },
      onError: async () => {
        // Refused because the key changed again, for example: show what the host presents now.
        await review.refetch();
      },
    }),
  );

  const presented = review.data?.presented ?? null;
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (presented === null) return;
    repin.mutate({ hostId: host.id, fingerprint: presented.fingerprint, confirm });
  };
  const changedAgain =
    presented !== null &&
    host.hostKeyMismatchFingerprint !== null &&
    presented.fingerprint !== host.hostKeyMismatchFingerprint;
  const backToPinned = presented !== null && presented.fingerprint === host.hostKeyFingerprint;

  return (
    <form
      onSubmit={submit}
      aria-label={`Review and re-pin the host key of ${host.name}`}
      data-testid="repin-panel"
      className="space-y-3 rounded-md border border-red-300 bg-red-50/60 p-3 dark:border-red-800 dark:bg-red-950/30"
    >
      <div className="space-y-1 text-sm">
        <p className="font-semibold">
          Before you re-pin: a changed host key means one of two things.
        </p>
        <ul className="list-disc space-y-0.5 pl-5">
          <li>
            The host was reinstalled, replaced, or its SSH host keys were regenerated — then the new
            key is legitimate.
          </li>
          <li>
            Someone between the console and the host is intercepting the connection (a
            man-in-the-middle) — then re-pinning hands them every command and credential.
          </li>
        </ul>
        <p>
          Verify the presented fingerprint <strong>out of band</strong>: on the host&apos;s own
          console or through its owner, not over this network path, run{" "}
          <code className="font-mono">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> (or
          the key type shown) and compare every character.
        </p>
      </div>

      <QueryStatus
        query={review}
        loading="Asking the host for its key…"
        loadingClassName="h-20"
        errorTitle="Could not fetch the key the host presents"
      >
        {(data) => (
          <div className="grid gap-3 md:grid-cols-2">
            <KeyColumn
              title="Pinned (trusted until now)"
              keyShown={data.pinned}
              testId="repin-pinned-fingerprint"
            />
            <KeyColumn
              title="Presented now"
              keyShown={data.presented}
              testId="repin-presented-fingerprint"
            >
              <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                Fetched live <Timestamp date={data.fetchedAt} />, without logging in.
              </p>
            </KeyColumn>
          </div>
        )}
      </QueryStatus>
      {changedAgain && !backToPinned ? (
        <Alert tone="warn" title="The key changed again">
          This is not the key recorded at the mismatch ({host.hostKeyMismatchFingerprint}).
        </Alert>
      ) : null}
      {backToPinned ? (
        <Alert tone="info" title="The host presents its pinned key again">
          Re-pinning confirms the pinned key and lifts the block.
        </Alert>
      ) : null}

      <TextField
        label={`Type the host's name (${host.name}) to re-pin`}
        name="repin-confirmation"
        autoComplete="off"
        spellCheck={false}
        autoCapitalize="off"
        value={confirm}
        onValue={setConfirm}
        className="max-w-sm"
      />
      <div aria-live="polite">
        {repin.isError ? (
          <ErrorAlert title="The key was not re-pinned" message={readError(repin.error).message} />
        ) : null}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button
          type="submit"
          variant="danger"
          busy={repin.isPending}
          disabled={presented === null || confirm !== host.name || repin.isPending}
        >
          Re-pin to the presented key
        </Button>
        <Button
          busy={review.isFetching}
          disabled={review.isFetching || repin.isPending}
          onClick={() => {
            void review.refetch();
          }}
        >
          Fetch the key again
        </Button>
        <Button variant="ghost" disabled={repin.isPending} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
