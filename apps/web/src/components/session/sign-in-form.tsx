"use client";
// Sign in with an API token: sent once to /api/session, which keeps it in an httpOnly cookie.
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";

export function SignInForm({ next, expired }: { next: string; expired: boolean }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const response = await fetch("/api/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error?: unknown };
        setError(
          typeof body.error === "string"
            ? body.error
            : `sign-in failed (HTTP ${String(response.status)})`,
        );
        setPending(false);
        return;
      }
      setToken("");
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
          Your session ended or the token is no longer valid. Sign in again.
        </Alert>
      ) : null}
      <TextField
        label="API token"
        name="token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        autoFocus
        placeholder="pgr_…"
        value={token}
        onChange={(event) => {
          setToken(event.target.value);
        }}
        hint="Kept in an httpOnly cookie for this browser; page scripts never see it."
      />
      {error === null ? null : <ErrorAlert title="Not signed in" message={error} />}
      <Button type="submit" variant="primary" busy={pending} disabled={pending}>
        Sign in
      </Button>
    </form>
  );
}
