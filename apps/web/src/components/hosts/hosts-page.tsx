"use client";
// The hosts page: every host and instance with its last verdict; admins add, edit and re-pin hosts and add instances.
import { useQuery } from "@tanstack/react-query";
import { useMe } from "~/components/session/use-me";
import { PageHeader, Section } from "~/components/ui/layout";
import { hasRole } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import { AddHostForm } from "./add-host-form";
import { AddInstanceForm } from "./add-instance-form";
import { HostList } from "./host-list";

export function HostsPage() {
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: 30_000 });
  const me = useMe();
  const isAdmin = hasRole(me.data?.role, "ADMIN");

  return (
    <div>
      <PageHeader
        title="Hosts"
        subtitle="Database hosts reached over SSH, and the PostgreSQL instances on them."
      />
      <div className="space-y-6">
        <HostList hosts={hosts} isAdmin={isAdmin} />
        {me.isSuccess && !isAdmin ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Adding hosts and instances needs the admin role; you are {me.data.role.toLowerCase()}.
          </p>
        ) : null}
        {isAdmin ? (
          <div className="grid gap-6">
            <Section
              id="add-host"
              title="Add a host"
              description="pgrescue logs in once to test the connection and pins the host key."
            >
              <AddHostForm />
            </Section>
            <Section
              id="add-instance"
              title="Add an instance"
              description="A data directory on one of the hosts."
            >
              <AddInstanceForm hosts={hosts.data ?? []} />
            </Section>
          </div>
        ) : null}
      </div>
    </div>
  );
}
