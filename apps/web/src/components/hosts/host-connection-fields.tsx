"use client";
// The connection fields that adding and editing a host share: SSH target, authentication (key, password or agent)
// and the become user — their draft state, their markup, and how a draft becomes the API's input.
import { useState } from "react";
import { TextAreaField, TextField } from "~/components/ui/field";
import type { TFieldErrors } from "~/lib/errors";
import { parseSshTarget, type TSshTarget } from "~/lib/ssh-target";
import type { RouterInputs } from "~/lib/types";

export type TAuthKind = "key" | "password" | "agent";

const AUTH_CHOICES: { value: TAuthKind; label: string; hint: string }[] = [
  {
    value: "key",
    label: "Private key",
    hint: "OpenSSH or PEM private key, optionally with a passphrase",
  },
  { value: "password", label: "Password", hint: "the SSH user's password" },
  { value: "agent", label: "SSH agent", hint: "the console server's ssh-agent (SSH_AUTH_SOCK)" },
];

export type TConnectionDraft = {
  target: string;
  authKind: TAuthKind;
  privateKey: string;
  passphrase: string;
  password: string;
  becomeUser: string;
};

const EMPTY_DRAFT: TConnectionDraft = {
  target: "",
  authKind: "key",
  privateKey: "",
  passphrase: "",
  password: "",
  becomeUser: "",
};

/**
 * The draft, a patching setter, a reset to the initial values (secrets never survive a reset), and the SSH target
 * read from the draft: parsed, or null while the target field says why it does not parse.
 */
export function useConnectionDraft(initial: Partial<TConnectionDraft> = {}) {
  const [draft, setDraft] = useState<TConnectionDraft>({ ...EMPTY_DRAFT, ...initial });
  const [targetError, setTargetError] = useState<string | null>(null);
  return {
    draft,
    change: (patch: Partial<TConnectionDraft>) => {
      setDraft((current) => ({ ...current, ...patch }));
    },
    reset: (values: Partial<TConnectionDraft> = initial) => {
      setDraft({ ...EMPTY_DRAFT, ...values });
    },
    readTarget: () => {
      const parsed = readConnectionTarget(draft);
      setTargetError(parsed.ok ? null : parsed.error);
      return parsed.ok ? parsed.value : null;
    },
    /** The target field's messages: its own parse error, else the server's for the parts it holds. */
    targetErrors: (fields: TFieldErrors) =>
      targetError === null ? errorsAt(fields, "sshUser", "address", "port") : [targetError],
  };
}

export function errorsAt(fields: TFieldErrors, ...paths: string[]): string[] | undefined {
  const found = paths.flatMap((path) => fields[path] ?? []);
  return found.length > 0 ? found : undefined;
}

function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/** The parsed SSH target and the become user, or the target's error. */
function readConnectionTarget(
  draft: TConnectionDraft,
):
  | { ok: true; value: TSshTarget & { becomeUser: string | undefined } }
  | { ok: false; error: string } {
  const parsed = parseSshTarget(draft.target);
  if (!parsed.ok) return parsed;
  return { ok: true, value: { ...parsed.value, becomeUser: optional(draft.becomeUser.trim()) } };
}

/** A new host's credential: every secret as typed (the server says which one is missing). */
export function toAddAuth(draft: TConnectionDraft): RouterInputs["hosts"]["add"]["auth"] {
  switch (draft.authKind) {
    case "key":
      return { kind: "key", privateKey: draft.privateKey, passphrase: optional(draft.passphrase) };
    case "password":
      return { kind: "password", password: draft.password };
    case "agent":
      return { kind: "agent" };
  }
}

/** An edit's credential: an empty secret keeps the stored one. */
export function toUpdateAuth(draft: TConnectionDraft): RouterInputs["hosts"]["update"]["auth"] {
  switch (draft.authKind) {
    case "key":
      return {
        kind: "key",
        privateKey: optional(draft.privateKey),
        passphrase: optional(draft.passphrase),
      };
    case "password":
      return { kind: "password", password: optional(draft.password) };
    case "agent":
      return { kind: "agent" };
  }
}

type TFieldProps = {
  draft: TConnectionDraft;
  onChange: (patch: Partial<TConnectionDraft>) => void;
  fields: TFieldErrors;
};

export function SshTargetField({
  draft,
  onChange,
  errors,
}: Omit<TFieldProps, "fields"> & { errors: string[] | undefined }) {
  return (
    <TextField
      label="SSH target"
      name="ssh-target"
      required
      value={draft.target}
      onChange={(event) => {
        onChange({ target: event.target.value });
      }}
      placeholder="postgres@db1.example.com:22"
      spellCheck={false}
      autoCapitalize="off"
      hint="user@host or user@host:port (port 22 if omitted)."
      errors={errors}
    />
  );
}

/**
 * The method and its secret. With `stored`, the host already has a credential of that method: its secret fields may
 * stay empty to keep it (the stored secret is never shown).
 */
export function AuthFields({
  draft,
  onChange,
  fields,
  stored,
}: TFieldProps & { stored?: TAuthKind }) {
  const keeping = stored === draft.authKind;
  return (
    <fieldset>
      <legend className="mb-1 text-sm font-medium">Authentication</legend>
      <div className="flex flex-wrap gap-x-6 gap-y-2">
        {AUTH_CHOICES.map((choice) => (
          <label key={choice.value} className="flex items-center gap-2 text-sm" title={choice.hint}>
            <input
              type="radio"
              name="auth-kind"
              value={choice.value}
              checked={draft.authKind === choice.value}
              onChange={() => {
                onChange({ authKind: choice.value });
              }}
              className="size-4 accent-sky-700"
            />
            {choice.label}
          </label>
        ))}
      </div>
      <div className="mt-3">
        {draft.authKind === "key" ? (
          <div className="grid gap-4 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
            <TextAreaField
              label={keeping ? "New private key (optional)" : "Private key"}
              name="private-key"
              required={!keeping}
              rows={5}
              verbatim
              autoComplete="off"
              controlClassName="text-xs"
              placeholder={"-----BEGIN OPENSSH PRIVATE KEY-----\n…"}
              value={draft.privateKey}
              onChange={(event) => {
                onChange({ privateKey: event.target.value });
              }}
              hint={
                keeping
                  ? "Leave empty to keep the stored key (with its passphrase); it is never shown."
                  : "Stored encrypted on the console server; never shown again."
              }
              errors={errorsAt(fields, "auth.privateKey", "auth")}
            />
            <TextField
              label="Passphrase (optional)"
              name="passphrase"
              type="password"
              autoComplete="off"
              value={draft.passphrase}
              onChange={(event) => {
                onChange({ passphrase: event.target.value });
              }}
              hint={keeping ? "Only with a new key." : undefined}
              errors={errorsAt(fields, "auth.passphrase")}
            />
          </div>
        ) : draft.authKind === "password" ? (
          <TextField
            label={keeping ? "New password (optional)" : "Password"}
            name="ssh-password"
            type="password"
            autoComplete="off"
            required={!keeping}
            className="max-w-sm"
            value={draft.password}
            onChange={(event) => {
              onChange({ password: event.target.value });
            }}
            hint={
              keeping
                ? "Leave empty to keep the stored password; it is never shown."
                : "Stored encrypted on the console server."
            }
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
  );
}

export function BecomeUserField({ draft, onChange, fields }: TFieldProps) {
  return (
    <TextField
      label="Become user (optional)"
      name="become-user"
      value={draft.becomeUser}
      onChange={(event) => {
        onChange({ becomeUser: event.target.value });
      }}
      placeholder="postgres"
      spellCheck={false}
      autoCapitalize="off"
      hint="Run everything as this user through sudo -n -u (when you log in as another user)."
      errors={errorsAt(fields, "becomeUser")}
    />
  );
}
