// Filters kept in the URL (shareable, survive a reload): read from the query string or the submitted form,
// written back as a query string. Each page names its keys and checks its own values.

export type TUrlFilters<K extends string> = Record<K, string>;

/** Every key's trimmed value, "" when absent. */
export function readUrlFilters<K extends string>(
  source: URLSearchParams | FormData,
  keys: readonly K[],
): TUrlFilters<K> {
  const entries = keys.map((key) => {
    const value = source.get(key);
    return [key, typeof value === "string" ? value.trim() : ""] as const;
  });
  return Object.fromEntries(entries) as TUrlFilters<K>;
}

/** The query string of the filters that are set, in the order of `keys`. */
export function toUrlSearch<K extends string>(filters: TUrlFilters<K>, keys: readonly K[]): string {
  const params = new URLSearchParams();
  for (const key of keys) if (filters[key] !== "") params.set(key, filters[key]);
  return params.toString();
}

/** `pathname?query`, or the bare pathname when no filter is set. */
export function withSearch(pathname: string, search: string): string {
  return search === "" ? pathname : `${pathname}?${search}`;
}

/** A page's `searchParams` (single values only) as a query string, to come back to the same view after sign-in. */
export function searchOfPageParams(params: Record<string, string | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "string") search.set(key, value);
  }
  return search.toString();
}
