// /instances/:id — diagnose one instance and open an incident (signed-in users only).
import type { Metadata } from "next";
import { InstancePage } from "~/components/instance/instance-page";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Instance" };

export default async function Page({ params }: { params: Promise<{ instanceId: string }> }) {
  const { instanceId } = await params;
  await requireSession(`/instances/${instanceId}`);
  return <InstancePage instanceId={instanceId} />;
}
