// /admin/users — people, roles, passwords and everybody's API tokens (admins only; the API refuses everybody else too).
import type { Metadata } from "next";
import { UsersAdmin } from "~/components/admin/users-admin";
import { ApiTokens } from "~/components/session/api-tokens";
import { Alert } from "~/components/ui/feedback";
import { PageHeader, Section } from "~/components/ui/layout";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const actor = await requireSession("/admin/users");
  if (actor.role !== "ADMIN") {
    return (
      <div>
        <PageHeader title="Users" />
        <Alert tone="warn" title="For admins only" testId="users-forbidden">
          You are signed in as {actor.label} ({actor.role.toLowerCase()}). Ask an admin to create
          accounts, change roles or reset passwords.
        </Alert>
      </div>
    );
  }
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="Roles: viewer < operator < approver < admin. Disabling signs a person out everywhere."
      />
      <div className="space-y-5">
        <UsersAdmin selfId={actor.id} />
        <Section
          id="all-tokens"
          title="Everybody's API tokens"
          description="Revoke a token that leaked or belongs to someone who left."
        >
          <ApiTokens all />
        </Section>
      </div>
    </>
  );
}
