// History filters as they live in the URL (shareable, survive a reload) and as incidents.list takes them.
import { parseLocalDateTime } from "./time.ts";
import type { TRouterInputs, TIncidentOutcome, TIncidentStatus } from "./types.ts";
import { readUrlFilters, toUrlSearch } from "./url-filters.ts";

export type THistoryFilters = {
  host: string;
  instance: string;
  status: TIncidentStatus | "";
  outcome: TIncidentOutcome | "";
  text: string;
  /** datetime-local values (the browser's local time) */
  from: string;
  to: string;
};

const STATUSES = new Set(["OPEN", "CLOSED"]);
const OUTCOMES = new Set(["RECOVERED", "ABORTED", "NEEDS_REBOOT", "ESCALATED", "FALSE_ALARM"]);

export const FILTER_KEYS = ["host", "instance", "status", "outcome", "text", "from", "to"] as const;

/** From the URL or the submitted form: every key trimmed, an unknown status or outcome as "". */
export function readFilters(source: URLSearchParams | FormData): THistoryFilters {
  const filters = readUrlFilters(source, FILTER_KEYS);
  return {
    ...filters,
    status: STATUSES.has(filters.status) ? (filters.status as TIncidentStatus) : "",
    outcome: OUTCOMES.has(filters.outcome) ? (filters.outcome as TIncidentOutcome) : "",
  };
}

export function toSearch(filters: THistoryFilters): string {
  return toUrlSearch(filters, FILTER_KEYS);
}

type TListInput = Omit<TRouterInputs["incidents"]["list"], "cursor">;

export function toListInput(filters: THistoryFilters, limit: number): TListInput {
  const blank = (value: string) => (value === "" ? undefined : value);
  return {
    host: blank(filters.host),
    instance: blank(filters.instance),
    status: filters.status === "" ? undefined : filters.status,
    outcome: filters.outcome === "" ? undefined : filters.outcome,
    text: blank(filters.text),
    from: parseLocalDateTime(filters.from),
    to: parseLocalDateTime(filters.to),
    limit,
  };
}
