"use client";
// A cursor-paged list as a framed table: loading and error states, the rows of every page fetched so far, and a
// footer with how many rows are shown and "Load more" while there are more.
import { Button } from "./button";
import { DataTable, type TDataTableProps } from "./data-table";
import { QueryStatus, type TQueryState } from "./query-status";

type TPagedList<T> = TQueryState<{ pages: readonly { items: readonly T[] }[] }> & {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
};

export function PagedTable<T>({
  list,
  noun,
  loadingLabel,
  errorTitle,
  ...table
}: {
  list: TPagedList<T>;
  /** singular; an "s" is added for other counts */
  noun: string;
  loadingLabel: string;
  errorTitle: string;
} & Omit<TDataTableProps<T>, "look" | "footer">) {
  return (
    <QueryStatus
      query={list}
      loading={loadingLabel}
      loadingClassName="h-40"
      errorTitle={errorTitle}
    >
      {(data) => {
        const rows = data.pages.flatMap((page) => page.items);
        return (
          <DataTable
            {...table}
            look="framed"
            rows={rows}
            footer={<LoadMoreFooter shown={rows.length} noun={noun} list={list} />}
          />
        );
      }}
    </QueryStatus>
  );
}

function LoadMoreFooter({
  shown,
  noun,
  list,
}: {
  shown: number;
  noun: string;
  list: TPagedList<unknown>;
}) {
  return (
    <div className="flex items-center justify-between border-t border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800">
      <span className="text-zinc-600 dark:text-zinc-400" aria-live="polite">
        {shown} {noun}
        {shown === 1 ? "" : "s"} shown
      </span>
      {list.hasNextPage ? (
        <Button
          busy={list.isFetchingNextPage}
          disabled={list.isFetchingNextPage}
          onClick={() => void list.fetchNextPage()}
        >
          Load more
        </Button>
      ) : (
        <span className="text-zinc-600 dark:text-zinc-400">That is all.</span>
      )}
    </div>
  );
}
