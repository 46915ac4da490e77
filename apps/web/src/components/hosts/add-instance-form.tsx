"use client";
// Add an instance: a data directory on a known host, with its bin dir, server log and a name.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { SelectField, TextField } from "~/components/ui/field";
import { useDraft } from "~/components/ui/use-draft";
import { readError } from "~/lib/errors";
import type { RouterOutputs, THostItem } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

function optional(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

export function AddInstanceForm({ hosts }: { hosts: THostItem[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useDraft({ host: "", pgdata: "", pgBin: "", logFile: "", name: "" });
  const [added, setAdded] = useState<RouterOutputs["instances"]["add"] | null>(null);

  const add = useMutation(
    trpc.instances.add.mutationOptions({
      onSuccess: async (instance) => {
        setAdded(instance);
        form.clear("pgdata", "pgBin", "logFile", "name");
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
      },
    }),
  );

  const { host, pgdata, pgBin, logFile, name } = form.values;
  const selectedHost = host === "" ? (hosts[0]?.name ?? "") : host;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setAdded(null);
    add.mutate({
      host: selectedHost,
      pgdata: pgdata.trim(),
      pgBin: optional(pgBin),
      logFile: optional(logFile),
      name: optional(name),
    });
  };

  if (hosts.length === 0) {
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">Add a host first.</p>;
  }
  const error = add.isError ? readError(add.error) : null;
  const fields = error?.fieldErrors ?? {};

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Add an instance">
      <div className="grid gap-4 md:grid-cols-2">
        <SelectField
          label="Host"
          name="instance-host"
          options={hosts.map((candidate) => candidate.name)}
          {...form.bind("host", fields)}
          value={selectedHost}
        />
        <TextField
          label="Name (optional)"
          name="instance-name"
          {...form.bind("name", fields)}
          placeholder="derived from the data directory"
          spellCheck={false}
          hint="Typed to confirm destructive steps (rungs 2–4)."
        />
        <TextField
          label="Data directory (PGDATA)"
          name="pgdata"
          required
          {...form.bind("pgdata", fields)}
          placeholder="/var/lib/postgresql/15/main"
          verbatim
        />
        <TextField
          label="Bin directory (optional)"
          name="pg-bin"
          {...form.bind("pgBin", fields)}
          placeholder="/usr/lib/postgresql/15/bin"
          verbatim
          hint="Where pg_ctl lives; otherwise taken from where the probe finds pg_controldata."
        />
        <TextField
          label="Server log file (optional)"
          name="log-file"
          {...form.bind("logFile", fields)}
          placeholder="/var/log/postgresql/postgresql-15-main.log"
          verbatim
          hint="Its tail is part of every diagnosis; pg_ctl start -l writes to it."
          className="md:col-span-2"
        />
      </div>
      <div aria-live="polite" className="space-y-2">
        {error === null ? null : (
          <ErrorAlert title="The instance was not added" message={error.message} />
        )}
        {added === null ? null : (
          <Alert
            tone="good"
            title={`Added ${added.name} on ${added.host.name}`}
            testId="instance-added"
          >
            <Link
              href={`/instances/${added.id}`}
              className="font-medium underline underline-offset-2"
            >
              Open {added.name} and diagnose it
            </Link>
          </Alert>
        )}
      </div>
      <Button type="submit" variant="primary" busy={add.isPending} disabled={add.isPending}>
        Add instance
      </Button>
    </form>
  );
}
