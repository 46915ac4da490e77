"use client";
// The footer of a cursor-paged table: how many rows are shown, and "Load more" while there are more.
import { Button } from "./button";

export function LoadMoreFooter({
  shown,
  noun,
  list,
}: {
  shown: number;
  /** singular; an "s" is added for other counts */
  noun: string;
  list: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => Promise<unknown>;
  };
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
