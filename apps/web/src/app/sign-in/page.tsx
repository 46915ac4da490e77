// Sign in with an API token until real sign-in arrives.
import type { Metadata } from "next";
import { SignInForm } from "~/components/session/sign-in-form";
import { safeNextPath } from "~/lib/safe-next";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  return (
    <div className="mx-auto max-w-lg">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
      <div id="sign-in-help" className="mt-2 space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
        <p>Paste your API token. Every action you take is recorded under its user.</p>
        <p>
          On its first start the console prints the first admin&apos;s token in its log (
          <code className="font-mono">export PGRESCUE_TOKEN=pgr_…</code>), or uses{" "}
          <code className="font-mono">PGRESCUE_BOOTSTRAP_TOKEN</code>. Admins create tokens for
          other people.
        </p>
      </div>
      <div className="mt-5 rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900">
        <SignInForm next={safeNextPath(params.next)} expired={params.expired === "1"} />
      </div>
    </div>
  );
}
