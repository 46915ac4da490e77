"use client";
// Incident history: filters kept in the URL, newest first, cursor pagination ("Load more").
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { FilterFormActions } from "~/components/ui/filter-actions";
import { useUrlFilters } from "~/components/ui/use-url-filters";
import { LoadMoreFooter } from "~/components/ui/load-more";
import { Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { SelectField, TextField } from "~/components/ui/field";
import { PageHeader, Section } from "~/components/ui/layout";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { withCurrentOption } from "~/lib/select-options";
import { OUTCOMES, outcomeLabel } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import { readFilters, toListInput, toSearch } from "~/lib/history-filters";

const PAGE_SIZE = 25;

export function HistoryPage() {
  const trpc = useTRPC();
  const { filters, active, formKey, apply } = useUrlFilters(readFilters, toSearch);
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  // The URL's host and instance are options even before the hosts arrive: after a reload the form shows the
  // filters the list applies (and Apply keeps them).
  const hostNames = withCurrentOption(
    (hosts.data ?? []).map((host) => host.name),
    filters.host,
  );
  const instanceNames = withCurrentOption(
    [
      ...new Set(
        (hosts.data ?? []).flatMap((host) => host.instances.map((instance) => instance.name)),
      ),
    ].sort(),
    filters.instance,
  );

  const list = useInfiniteQuery(
    trpc.incidents.list.infiniteQueryOptions(toListInput(filters, PAGE_SIZE), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div>
      <PageHeader
        title="History"
        subtitle="Every incident, newest first. Open one for its timeline and report."
      />
      <Section id="filters" title="Filters" className="mb-4">
        {/* key: the form starts over from the URL whenever the URL changes (back/forward, reset). */}
        <form
          key={formKey}
          onSubmit={apply}
          aria-label="Filter incidents"
          className="grid gap-3 md:grid-cols-4"
        >
          <SelectField label="Host" name="host" defaultValue={filters.host}>
            <option value="">any host</option>
            {hostNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Instance" name="instance" defaultValue={filters.instance}>
            <option value="">any instance</option>
            {instanceNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Status" name="status" defaultValue={filters.status}>
            <option value="">any status</option>
            <option value="OPEN">open</option>
            <option value="CLOSED">closed</option>
          </SelectField>
          <SelectField label="Outcome" name="outcome" defaultValue={filters.outcome}>
            <option value="">any outcome</option>
            {OUTCOMES.map((outcome) => (
              <option key={outcome.value} value={outcome.value}>
                {outcome.label}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Text"
            name="text"
            type="search"
            defaultValue={filters.text}
            placeholder="in title or summary"
            className="md:col-span-2"
          />
          <TextField
            label="Opened from"
            name="from"
            type="datetime-local"
            defaultValue={filters.from}
          />
          <TextField
            label="Opened before"
            name="to"
            type="datetime-local"
            defaultValue={filters.to}
          />
          <FilterFormActions active={active} className="md:col-span-4" />
        </form>
      </Section>

      {list.isPending ? (
        <LoadingBlock label="Loading incidents…" className="h-40" />
      ) : list.isError ? (
        <ErrorAlert title="Could not load the history" message={readError(list.error).message} />
      ) : items.length === 0 ? (
        <EmptyState title={active ? "No incident matches these filters" : "No incidents yet"}>
          {active
            ? "Loosen a filter or clear them."
            : "Incidents appear here once someone opens one from an instance page."}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <table className="w-full text-left text-sm" data-testid="history-table">
            <caption className="sr-only">Incidents, newest first</caption>
            <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Opened
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Incident
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Instance
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Status
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Outcome
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Opened by
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Closed
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((incident) => (
                <tr
                  key={incident.id}
                  className="border-t border-zinc-100 align-top dark:border-zinc-800"
                  data-testid="history-row"
                >
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Timestamp date={incident.openedAt} />
                  </td>
                  <td className="px-3 py-2">
                    <Link
                      href={`/incidents/${incident.id}`}
                      className="font-medium text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
                    >
                      {incident.title}
                    </Link>
                    {incident.summary === null ? null : (
                      <p className="mt-0.5 line-clamp-2 text-xs text-zinc-600 dark:text-zinc-400">
                        {incident.summary}
                      </p>
                    )}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {incident.instance.host.name}:{incident.instance.name}
                  </td>
                  <td className="px-3 py-2">
                    <Badge tone={incident.status === "OPEN" ? "warn" : "neutral"}>
                      {incident.status.toLowerCase()}
                    </Badge>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">{outcomeLabel(incident.outcome)}</td>
                  <td className="px-3 py-2">{incident.openedBy?.email ?? "—"}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {incident.closedAt === null ? "—" : <Timestamp date={incident.closedAt} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMoreFooter shown={items.length} noun="incident" list={list} />
        </div>
      )}
    </div>
  );
}
