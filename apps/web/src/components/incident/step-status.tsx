// A step's status as a badge, and its transitions with their times.
import { Badge, type TTone } from "~/components/ui/feedback";
import { Timestamp } from "~/components/ui/time";
import type { TStepStatus, TStepView } from "~/lib/types";

const STATUS: Record<TStepStatus, { tone: TTone; label: string }> = {
  PROPOSED: { tone: "info", label: "proposed — waiting for approval" },
  APPROVED: { tone: "info", label: "approved — ready to run" },
  RUNNING: { tone: "warn", label: "running" },
  SUCCEEDED: { tone: "good", label: "succeeded" },
  FAILED: { tone: "bad", label: "failed" },
  REFUSED: { tone: "warn", label: "refused on the host — nothing changed" },
  SKIPPED: { tone: "neutral", label: "skipped" },
  EXPIRED: { tone: "neutral", label: "expired" },
  INTERRUPTED: { tone: "bad", label: "interrupted — outcome unknown" },
};

export function StepStatusBadge({ status }: { status: TStepStatus }) {
  const { tone, label } = STATUS[status];
  return (
    <Badge tone={tone} className="uppercase">
      <span data-testid="step-status">{status}</span>
      <span className="sr-only">: {label}</span>
    </Badge>
  );
}

/** A step that may still run: proposed, approved or running. */
export function isOpenStatus(status: TStepStatus): boolean {
  return status === "PROPOSED" || status === "APPROVED" || status === "RUNNING";
}

export function stepStatusLabel(status: TStepStatus): string {
  return STATUS[status].label;
}

export function StepTransitions({ step }: { step: TStepView }) {
  const items: { label: string; at: Date; who?: string | undefined }[] = [
    { label: "proposed", at: step.createdAt, who: step.requestedBy?.email },
  ];
  if (step.approvedAt !== null)
    items.push({ label: "approved", at: step.approvedAt, who: step.approvedBy?.email });
  if (step.startedAt !== null) items.push({ label: "started", at: step.startedAt });
  if (step.finishedAt !== null)
    items.push({ label: step.status.toLowerCase(), at: step.finishedAt });
  else if (!isOpenStatus(step.status)) {
    items.push({ label: step.status.toLowerCase(), at: step.createdAt });
  }
  // An open step gains "approved" and "started": room for two lines from the start, so the page below
  // does not move when they wrap.
  return (
    <ol
      className={`flex flex-wrap content-start gap-x-2 gap-y-1 text-xs text-zinc-700 dark:text-zinc-300 ${isOpenStatus(step.status) ? "min-h-9" : ""}`}
      aria-label="State transitions"
    >
      {items.map((item, index) => (
        <li key={`${item.label}-${String(index)}`} className="flex items-center gap-2">
          {index > 0 ? <span aria-hidden="true">→</span> : null}
          <span>
            <span className="font-medium">{item.label}</span> <Timestamp date={item.at} />
            {item.who ? ` by ${item.who}` : ""}
          </span>
        </li>
      ))}
    </ol>
  );
}
