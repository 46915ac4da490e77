// /account: one's own password and API tokens.
import type { Metadata } from "next";
import { ApiTokens } from "~/components/session/api-tokens";
import { ChangePasswordForm } from "~/components/session/change-password-form";
import { PageHeader, Section } from "~/components/ui/layout";
import { requireSession } from "~/server/session";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const actor = await requireSession("/account");
  return (
    <>
      <PageHeader title="Account" subtitle={`${actor.label} · ${actor.role.toLowerCase()}`} />
      <div className="space-y-5">
        <Section
          id="api-tokens"
          title="API tokens"
          description="For the CLI and scripts. A token acts as you, with your role; revoke it when a laptop is lost."
        >
          <ApiTokens />
        </Section>
        <Section id="password" title="Password">
          <ChangePasswordForm />
        </Section>
      </div>
    </>
  );
}
