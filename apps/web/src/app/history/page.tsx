// /history — incidents with filters (signed-in users only).
import type { Metadata } from "next";
import { Suspense } from "react";
import { HistoryPage } from "~/components/history/history-page";
import { LoadingBlock } from "~/components/ui/feedback";
import { searchOfPageParams, withSearch } from "~/lib/url-filters";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "History" };

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession(withSearch("/history", searchOfPageParams(await searchParams)));
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" className="h-40" />}>
      <HistoryPage />
    </Suspense>
  );
}
