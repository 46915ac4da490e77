"use client";
// Add a host: SSH target, credential (key, password or agent), optional become user, and how to pin its key —
// including a connection test that shows the key the host presents, to accept exactly that one.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { CONTROL_CLASS, TextAreaField, TextField } from "~/components/ui/field";
import { readError, type TFieldErrors } from "~/lib/errors";
import { parseSshTarget } from "~/lib/ssh-target";
import type { RouterOutputs } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

type TAuthKind = "key" | "password" | "agent";

const AUTH_CHOICES: { value: TAuthKind; label: string; hint: string }[] = [
  {
    value: "key",
    label: "Private key",
    hint: "OpenSSH or PEM private key, optionally with a passphrase",
  },
  { value: "password", label: "Password", hint: "the SSH user's password" },
  { value: "agent", label: "SSH agent", hint: "the console server's ssh-agent (SSH_AUTH_SOCK)" },
];

function errorsAt(fields: TFieldErrors, ...paths: string[]): string[] | undefined {
  const found = paths.flatMap((path) => fields[path] ?? []);
  return found.length > 0 ? found : undefined;
}

export function AddHostForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [target, setTarget] = useState("");
  const [authKind, setAuthKind] = useState<TAuthKind>("key");
  const [privateKey, setPrivateKey] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [password, setPassword] = useState("");
  const [becomeUser, setBecomeUser] = useState("");
  const [acceptHostKey, setAcceptHostKey] = useState(true);
  const [fingerprint, setFingerprint] = useState("");
  const [targetError, setTargetError] = useState<string | null>(null);
  const [added, setAdded] = useState<RouterOutputs["hosts"]["add"] | null>(null);
  const [presented, setPresented] = useState<RouterOutputs["hosts"]["testConnection"] | null>(null);

  const add = useMutation(
    trpc.hosts.add.mutationOptions({
      onSuccess: async (host) => {
        setAdded(host);
        // Secrets do not linger in the page once they are sealed on the server.
        setPrivateKey("");
        setPassphrase("");
        setPassword("");
        setName("");
        setTarget("");
        setBecomeUser("");
        setFingerprint("");
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
    const parsed = parseSshTarget(target);
    if (!parsed.ok) {
      setTargetError(parsed.error);
      return null;
    }
    setTargetError(null);
    return {
      ...parsed.value,
      becomeUser: becomeUser.trim() === "" ? undefined : becomeUser.trim(),
      auth:
        authKind === "key"
          ? {
              kind: "key" as const,
              privateKey,
              passphrase: passphrase === "" ? undefined : passphrase,
            }
          : authKind === "password"
            ? { kind: "password" as const, password }
            : { kind: "agent" as const },
    };
  };

  const addWith = (hostKey: { acceptNew: true } | { fingerprint: string }) => {
    setAdded(null);
    testConnection.reset();
    const connection = readConnection();
    if (connection === null) return;
    add.mutate({ name: name.trim(), ...connection, hostKey });
  };

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    addWith(acceptHostKey ? { acceptNew: true } : { fingerprint: fingerprint.trim() });
  };

  const test = () => {
    setPresented(null);
    add.reset();
    const connection = readConnection();
    if (connection === null) return;
    testConnection.mutate(connection);
  };

  const testError = testConnection.isError ? readError(testConnection.error) : null;
  const error = add.isError ? readError(add.error) : testError;
  const fields = error?.fieldErrors ?? {};
  const targetErrors =
    targetError === null ? errorsAt(fields, "sshUser", "address", "port") : [targetError];

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Add a host" noValidate={false}>
      <div className="grid gap-4 md:grid-cols-2">
        <TextField
          label="Name"
          name="host-name"
          required
          value={name}
          onChange={(event) => {
            setName(event.target.value);
          }}
          placeholder="db1"
          hint="How the console and the CLI refer to this host."
          errors={errorsAt(fields, "name")}
        />
        <TextField
          label="SSH target"
          name="ssh-target"
          required
          value={target}
          onChange={(event) => {
            setTarget(event.target.value);
            // A key shown for another target must not be accepted for this one.
            setPresented(null);
          }}
          placeholder="postgres@db1.example.com:22"
          spellCheck={false}
          autoCapitalize="off"
          hint="user@host or user@host:port (port 22 if omitted)."
          errors={targetErrors}
        />
      </div>

      <fieldset>
        <legend className="mb-1 text-sm font-medium">Authentication</legend>
        <div className="flex flex-wrap gap-x-6 gap-y-2">
          {AUTH_CHOICES.map((choice) => (
            <label
              key={choice.value}
              className="flex items-center gap-2 text-sm"
              title={choice.hint}
            >
              <input
                type="radio"
                name="auth-kind"
                value={choice.value}
                checked={authKind === choice.value}
                onChange={() => {
                  setAuthKind(choice.value);
                }}
                className="size-4 accent-sky-700"
              />
              {choice.label}
            </label>
          ))}
        </div>
        <div className="mt-3">
          {authKind === "key" ? (
            <div className="grid gap-4 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
              <TextAreaField
                label="Private key"
                name="private-key"
                required
                rows={5}
                spellCheck={false}
                autoComplete="off"
                controlClassName="font-mono text-xs"
                placeholder={"-----BEGIN OPENSSH PRIVATE KEY-----\n…"}
                value={privateKey}
                onChange={(event) => {
                  setPrivateKey(event.target.value);
                }}
                hint="Stored encrypted on the console server; never shown again."
                errors={errorsAt(fields, "auth.privateKey", "auth")}
              />
              <TextField
                label="Passphrase (optional)"
                name="passphrase"
                type="password"
                autoComplete="off"
                value={passphrase}
                onChange={(event) => {
                  setPassphrase(event.target.value);
                }}
                errors={errorsAt(fields, "auth.passphrase")}
              />
            </div>
          ) : authKind === "password" ? (
            <TextField
              label="Password"
              name="ssh-password"
              type="password"
              autoComplete="off"
              required
              className="max-w-sm"
              value={password}
              onChange={(event) => {
                setPassword(event.target.value);
              }}
              hint="Stored encrypted on the console server."
              errors={errorsAt(fields, "auth.password", "auth")}
            />
          ) : (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              The console server&apos;s ssh-agent (<code className="font-mono">SSH_AUTH_SOCK</code>)
              signs the login; nothing is stored.
            </p>
          )}
        </div>
      </fieldset>

      <div className="grid gap-4 md:grid-cols-2">
        <TextField
          label="Become user (optional)"
          name="become-user"
          value={becomeUser}
          onChange={(event) => {
            setBecomeUser(event.target.value);
          }}
          placeholder="postgres"
          spellCheck={false}
          autoCapitalize="off"
          hint="Run everything as this user through sudo -n -u (when you log in as another user)."
          errors={errorsAt(fields, "becomeUser")}
        />
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
            <label className="mt-2 block text-sm">
              <span className="mb-1 block font-medium">Expected fingerprint</span>
              <input
                name="host-key-fingerprint"
                required
                value={fingerprint}
                onChange={(event) => {
                  setFingerprint(event.target.value);
                }}
                placeholder="SHA256:…"
                spellCheck={false}
                aria-invalid={
                  errorsAt(fields, "hostKey.fingerprint", "hostKey") !== undefined || undefined
                }
                className={`${CONTROL_CLASS} font-mono`}
              />
              <span className="mt-1 block text-xs text-zinc-600 dark:text-zinc-400">
                From{" "}
                <code className="font-mono">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>{" "}
                on the host.
              </span>
              {errorsAt(fields, "hostKey.fingerprint", "hostKey") === undefined ? null : (
                <span className="mt-1 block text-xs font-medium text-red-700 dark:text-red-400">
                  {errorsAt(fields, "hostKey.fingerprint", "hostKey")?.join("; ")}
                </span>
              )}
            </label>
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
