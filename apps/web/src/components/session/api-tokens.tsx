"use client";
// API tokens for the CLI and scripts: create one (shown once), see when each was last used, revoke.
// The same table serves one's own tokens and, for admins, everybody's.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { CopyBlock } from "~/components/ui/copy-block";
import { Alert, Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

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
            onChange={(event) => {
              setName(event.target.value);
            }}
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
      {tokens.isPending ? (
        <LoadingBlock label="Loading API tokens" />
      ) : tokens.isError ? (
        <ErrorAlert message={readError(tokens.error).message} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No API tokens">
          Create one here, or run <code className="font-mono">pgrescue login</code>.
        </EmptyState>
      ) : (
        <table className="w-full text-left text-sm" aria-label="API tokens">
          <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
            <tr>
              <th className="py-1 pr-3">Name</th>
              {all ? <th className="py-1 pr-3">User</th> : null}
              <th className="py-1 pr-3">Starts with</th>
              <th className="py-1 pr-3">Created</th>
              <th className="py-1 pr-3">Last used</th>
              <th className="py-1 pr-3">State</th>
              <th className="py-1" />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr
                key={token.id}
                className="border-t border-zinc-200 dark:border-zinc-800"
                data-testid="api-token-row"
              >
                <td className="py-1.5 pr-3 break-all">{token.name}</td>
                {all ? <td className="py-1.5 pr-3">{token.user.email}</td> : null}
                <td className="py-1.5 pr-3 font-mono">{token.prefix}…</td>
                <td className="py-1.5 pr-3">
                  <Timestamp date={token.createdAt} />
                </td>
                <td className="py-1.5 pr-3">
                  {token.lastUsedAt === null ? "never" : <Timestamp date={token.lastUsedAt} />}
                </td>
                <td className="py-1.5 pr-3">
                  {token.revokedAt === null ? (
                    <Badge tone="good">active</Badge>
                  ) : (
                    <Badge tone="neutral">revoked</Badge>
                  )}
                </td>
                <td className="py-1.5 text-right">
                  {token.revokedAt === null ? (
                    <Button
                      variant="ghost"
                      busy={revoke.isPending && revoke.variables.tokenId === token.id}
                      onClick={() => {
                        revoke.mutate({ tokenId: token.id });
                      }}
                    >
                      Revoke<span className="sr-only"> {token.name}</span>
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
