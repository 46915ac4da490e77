// /setup#<token>: the one-time link from the console's log creates the first admin.
import type { Metadata } from "next";
import { SetupForm } from "~/components/session/setup-form";

export const metadata: Metadata = { title: "Create the first admin" };

export default function SetupPage() {
  return (
    <div className="mx-auto max-w-lg">
      <h1 className="text-2xl font-semibold tracking-tight">Create the first admin</h1>
      <p id="setup-help" className="mt-2 text-sm text-zinc-700 dark:text-zinc-300">
        This link works once, for 24 hours, and only while the console has no users. The admin then
        creates everybody else&apos;s accounts under Users.
      </p>
      <div className="mt-5 rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900">
        <SetupForm />
      </div>
    </div>
  );
}
