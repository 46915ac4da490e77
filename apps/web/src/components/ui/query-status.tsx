// A query's three faces in one place: a placeholder while it loads, what went wrong, or what its data renders to.
import type { ReactNode } from "react";
import { readError } from "~/lib/errors";
import { ErrorAlert, LoadingBlock } from "./feedback";

export type TQueryState<T> = {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
};

export function QueryStatus<T>({
  query,
  loading,
  loadingClassName,
  errorTitle,
  children,
}: {
  query: TQueryState<T>;
  /** What the placeholder says while the query loads. */
  loading: string;
  /** The placeholder's height (it keeps the page from jumping when the data arrives). */
  loadingClassName?: string;
  errorTitle?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <LoadingBlock label={loading} className={loadingClassName} />;
  if (query.isError || query.data === undefined) {
    return <ErrorAlert title={errorTitle} message={readError(query.error).message} />;
  }
  return children(query.data);
}
