// /demo — try the console on a lab host broken the runbook's way (signed-in users; creating it is for admins).
import type { Metadata } from "next";
import { TryLabButton } from "~/components/demo/try-lab-button";
import { PageHeader } from "~/components/ui/layout";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Try it on a lab host" };

export default async function Page() {
  await requireSession("/demo");
  return (
    <div>
      <PageHeader
        title="Try it on a lab host"
        subtitle={
          <p className="max-w-prose">
            A lab host is a small isolated machine on this one: its own PID and IPC namespaces, its
            own sshd on 127.0.0.1 and a real PostgreSQL instance. The demo breaks that instance the
            runbook&apos;s way — postmaster stopped, backends defunct — and adds it here, so you can
            diagnose it and walk the recovery ladder without touching a real server.
          </p>
        }
      />
      <TryLabButton />
    </div>
  );
}
