"use client";
// The console's own health: store reachable, migrations applied, version.
import { useQuery } from "@tanstack/react-query";
import { Section } from "~/components/ui/layout";
import { useTRPC } from "~/trpc/react";

export function SystemHealth() {
  const trpc = useTRPC();
  const health = useQuery(trpc.system.health.queryOptions());

  if (health.isPending) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400">Checking the console's store…</p>
    );
  }
  if (health.isError) {
    return (
      <p role="alert" className="text-sm text-red-700 dark:text-red-400">
        The console server did not answer: {health.error.message}
      </p>
    );
  }
  const { data } = health;
  return (
    <Section id="health" title="Console status">
      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        <dt className="text-zinc-600 dark:text-zinc-400">Status</dt>
        <dd
          data-testid="health-status"
          className={
            data.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"
          }
        >
          {data.ok ? "ready" : "degraded"}
        </dd>
        <dt className="text-zinc-600 dark:text-zinc-400">Store</dt>
        <dd>
          {data.store.reachable ? `PostgreSQL ${data.store.serverVersion ?? "?"}` : "unreachable"}
          {data.store.embedded ? " (embedded)" : " (external)"}
        </dd>
        <dt className="text-zinc-600 dark:text-zinc-400">Migrations</dt>
        <dd>
          {data.store.migrationsApplied} applied
          {data.store.migrationsPending.length > 0
            ? `, pending: ${data.store.migrationsPending.join(", ")}`
            : ""}
        </dd>
        <dt className="text-zinc-600 dark:text-zinc-400">Version</dt>
        <dd className="font-mono">{data.version}</dd>
      </dl>
      {data.store.error ? (
        <p role="alert" className="mt-3 text-sm text-red-700 dark:text-red-400">
          {data.store.error}
        </p>
      ) : null}
    </Section>
  );
}
