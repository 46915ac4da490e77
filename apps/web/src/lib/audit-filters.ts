// Audit trail filters as they live in the URL and as audit.list takes them.
import { parseLocalDateTime } from "./time.ts";
import type { TRouterInputs } from "./types.ts";
import { readUrlFilters, toUrlSearch, type TUrlFilters } from "./url-filters.ts";

export const AUDIT_FILTER_KEYS = [
  "action",
  "actor",
  "targetType",
  "targetId",
  "incident",
  "from",
  "to",
] as const;

/** `from` and `to` are datetime-local values (the browser's local time). */
export type TAuditFilters = TUrlFilters<(typeof AUDIT_FILTER_KEYS)[number]>;

/** The kinds of action the console records, for the action filter's suggestions. */
export const AUDIT_ACTION_PREFIXES = [
  "auth.",
  "user.",
  "token.",
  "policy.",
  "host.",
  "instance.",
  "diagnosis.",
  "incident.",
  "step.",
  "demo.",
  "vault.",
] as const;

export function readAuditFilters(source: URLSearchParams | FormData): TAuditFilters {
  const filters = readUrlFilters(source, AUDIT_FILTER_KEYS);
  // Actions are lower case on the server; a filter typed in capitals means the same.
  return { ...filters, action: filters.action.toLowerCase() };
}

export function toAuditSearch(filters: TAuditFilters): string {
  return toUrlSearch(filters, AUDIT_FILTER_KEYS);
}

type TAuditListInput = Omit<TRouterInputs["audit"]["list"], "cursor">;

export function toAuditListInput(filters: TAuditFilters, limit: number): TAuditListInput {
  const blank = (value: string) => (value === "" ? undefined : value);
  return {
    action: blank(filters.action),
    actor: blank(filters.actor),
    targetType: blank(filters.targetType),
    targetId: blank(filters.targetId),
    incidentId: blank(filters.incident),
    from: parseLocalDateTime(filters.from),
    to: parseLocalDateTime(filters.to),
    limit,
  };
}
