"use client";
// Add a host: SSH target, credential (key, password or agent), optional become user, and how to pin its key —
// including a connection test that shows the key the host presents, to accept exactly that one.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { useDraft } from "~/components/ui/use-draft";
import { readError } from "~/lib/errors";
import type { RouterOutputs } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import {
  AuthFields,
  BecomeUserField,
  errorsAt,
  SshTargetField,
  toAddAuth,
  useConnectionDraft,
  type TConnectionDraft,
} from "./host-connection-fields";

export function AddHostForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useDraft({ name: "", fingerprint: "" });
  const connection = useConnectionDraft();
  const [acceptHostKey, setAcceptHostKey] = useState(true);
  const [added, setAdded] = useState<RouterOutputs["hosts"]["add"] | null>(null);
  const [presented, setPresented] = useState<RouterOutputs["hosts"]["testConnection"] | null>(null);

  const add = useMutation(
    trpc.hosts.add.mutationOptions({
      onSuccess: async (host) => {
        setAdded(host);
        // Secrets do not linger in the page once they are sealed on the server.
        connection.reset({ authKind: connection.draft.authKind });
        form.clear();
        setPresented(null);
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
      },
    }),
  );

  const testConnection = useMutation(
    trpc.hosts.testConnection.mutationOptions({
      onSuccess: (key) => {
        setPresented(key);
      },
    }),
  );

  /** The connection fields both the test and the add send, or null when the SSH target does not parse. */
  const readConnection = () => {
    const target = connection.readTarget();
    return target === null ? null : { ...target, auth: toAddAuth(connection.draft) };
  };

  const changeConnection = (patch: Partial<TConnectionDraft>) => {
    connection.change(patch);
    // A key shown for another target must not be accepted for this one.
    if (patch.target !== undefined) setPresented(null);
  };

  const addWith = (hostKey: { acceptNew: true } | { fingerprint: string }) => {
    setAdded(null);
    testConnection.reset();
    const fields = readConnection();
    if (fields === null) return;
    add.mutate({ name: form.values.name.trim(), ...fields, hostKey });
  };

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    addWith(acceptHostKey ? { acceptNew: true } : { fingerprint: form.values.fingerprint.trim() });
  };

  const test = () => {
    setPresented(null);
    add.reset();
    const fields = readConnection();
    if (fields === null) return;
    testConnection.mutate(fields);
  };

  const testError = testConnection.isError ? readError(testConnection.error) : null;
  const error = add.isError ? readError(add.error) : testError;
  const fields = error?.fieldErrors ?? {};

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Add a host" noValidate={false}>
      <div className="grid gap-4 md:grid-cols-2">
        <TextField
          label="Name"
          name="host-name"
          required
          {...form.bind("name", fields)}
          placeholder="db1"
          hint="How the console and the CLI refer to this host."
        />
        <SshTargetField
          draft={connection.draft}
          onChange={changeConnection}
          errors={connection.targetErrors(fields)}
        />
      </div>

      <AuthFields draft={connection.draft} onChange={changeConnection} fields={fields} />

      <div className="grid gap-4 md:grid-cols-2">
        <BecomeUserField draft={connection.draft} onChange={changeConnection} fields={fields} />
        <fieldset>
          <legend className="mb-1 text-sm font-medium">Host key</legend>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              name="accept-host-key"
              checked={acceptHostKey}
              onChange={(event) => {
                setAcceptHostKey(event.target.checked);
              }}
              className="mt-0.5 size-4 accent-sky-700"
            />
            <span>
              Accept the key the host presents
              <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                It is pinned now; a different key later stops all work on the host.
              </span>
            </span>
          </label>
          {acceptHostKey ? null : (
            <TextField
              label="Expected fingerprint"
              name="host-key-fingerprint"
              required
              {...form.bind("fingerprint")}
              placeholder="SHA256:…"
              verbatim
              className="mt-2"
              hint={
                <>
                  From{" "}
                  <code className="font-mono">
                    ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub
                  </code>{" "}
                  on the host.
                </>
              }
              errors={errorsAt(fields, "hostKey.fingerprint", "hostKey")}
            />
          )}
        </fieldset>
      </div>

      <div aria-live="polite" className="space-y-2">
        {error === null ? null : (
          <ErrorAlert
            title={add.isError ? "The host was not added" : "The connection test failed"}
            message={error.message}
          />
        )}
        {presented === null ? null : (
          <Alert tone="neutral" title="The host presents this key" testId="presented-host-key">
            <p>
              <span className="font-mono" data-testid="presented-fingerprint">
                {presented.fingerprint}
              </span>{" "}
              ({presented.algorithm}). Compare it with{" "}
              <code className="font-mono">ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code> on the
              host before you accept it; nothing was logged in yet.
            </p>
            <Button
              className="mt-2"
              variant="primary"
              busy={add.isPending}
              disabled={add.isPending}
              onClick={() => {
                addWith({ fingerprint: presented.fingerprint });
              }}
            >
              Accept this key
            </Button>
          </Alert>
        )}
        {added === null ? null : (
          <Alert tone="good" title={`Added ${added.name}`} testId="host-added">
            Logged in as {added.becomeUser ?? added.sshUser} and pinned its host key{" "}
            <span className="font-mono" data-testid="pinned-fingerprint">
              {added.hostKeyFingerprint}
            </span>{" "}
            ({added.hostKeyAlgorithm}). Compare it with the host&apos;s own key if you accepted it
            unseen.
          </Alert>
        )}
      </div>

      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" busy={add.isPending} disabled={add.isPending}>
          {add.isPending ? "Connecting…" : "Add host"}
        </Button>
        <Button
          busy={testConnection.isPending}
          disabled={testConnection.isPending || add.isPending}
          onClick={test}
        >
          {testConnection.isPending ? "Testing…" : "Test connection"}
        </Button>
      </div>
    </form>
  );
}
