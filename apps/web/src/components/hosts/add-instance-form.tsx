"use client";
// Add an instance: a data directory on a known host, with its bin dir, server log and a name.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { SelectField, TextField } from "~/components/ui/field";
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
  const [host, setHost] = useState("");
  const [pgdata, setPgdata] = useState("");
  const [pgBin, setPgBin] = useState("");
  const [logFile, setLogFile] = useState("");
  const [name, setName] = useState("");
  const [added, setAdded] = useState<RouterOutputs["instances"]["add"] | null>(null);

  const add = useMutation(
    trpc.instances.add.mutationOptions({
      onSuccess: async (instance) => {
        setAdded(instance);
        setPgdata("");
        setPgBin("");
        setLogFile("");
        setName("");
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
      },
    }),
  );

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
          value={selectedHost}
          onChange={(event) => {
            setHost(event.target.value);
          }}
          errors={fields.host}
        >
          {hosts.map((candidate) => (
            <option key={candidate.id} value={candidate.name}>
              {candidate.name}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Name (optional)"
          name="instance-name"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
          }}
          placeholder="derived from the data directory"
          spellCheck={false}
          hint="Typed to confirm destructive steps (rungs 2–4)."
          errors={fields.name}
        />
        <TextField
          label="Data directory (PGDATA)"
          name="pgdata"
          required
          value={pgdata}
          onChange={(event) => {
            setPgdata(event.target.value);
          }}
          placeholder="/var/lib/postgresql/15/main"
          spellCheck={false}
          controlClassName="font-mono"
          errors={fields.pgdata}
        />
        <TextField
          label="Bin directory (optional)"
          name="pg-bin"
          value={pgBin}
          onChange={(event) => {
            setPgBin(event.target.value);
          }}
          placeholder="/usr/lib/postgresql/15/bin"
          spellCheck={false}
          controlClassName="font-mono"
          hint="Where pg_ctl lives; otherwise taken from where the probe finds pg_controldata."
          errors={fields.pgBin}
        />
        <TextField
          label="Server log file (optional)"
          name="log-file"
          value={logFile}
          onChange={(event) => {
            setLogFile(event.target.value);
          }}
          placeholder="/var/log/postgresql/postgresql-15-main.log"
          spellCheck={false}
          controlClassName="font-mono"
          hint="Its tail is part of every diagnosis; pg_ctl start -l writes to it."
          errors={fields.logFile}
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
