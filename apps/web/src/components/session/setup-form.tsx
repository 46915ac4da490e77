"use client";
// The first admin's form: the token comes from the link's fragment (never sent to a server log), the
// password twice; then on to sign in.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useState, type SubmitEvent } from "react";
import { Button, ButtonLink } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { EmailField, PasswordField, TextField } from "~/components/ui/field";
import { useDraft } from "~/components/ui/use-draft";
import { readError } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

export function SetupForm() {
  const trpc = useTRPC();
  const [token, setToken] = useState<string | null>(null);
  const draft = useDraft({ email: "", name: "", password: "", repeat: "" });
  const complete = useMutation(trpc.setup.complete.mutationOptions());

  useEffect(() => {
    setToken(window.location.hash.replace(/^#/, ""));
  }, []);

  if (complete.isSuccess) {
    return (
      <div className="space-y-4">
        <Alert tone="good" role="status" title="The first admin exists">
          {complete.data.email} can now sign in.
        </Alert>
        <ButtonLink href="/sign-in" variant="primary">
          Sign in
        </ButtonLink>
      </div>
    );
  }
  if (token === "") {
    return (
      <Alert tone="warn" role="status" title="This page needs the link from the console's log">
        Open the whole link the console printed at its start (it ends in <code>#</code> and a
        token). Restart the console to print a new one.
      </Alert>
    );
  }
  const error = complete.isError ? readError(complete.error) : null;
  const fields = error?.fieldErrors ?? {};
  const { email, name, password, repeat } = draft.values;
  const mismatch = repeat !== "" && repeat !== password ? ["the two passwords differ"] : undefined;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (token === null || mismatch !== undefined) return;
    complete.mutate({ token, email: email.trim(), name: name.trim(), password });
  };

  return (
    <form
      onSubmit={submit}
      className="space-y-4"
      aria-describedby="setup-help"
      aria-label="Create the first admin"
    >
      <EmailField name="email" autoComplete="username" {...draft.bind("email", fields)} />
      <TextField
        label="Name"
        name="name"
        autoComplete="name"
        required
        {...draft.bind("name", fields)}
      />
      <PasswordField
        label="Password"
        name="password"
        autoComplete="new-password"
        hint="At least 12 characters; a passphrase is easiest to type at 03:00."
        {...draft.bind("password", fields)}
      />
      <PasswordField
        label="Password again"
        name="password-repeat"
        autoComplete="new-password"
        {...draft.bind("repeat")}
        errors={mismatch}
      />
      {error === null || (fields.email ?? fields.name ?? fields.password) !== undefined ? null : (
        <ErrorAlert title="The admin was not created" message={error.message} />
      )}
      <Button
        type="submit"
        variant="primary"
        busy={complete.isPending}
        disabled={complete.isPending || token === null}
      >
        Create the admin
      </Button>
    </form>
  );
}
