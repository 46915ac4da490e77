"use client";
// The audit trail for admins: filters kept in the URL, newest first, cursor pagination ("Load more").
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { FilterFormActions } from "~/components/ui/filter-actions";
import { useUrlFilters } from "~/components/ui/use-url-filters";
import { LoadMoreFooter } from "~/components/ui/load-more";
import { Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { PageHeader, Section } from "~/components/ui/layout";
import { Timestamp } from "~/components/ui/time";
import {
  AUDIT_ACTION_PREFIXES,
  readAuditFilters,
  toAuditListInput,
  toAuditSearch,
} from "~/lib/audit-filters";
import { readError } from "~/lib/errors";
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

function AuditRow({ event }: { event: TAuditEvent }) {
  const href = targetHref(event);
  return (
    <tr
      className="border-t border-zinc-100 align-top dark:border-zinc-800"
      data-testid="audit-row"
      data-action={event.action}
    >
      <td className="px-3 py-2 whitespace-nowrap">
        <Timestamp date={event.at} />
      </td>
      <td className="px-3 py-2">
        <span className="break-all">{event.actorLabel}</span>
        {event.actorId === null ? (
          <span className="block text-xs text-zinc-600 dark:text-zinc-400">not a console user</span>
        ) : null}
        {event.ip === null ? null : (
          <span className="block font-mono text-xs text-zinc-600 dark:text-zinc-400">
            {event.ip}
          </span>
        )}
      </td>
      <td className="px-3 py-2">
        <Badge tone={actionTone(event.action)}>{event.action}</Badge>
      </td>
      <td className="px-3 py-2">
        {event.targetType === null ? (
          <span className="text-zinc-500">—</span>
        ) : (
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
        )}
      </td>
      <td className="px-3 py-2">
        {event.incidentId === null ? (
          <span className="text-zinc-500">—</span>
        ) : (
          <Link
            href={`/incidents/${event.incidentId}`}
            className={`font-mono text-xs ${LINK_CLASS}`}
          >
            {event.incidentId}
          </Link>
        )}
      </td>
      <td className="max-w-md px-3 py-2">
        <Details details={event.details} />
      </td>
    </tr>
  );
}

export function AuditPage() {
  const trpc = useTRPC();
  const { filters, active, formKey, apply } = useUrlFilters(readAuditFilters, toAuditSearch);

  const list = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(toAuditListInput(filters, PAGE_SIZE), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div>
      <PageHeader
        title="Audit trail"
        subtitle="Who did what, newest first: sign-ins, people and tokens, hosts, diagnoses, approvals and step runs. Events are never changed or deleted."
      />
      <Section id="audit-filters" title="Filters" className="mb-4">
        {/* key: the form starts over from the URL whenever the URL changes (back/forward, clear). */}
        <form
          key={formKey}
          onSubmit={apply}
          aria-label="Filter audit events"
          className="grid gap-3 md:grid-cols-4"
        >
          <TextField
            label="Action"
            name="action"
            defaultValue={filters.action}
            placeholder="step. or step.approve"
            list="audit-action-prefixes"
            hint="the start of the action"
          />
          <datalist id="audit-action-prefixes">
            {AUDIT_ACTION_PREFIXES.map((prefix) => (
              <option key={prefix} value={prefix} />
            ))}
          </datalist>
          <TextField
            label="Who"
            name="actor"
            type="search"
            defaultValue={filters.actor}
            placeholder="part of an e-mail"
          />
          <TextField
            label="Target type"
            name="targetType"
            defaultValue={filters.targetType}
            list="audit-target-types"
            placeholder="Host, Step, User…"
          />
          <datalist id="audit-target-types">
            {TARGET_TYPES.map((type) => (
              <option key={type} value={type} />
            ))}
          </datalist>
          <TextField
            label="Target id"
            name="targetId"
            defaultValue={filters.targetId}
            controlClassName="font-mono"
          />
          <TextField
            label="Incident"
            name="incident"
            defaultValue={filters.incident}
            placeholder="incident id"
            controlClassName="font-mono"
          />
          <TextField label="From" name="from" type="datetime-local" defaultValue={filters.from} />
          <TextField label="Before" name="to" type="datetime-local" defaultValue={filters.to} />
          <FilterFormActions active={active} />
        </form>
      </Section>

      {list.isPending ? (
        <LoadingBlock label="Loading audit events…" className="h-40" />
      ) : list.isError ? (
        <ErrorAlert
          title="Could not load the audit trail"
          message={readError(list.error).message}
        />
      ) : items.length === 0 ? (
        <EmptyState title={active ? "No event matches these filters" : "No events yet"}>
          {active
            ? "Loosen a filter or clear them."
            : "Events appear here as people use the console."}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <table className="w-full text-left text-sm" data-testid="audit-table">
            <caption className="sr-only">Audit events, newest first</caption>
            <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  When
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Who
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Action
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Target
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Incident
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Details
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <AuditRow key={event.id} event={event} />
              ))}
            </tbody>
          </table>
          <LoadMoreFooter shown={items.length} noun="event" list={list} />
        </div>
      )}
    </div>
  );
}
