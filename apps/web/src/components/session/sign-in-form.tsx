"use client";
// Sign in with e-mail and password: better-auth answers with an httpOnly session cookie that page scripts never see.
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { EmailField, PasswordField } from "~/components/ui/field";
import { useDraft } from "~/components/ui/use-draft";
import { resolveOnOrigin } from "~/lib/safe-next";
import { signInProblem } from "~/lib/sign-in-problem";

export function SignInForm({ next, expired }: { next: string; expired: boolean }) {
  const draft = useDraft({ email: "", password: "" });
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const response = await fetch("/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: draft.values.email.trim(), password: draft.values.password }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as {
          code?: unknown;
          message?: unknown;
        };
        setError(signInProblem(response.status, body));
        draft.clear("password");
        setPending(false);
        return;
      }
      draft.clear("password");
      // A full load: every part of the page starts over with the new session — on this origin only.
      window.location.assign(
        resolveOnOrigin(next, window.location.origin) ?? `${window.location.origin}/hosts`,
      );
    } catch (caught) {
      setError(
        `The console server did not answer: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
      setPending(false);
    }
  };

  return (
    <form
      onSubmit={(event) => void submit(event)}
      className="space-y-4"
      aria-describedby="sign-in-help"
    >
      {expired ? (
        <Alert tone="warn" role="status">
          Your session ended. Sign in again.
        </Alert>
      ) : null}
      <EmailField
        name="email"
        autoComplete="username"
        spellCheck={false}
        autoFocus
        {...draft.bind("email")}
      />
      <PasswordField
        label="Password"
        name="password"
        autoComplete="current-password"
        {...draft.bind("password")}
      />
      {error === null ? null : <ErrorAlert title="Not signed in" message={error} />}
      <Button type="submit" variant="primary" busy={pending} disabled={pending}>
        Sign in
      </Button>
    </form>
  );
}
