"use client";
// Incident history: filters kept in the URL, newest first, cursor pagination ("Load more").
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { TColumn } from "~/components/ui/data-table";
import { Badge, EmptyState } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { FilterForm, FilterSelect } from "~/components/ui/filter-form";
import { PageHeader } from "~/components/ui/layout";
import { PagedTable } from "~/components/ui/paged-table";
import { Timestamp } from "~/components/ui/time";
import { useUrlFilters } from "~/components/ui/use-url-filters";
import { withCurrentOption } from "~/lib/select-options";
import { OUTCOMES, outcomeLabel, type TIncidentSummary } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import { readFilters, toListInput, toSearch } from "~/lib/history-filters";

const PAGE_SIZE = 25;
const STATUSES = [
  { value: "OPEN", label: "open" },
  { value: "CLOSED", label: "closed" },
];

const COLUMNS: TColumn<TIncidentSummary>[] = [
  {
    header: "Opened",
    className: "whitespace-nowrap",
    cell: (incident) => <Timestamp date={incident.openedAt} />,
  },
  {
    header: "Incident",
    minWidth: "lg",
    cell: (incident) => (
      <>
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
      </>
    ),
  },
  {
    header: "Instance",
    className: "whitespace-nowrap",
    cell: (incident) => `${incident.instance.host.name}:${incident.instance.name}`,
  },
  {
    header: "Status",
    cell: (incident) => (
      <Badge tone={incident.status === "OPEN" ? "warn" : "neutral"}>
        {incident.status.toLowerCase()}
      </Badge>
    ),
  },
  {
    header: "Outcome",
    className: "whitespace-nowrap",
    cell: (incident) => outcomeLabel(incident.outcome),
  },
  { header: "Opened by", minWidth: "md", cell: (incident) => incident.openedBy?.email ?? "—" },
  {
    header: "Closed",
    className: "whitespace-nowrap",
    cell: (incident) => (incident.closedAt === null ? "—" : <Timestamp date={incident.closedAt} />),
  },
];

export function HistoryPage() {
  const trpc = useTRPC();
  const urlFilters = useUrlFilters(readFilters, toSearch);
  const { filters, active, field } = urlFilters;
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

  return (
    <div>
      <PageHeader
        title="History"
        subtitle="Every incident, newest first. Open one for its timeline and report."
      />
      <FilterForm
        id="filters"
        label="Filter incidents"
        filters={urlFilters}
        actionsClassName="md:col-span-4"
      >
        <FilterSelect label="Host" {...field("host")} options={hostNames} />
        <FilterSelect label="Instance" {...field("instance")} options={instanceNames} />
        <FilterSelect label="Status" {...field("status")} options={STATUSES} />
        <FilterSelect label="Outcome" {...field("outcome")} options={OUTCOMES} />
        <TextField
          label="Text"
          {...field("text")}
          type="search"
          placeholder="in title or summary"
          className="md:col-span-2"
        />
        <TextField label="Opened from" {...field("from")} type="datetime-local" />
        <TextField label="Opened before" {...field("to")} type="datetime-local" />
      </FilterForm>

      <PagedTable
        list={list}
        noun="incident"
        loadingLabel="Loading incidents…"
        errorTitle="Could not load the history"
        caption="Incidents, newest first"
        testId="history-table"
        columns={COLUMNS}
        rowKey={(incident) => incident.id}
        rowProps={() => ({ "data-testid": "history-row" })}
        empty={
          <EmptyState title={active ? "No incident matches these filters" : "No incidents yet"}>
            {active
              ? "Loosen a filter or clear them."
              : "Incidents appear here once someone opens one from an instance page."}
          </EmptyState>
        }
      />
    </div>
  );
}
