"use client";
// The audit trail for admins: filters kept in the URL, newest first, cursor pagination ("Load more").
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { TColumn } from "~/components/ui/data-table";
import { Badge, EmptyState } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { FilterForm } from "~/components/ui/filter-form";
import { PageHeader } from "~/components/ui/layout";
import { PagedTable } from "~/components/ui/paged-table";
import { Timestamp } from "~/components/ui/time";
import { useUrlFilters } from "~/components/ui/use-url-filters";
import {
  AUDIT_ACTION_PREFIXES,
  readAuditFilters,
  toAuditListInput,
  toAuditSearch,
} from "~/lib/audit-filters";
import type { RouterOutputs } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

const PAGE_SIZE = 50;
const TARGET_TYPES = [
  "Host",
  "Instance",
  "Incident",
  "Step",
  "User",
  "ApiToken",
  "Setting",
  "SignIn",
];
const LINK_CLASS = "text-sky-800 underline-offset-2 hover:underline dark:text-sky-300";

type TAuditEvent = RouterOutputs["audit"]["list"]["items"][number];

/** Where a target lives in the console, when it has a page of its own. */
function targetHref(event: TAuditEvent): string | null {
  if (event.targetId === null) return null;
  if (event.targetType === "Incident") return `/incidents/${event.targetId}`;
  if (event.targetType === "Instance") return `/instances/${event.targetId}`;
  return null;
}

function actionTone(action: string): "bad" | "warn" | "info" | "neutral" {
  if (/(failed|locked|refused|mismatch)/.test(action)) return "bad";
  if (/^(step\.(approve|run)|user\.|token\.|policy\.|vault\.)/.test(action)) return "warn";
  if (action.startsWith("auth.")) return "info";
  return "neutral";
}

function Details({ details }: { details: TAuditEvent["details"] }) {
  const text = JSON.stringify(details);
  if (text === "{}" || text === "null") return <span className="text-zinc-500">—</span>;
  return (
    <code className="line-clamp-3 font-mono text-xs break-all" title={text}>
      {text}
    </code>
  );
}

function TargetCell({ event }: { event: TAuditEvent }) {
  if (event.targetType === null) return <span className="text-zinc-500">—</span>;
  const href = targetHref(event);
  return (
    <>
      <span className="text-xs text-zinc-600 dark:text-zinc-400">{event.targetType}</span>{" "}
      {href === null ? (
        <span className="font-mono text-xs break-all">{event.targetId}</span>
      ) : (
        <Link href={href} className={`font-mono text-xs break-all ${LINK_CLASS}`}>
          {event.targetId}
        </Link>
      )}
    </>
  );
}

const COLUMNS: TColumn<TAuditEvent>[] = [
  {
    header: "When",
    className: "whitespace-nowrap",
    cell: (event) => <Timestamp date={event.at} />,
  },
  {
    header: "Who",
    minWidth: "md",
    cell: (event) => (
      <>
        <span className="break-all">{event.actorLabel}</span>
        {event.actorId === null ? (
          <span className="block text-xs text-zinc-600 dark:text-zinc-400">not a console user</span>
        ) : null}
        {event.ip === null ? null : (
          <span className="block font-mono text-xs text-zinc-600 dark:text-zinc-400">
            {event.ip}
          </span>
        )}
      </>
    ),
  },
  {
    header: "Action",
    cell: (event) => <Badge tone={actionTone(event.action)}>{event.action}</Badge>,
  },
  { header: "Target", minWidth: "md", cell: (event) => <TargetCell event={event} /> },
  {
    header: "Incident",
    cell: (event) =>
      event.incidentId === null ? (
        <span className="text-zinc-500">—</span>
      ) : (
        <Link href={`/incidents/${event.incidentId}`} className={`font-mono text-xs ${LINK_CLASS}`}>
          {event.incidentId}
        </Link>
      ),
  },
  {
    header: "Details",
    className: "max-w-md",
    minWidth: "lg",
    cell: (event) => <Details details={event.details} />,
  },
];

export function AuditPage() {
  const trpc = useTRPC();
  const urlFilters = useUrlFilters(readAuditFilters, toAuditSearch);
  const { filters, active, field } = urlFilters;

  const list = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(toAuditListInput(filters, PAGE_SIZE), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );

  return (
    <div>
      <PageHeader
        title="Audit trail"
        subtitle="Who did what, newest first: sign-ins, people and tokens, hosts, diagnoses, approvals and step runs. Events are never changed or deleted."
      />
      <FilterForm id="audit-filters" label="Filter audit events" filters={urlFilters}>
        <TextField
          label="Action"
          {...field("action")}
          placeholder="step. or step.approve"
          list="audit-action-prefixes"
          hint="the start of the action"
        />
        <datalist id="audit-action-prefixes">
          {AUDIT_ACTION_PREFIXES.map((prefix) => (
            <option key={prefix} value={prefix} />
          ))}
        </datalist>
        <TextField label="Who" {...field("actor")} type="search" placeholder="part of an e-mail" />
        <TextField
          label="Target type"
          {...field("targetType")}
          list="audit-target-types"
          placeholder="Host, Step, User…"
        />
        <datalist id="audit-target-types">
          {TARGET_TYPES.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
        <TextField label="Target id" {...field("targetId")} controlClassName="font-mono" />
        <TextField
          label="Incident"
          {...field("incident")}
          placeholder="incident id"
          controlClassName="font-mono"
        />
        <TextField label="From" {...field("from")} type="datetime-local" />
        <TextField label="Before" {...field("to")} type="datetime-local" />
      </FilterForm>

      <PagedTable
        list={list}
        noun="event"
        loadingLabel="Loading audit events…"
        errorTitle="Could not load the audit trail"
        caption="Audit events, newest first"
        testId="audit-table"
        columns={COLUMNS}
        rowKey={(event) => event.id}
        rowProps={(event) => ({ "data-testid": "audit-row", "data-action": event.action })}
        empty={
          <EmptyState title={active ? "No event matches these filters" : "No events yet"}>
            {active
              ? "Loosen a filter or clear them."
              : "Events appear here as people use the console."}
          </EmptyState>
        }
      />
    </div>
  );
}
