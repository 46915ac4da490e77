"use client";
// API tokens for the CLI and scripts: create one (shown once), see when each was last used, revoke.
// The same table serves one's own tokens and, for admins, everybody's.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { CopyBlock } from "~/components/ui/copy-block";
import { DataTable, type TColumn } from "~/components/ui/data-table";
import { Alert, Badge, EmptyState, ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { QueryStatus } from "~/components/ui/query-status";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import type { RouterOutputs } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

type TToken = RouterOutputs["tokens"]["list"][number];

/** `revoking`: the token whose revocation is on its way, if any. */
function tokenColumns(
  all: boolean,
  revoking: string | null,
  revoke: (tokenId: string) => void,
): TColumn<TToken>[] {
  return [
    { header: "Name", className: "break-all", minWidth: "md", cell: (token) => token.name },
    ...(all ? [{ header: "User", cell: (token: TToken) => token.user.email }] : []),
    { header: "Starts with", className: "font-mono", cell: (token) => `${token.prefix}…` },
    { header: "Created", cell: (token) => <Timestamp date={token.createdAt} /> },
    {
      header: "Last used",
      cell: (token) =>
        token.lastUsedAt === null ? "never" : <Timestamp date={token.lastUsedAt} />,
    },
    {
      header: "State",
      cell: (token) =>
        token.revokedAt === null ? (
          <Badge tone="good">active</Badge>
        ) : (
          <Badge tone="neutral">revoked</Badge>
        ),
    },
    {
      header: "Actions",
      hideHeader: true,
      className: "text-right",
      cell: (token) =>
        token.revokedAt === null ? (
          <Button
            variant="ghost"
            busy={revoking === token.id}
            onClick={() => {
              revoke(token.id);
            }}
          >
            Revoke<span className="sr-only"> {token.name}</span>
          </Button>
        ) : null,
    },
  ];
}

export function ApiTokens({ all = false }: { all?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions({ all }));
  const [name, setName] = useState("");
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: invalidate }));

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate({ name: name.trim() });
  };
  const createError = create.isError ? readError(create.error) : null;

  return (
    <div className="space-y-4">
      {all ? null : (
        <form
          onSubmit={submit}
          className="flex flex-wrap items-end gap-3"
          aria-label="Create an API token"
        >
          <TextField
            label="New token's name"
            name="token-name"
            className="w-72"
            placeholder="laptop CLI"
            required
            value={name}
            errors={createError?.fieldErrors.name}
            onValue={setName}
          />
          <Button type="submit" busy={create.isPending} disabled={create.isPending}>
            Create token
          </Button>
        </form>
      )}
      {create.isSuccess ? (
        <Alert tone="warn" role="status" title="Copy this token now: it is shown only once">
          <CopyBlock text={create.data.token} label="the new API token" testId="new-api-token" />
          <p className="mt-1">
            Use it as <code className="font-mono">PGRESCUE_TOKEN</code>; it acts with your role.
          </p>
        </Alert>
      ) : null}
      {createError !== null && createError.fieldErrors.name === undefined ? (
        <ErrorAlert message={createError.message} />
      ) : null}
      {revoke.isError ? <ErrorAlert message={readError(revoke.error).message} /> : null}
      <QueryStatus query={tokens} loading="Loading API tokens">
        {(list) => (
          <DataTable
            caption="API tokens"
            columns={tokenColumns(
              all,
              revoke.isPending ? revoke.variables.tokenId : null,
              (tokenId) => {
                revoke.mutate({ tokenId });
              },
            )}
            rows={list}
            rowKey={(token) => token.id}
            rowProps={() => ({ "data-testid": "api-token-row" })}
            bodyPadding="py-1.5 pr-3 last:pr-0"
            empty={
              <EmptyState title="No API tokens">
                Create one here, or run <code className="font-mono">pgrescue login</code>.
              </EmptyState>
            }
          />
        )}
      </QueryStatus>
    </div>
  );
}
