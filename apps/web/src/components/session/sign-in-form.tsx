"use client";
// Sign in with e-mail and password: better-auth answers with an httpOnly session cookie that page scripts never see.
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { signInProblem } from "~/lib/sign-in-problem";

export function SignInForm({ next, expired }: { next: string; expired: boolean }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
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
        body: JSON.stringify({ email: email.trim(), password }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as {
          code?: unknown;
          message?: unknown;
        };
        setError(signInProblem(response.status, body));
        setPassword("");
        setPending(false);
        return;
      }
      setPassword("");
      // A full load: every part of the page starts over with the new session.
      window.location.assign(next);
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
      <TextField
        label="E-mail"
        name="email"
        type="email"
        autoComplete="username"
        spellCheck={false}
        required
        autoFocus
        value={email}
        onChange={(event) => {
          setEmail(event.target.value);
        }}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => {
          setPassword(event.target.value);
        }}
      />
      {error === null ? null : <ErrorAlert title="Not signed in" message={error} />}
      <Button type="submit" variant="primary" busy={pending} disabled={pending}>
        Sign in
      </Button>
    </form>
  );
}
