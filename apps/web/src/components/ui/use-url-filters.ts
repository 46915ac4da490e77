"use client";
// A filter form kept in the URL: the filters the URL says now, whether any is set, the form's key (it starts over
// from the URL when the URL changes) and the submit handler that writes the form back to the URL.
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { SubmitEvent } from "react";
import { withSearch } from "~/lib/url-filters";

export function useUrlFilters<T>(
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
  return { filters, active: toSearch(filters) !== "", formKey, apply };
}
