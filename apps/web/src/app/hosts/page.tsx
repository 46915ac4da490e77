// /hosts: hosts and instances (signed-in users only).
import type { Metadata } from "next";
import { HostsPage } from "~/components/hosts/hosts-page";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Hosts" };

export default async function Page() {
  await requireSession("/hosts");
  return <HostsPage />;
}
