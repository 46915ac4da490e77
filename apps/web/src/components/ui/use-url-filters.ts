"use client";
// A filter form kept in the URL: the filters the URL says now, whether any is set, the form's key (it starts over
// from the URL when the URL changes), the submit handler that writes the form back to the URL, and what ties a
// field to its filter (its name in the form and the URL, and the URL's value to start from).
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { SubmitEvent } from "react";
import { withSearch } from "~/lib/url-filters";

export function useUrlFilters<T extends Record<keyof T, string>>(
  read: (source: URLSearchParams | FormData) => T,
  toSearch: (filters: T) => string,
) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const formKey = searchParams.toString();
  const filters = read(new URLSearchParams(formKey));
  const apply = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    router.push(withSearch(pathname, toSearch(read(new FormData(event.currentTarget)))));
  };
  const field = (key: keyof T & string) => ({ name: key, defaultValue: filters[key] });
  return { filters, active: toSearch(filters) !== "", formKey, apply, field };
}
