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
        hint="At least 12 characters."
        {...draft.bind("next")}
        errors={error?.fieldErrors.newPassword}
      />
      {change.isSuccess ? (
        <Alert tone="good" role="status">
          Password changed.
        </Alert>
      ) : null}
      {error !== null && error.fieldErrors.newPassword === undefined ? (
        <ErrorAlert message={error.message} />
      ) : null}
      <Button type="submit" busy={change.isPending} disabled={change.isPending}>
        Change password
      </Button>
    </form>
  );
}
