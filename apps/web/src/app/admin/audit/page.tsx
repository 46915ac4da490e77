// /admin/audit — the audit trail with filters (admins only; the API refuses everybody else too).
import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditPage } from "~/components/admin/audit-page";
import { Alert, LoadingBlock } from "~/components/ui/feedback";
import { PageHeader } from "~/components/ui/layout";
import { searchOfPageParams, withSearch } from "~/lib/url-filters";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Audit trail" };

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const actor = await requireSession(
    withSearch("/admin/audit", searchOfPageParams(await searchParams)),
  );
  if (actor.role !== "ADMIN") {
    return (
      <div>
        <PageHeader title="Audit trail" />
        <Alert tone="warn" title="For admins only" testId="audit-forbidden">
          You are signed in as {actor.label} ({actor.role.toLowerCase()}). Ask an admin for what you
          need from the audit trail; every incident&apos;s own trail is on its page and in its
          export.
        </Alert>
      </div>
    );
  }
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" className="h-40" />}>
      <AuditPage />
    </Suspense>
  );
}
