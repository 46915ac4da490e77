"use client";
// Edit a host: SSH target, authentication and become user, prefilled with the stored non-secret values. Saving runs
// the connection test against the pinned host key first; when it fails nothing is changed and the form says why.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { ErrorAlert } from "~/components/ui/feedback";
import { readError } from "~/lib/errors";
import { formatSshTarget } from "~/lib/ssh-target";
import type { RouterOutputs, THostItem } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import {
  AuthFields,
  BecomeUserField,
  SshTargetField,
  toUpdateAuth,
  useConnectionDraft,
  type TAuthKind,
} from "./host-connection-fields";

const AUTH_KIND: Record<THostItem["authMethod"], TAuthKind> = {
  KEY: "key",
  PASSWORD: "password",
  AGENT: "agent",
};

export function EditHostForm({
  host,
  onSaved,
  onCancel,
}: {
  host: THostItem;
  onSaved: (result: RouterOutputs["hosts"]["update"]) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const stored = AUTH_KIND[host.authMethod];
  const connection = useConnectionDraft({
    target: formatSshTarget(host),
    authKind: stored,
    becomeUser: host.becomeUser ?? "",
  });

  const update = useMutation(
    trpc.hosts.update.mutationOptions({
      onSuccess: async (result) => {
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        onSaved(result);
      },
      onError: async () => {
        // The test may have met a changed host key on this address, which blocks the host: show it.
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
  );

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = connection.readTarget();
    if (target === null) return;
    update.mutate({
      hostId: host.id,
      ...target,
      // An emptied field removes the become user.
      becomeUser: target.becomeUser ?? null,
      auth: toUpdateAuth(connection.draft),
    });
  };

  const error = update.isError ? readError(update.error) : null;
  const fields = error?.fieldErrors ?? {};

  return (
    <form onSubmit={submit} className="space-y-4" aria-label={`Edit host ${host.name}`}>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Saving logs in with these settings first (the host must present its pinned key); if that
        fails, nothing is changed. Secrets are never shown: leave them empty to keep the stored
        ones.
      </p>
      <div className="grid gap-4 md:grid-cols-2">
        <SshTargetField
          draft={connection.draft}
          onChange={connection.change}
          errors={connection.targetErrors(fields)}
        />
        <BecomeUserField draft={connection.draft} onChange={connection.change} fields={fields} />
      </div>
      <AuthFields
        draft={connection.draft}
        onChange={connection.change}
        fields={fields}
        stored={stored}
      />
      <div aria-live="polite">
        {error === null ? null : (
          <ErrorAlert title="The changes were not saved" message={error.message} />
        )}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" busy={update.isPending} disabled={update.isPending}>
          {update.isPending ? "Testing the connection…" : "Save"}
        </Button>
        <Button variant="ghost" disabled={update.isPending} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
