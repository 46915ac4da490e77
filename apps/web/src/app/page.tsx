// Home: what pgrescue does, where to start, and the console's own status.
import { SystemHealth } from "~/components/system-health";
import { ButtonLink } from "~/components/ui/button";

export default function HomePage() {
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">PostgreSQL rescue console</h1>
        <p className="mt-2 max-w-prose text-zinc-700 dark:text-zinc-300">
          Diagnose an instance that will not stop and will not accept connections in one read-only
          SSH round trip, then walk the recovery ladder — fast stop, immediate stop, kill, start —
          one approved, exact command at a time. Every incident is kept for review.
        </p>
        <div className="mt-4 flex flex-wrap gap-2">
          <ButtonLink href="/hosts" variant="primary">
            Hosts and instances
          </ButtonLink>
          <ButtonLink href="/history">Incident history</ButtonLink>
          <ButtonLink href="/demo">Try it on a lab host</ButtonLink>
        </div>
      </section>
      <SystemHealth />
    </div>
  );
}
