"use client";
// Change one's own password, proving the current one.
import { useMutation } from "@tanstack/react-query";
import type { SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { PasswordField } from "~/components/ui/field";
import { useDraft } from "~/components/ui/use-draft";
import { readError } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const draft = useDraft({ current: "", next: "" });
  const change = useMutation(
    trpc.users.changePassword.mutationOptions({
      onSuccess: () => {
        draft.clear();
      },
    }),
  );
  const error = change.isError ? readError(change.error) : null;
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    change.mutate({ currentPassword: draft.values.current, newPassword: draft.values.next });
  };
  return (
    <form onSubmit={submit} className="max-w-sm space-y-3" aria-label="Change your password">
      <p id="change-password-effect" className="text-sm text-zinc-700 dark:text-zinc-300">
        Changing your password signs you out everywhere else and revokes all your API tokens (the
        CLI signs in again with <code className="font-mono">pgrescue login</code>).
      </p>
      <PasswordField
        label="Current password"
        name="current-password"
        autoComplete="current-password"
        {...draft.bind("current")}
      />
      <PasswordField
        label="New password"
        name="new-password"
        autoComplete="new-password"
        hint="At least 12 characters, hard to guess: a few unrelated words, not your e-mail."
        {...draft.bind("next")}
        errors={error?.fieldErrors.newPassword}
      />
      {change.isSuccess ? (
        <Alert tone="good" role="status">
          Password changed. Your other sessions ended and your API tokens were revoked.
        </Alert>
      ) : null}
      {error !== null && error.fieldErrors.newPassword === undefined ? (
        <ErrorAlert message={error.message} />
      ) : null}
      <Button
        type="submit"
        busy={change.isPending}
        disabled={change.isPending}
        aria-describedby="change-password-effect"
      >
        Change password
      </Button>
    </form>
  );
}
