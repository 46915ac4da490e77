// /history — incidents with filters (signed-in users only).
import type { Metadata } from "next";
import { Suspense } from "react";
import { HistoryPage } from "~/components/history/history-page";
import { LoadingBlock } from "~/components/ui/feedback";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "History" };

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(await searchParams)) {
    if (typeof value === "string") params.set(key, value);
  }
  const query = params.toString();
  await requireSession(query === "" ? "/history" : `/history?${query}`);
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" className="h-40" />}>
      <HistoryPage />
    </Suspense>
  );
}
