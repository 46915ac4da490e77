// Sign in with e-mail and password; before the first admin exists, point to the setup link in the log.
import type { Metadata } from "next";
import { SignInForm } from "~/components/session/sign-in-form";
import { Alert } from "~/components/ui/feedback";
import { safeNextPath } from "~/lib/safe-next";
import { consoleNeedsFirstAdmin } from "~/server/session";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const firstStart = await consoleNeedsFirstAdmin();
  return (
    <div className="mx-auto max-w-lg">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
      <div id="sign-in-help" className="mt-2 space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
        <p>Every action you take is recorded under your name.</p>
        <p>
          Admins create accounts and reset passwords. The CLI signs in with{" "}
          <code className="font-mono">pgrescue login</code> or an API token in{" "}
          <code className="font-mono">PGRESCUE_TOKEN</code>.
        </p>
      </div>
      {firstStart ? (
        <Alert tone="info" role="status" className="mt-4">
          This console has no users yet. Its log shows a one-time link (
          <code className="font-mono">…/setup#…</code>) that creates the first admin; restart the
          console to print a new one.
        </Alert>
      ) : null}
      <div className="mt-5 rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900">
        <SignInForm next={safeNextPath(params.next)} expired={params.expired === "1"} />
      </div>
    </div>
  );
}
