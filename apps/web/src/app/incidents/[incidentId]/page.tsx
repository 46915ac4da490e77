// /incidents/:id — work an incident and read its history (signed-in users only).
import type { Metadata } from "next";
import { IncidentPage } from "~/components/incident/incident-page";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Incident" };

export default async function Page({ params }: { params: Promise<{ incidentId: string }> }) {
  const { incidentId } = await params;
  await requireSession(`/incidents/${incidentId}`);
  return <IncidentPage incidentId={incidentId} />;
}
