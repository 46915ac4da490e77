"use client";
// The incident's history: who did what when (audit trail), every step with its commands and output,
// and every diagnosis (full snapshot on demand).
import { useQuery } from "@tanstack/react-query";
import { memo, useState } from "react";
import { SnapshotView } from "~/components/diagnosis/snapshot-view";
import { Button } from "~/components/ui/button";
import { Badge, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { formatDuration } from "~/lib/time";
import { describeRung, type TIncidentDetail } from "~/lib/types";
import { verdictTone } from "~/lib/verdicts";
import { useTRPC } from "~/trpc/react";
import { OutputPane } from "./output-pane";
import { StepDetails, stepHeading } from "./step-details";
import { StepReport } from "./step-report";
import { StepStatusBadge, StepTransitions } from "./step-status";

type TAuditEvent = TIncidentDetail["auditEvents"][number];

function field(details: unknown, key: string): string | null {
  if (typeof details !== "object" || details === null || !(key in details)) return null;
  const value = (details as Record<string, unknown>)[key];
  if (value === null || value === undefined) return null;
  return typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : JSON.stringify(value);
}

/** One line per audit event, in words a DBA reads in a postmortem. */
export function describeEvent(event: TAuditEvent): {
  text: string;
  tone: "neutral" | "bad" | "good";
} {
  const d = event.details;
  const rung = field(d, "rung");
  switch (event.action) {
    case "incident.open":
      return {
        text: `opened the incident (verdict ${field(d, "verdict") ?? "?"})`,
        tone: "neutral",
      };
    case "diagnosis.run":
      return {
        text: `diagnosed: ${field(d, "verdict") ?? "?"}, recommended rung ${field(d, "rung") ?? "none"}`,
        tone: field(d, "verdict") === "healthy" ? "good" : "neutral",
      };
    case "step.propose":
      return {
        text: `proposed rung ${rung ?? "?"}${field(d, "reason") ? ` — reason: ${field(d, "reason") ?? ""}` : ""}`,
        tone: "neutral",
      };
    case "step.approve":
      return { text: `approved rung ${rung ?? "?"}`, tone: "neutral" };
    case "step.approval-refused":
      return {
        text: `approval of rung ${rung ?? "?"} refused: ${field(d, "reason") ?? "?"}`,
        tone: "bad",
      };
    case "step.run":
      return { text: `ran rung ${rung ?? "?"}`, tone: "neutral" };
    case "step.finish": {
      const status = field(d, "status") ?? "?";
      return {
        text: `rung ${rung ?? "?"} finished: ${status} (exit ${field(d, "exitCode") ?? "—"})`,
        tone: status === "SUCCEEDED" ? "good" : "bad",
      };
    }
    case "step.skip":
      return { text: `skipped rung ${rung ?? "?"}: ${field(d, "reason") ?? ""}`, tone: "neutral" };
    case "incident.close":
      return {
        text: `closed the incident: ${field(d, "outcome") ?? "?"} — ${field(d, "summary") ?? ""}`,
        tone: "neutral",
      };
    default:
      return {
        text: `${event.action}${d === null ? "" : ` ${JSON.stringify(d)}`}`,
        tone: "neutral",
      };
  }
}

export const AuditTimeline = memo(function AuditTimeline({ events }: { events: TAuditEvent[] }) {
  if (events.length === 0)
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">Nothing recorded yet.</p>;
  return (
    <ol className="space-y-1.5 text-sm" data-testid="timeline">
      {events.map((event) => {
        const { text, tone } = describeEvent(event);
        return (
          <li key={event.id} className="grid grid-cols-[11rem_minmax(0,1fr)] gap-3">
            <Timestamp date={event.at} className="text-zinc-600 tabular-nums dark:text-zinc-400" />
            <span
              className={
                tone === "bad"
                  ? "text-red-800 dark:text-red-300"
                  : tone === "good"
                    ? "text-emerald-800 dark:text-emerald-300"
                    : ""
              }
            >
              <span className="font-medium">{event.actorLabel}</span> {text}
            </span>
          </li>
        );
      })}
    </ol>
  );
});

export const StepHistory = memo(function StepHistory({ detail }: { detail: TIncidentDetail }) {
  if (detail.steps.length === 0)
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">No step was proposed.</p>;
  return (
    <ul className="space-y-2">
      {detail.steps.map((step) => (
        <li key={step.id}>
          <details
            className="rounded-md border border-zinc-200 dark:border-zinc-700"
            data-testid={`history-step-${String(step.seq)}`}
          >
            <summary className="flex cursor-pointer flex-wrap items-center gap-2 px-3 py-2 text-sm">
              <span className="font-medium">{stepHeading(step)}</span>
              <StepStatusBadge status={step.status} />
              <span className="text-zinc-600 dark:text-zinc-400">{step.title}</span>
            </summary>
            <div className="space-y-3 border-t border-zinc-200 px-3 py-3 dark:border-zinc-700">
              <StepTransitions step={step} />
              {step.error === null ? null : (
                <p className="text-sm text-red-800 dark:text-red-300">
                  <span className="font-semibold">Error: </span>
                  {step.error}
                </p>
              )}
              <StepReport step={step} />
              <StepDetails step={step} />
              {step.startedAt === null ? null : (
                <OutputPane
                  chunks={step.output}
                  live={false}
                  label={`Output of step ${String(step.seq)}`}
                  status={`exit code ${step.exitCode === null ? "—" : String(step.exitCode)}`}
                />
              )}
            </div>
          </details>
        </li>
      ))}
    </ul>
  );
});

function FullSnapshot({ snapshotId }: { snapshotId: string }) {
  const trpc = useTRPC();
  const stored = useQuery({
    ...trpc.instances.snapshot.queryOptions({ snapshotId, includeRaw: false }),
    staleTime: Infinity,
  });
  if (stored.isPending) return <LoadingBlock label="Loading the diagnosis…" className="h-40" />;
  if (stored.isError)
    return (
      <ErrorAlert title="Could not load the diagnosis" message={readError(stored.error).message} />
    );
  return (
    <SnapshotView
      idPrefix={`s-${snapshotId}`}
      snapshot={stored.data.snapshot}
      meta={{
        snapshotId,
        takenAt: stored.data.takenAt,
        durationMs: stored.data.durationMs,
        sshExecs: stored.data.sshExecs,
        takenBy: stored.data.takenBy?.email ?? null,
      }}
    />
  );
}

export const DiagnosisEntry = memo(function DiagnosisEntry({
  snapshot,
}: {
  snapshot: TIncidentDetail["snapshots"][number];
}) {
  const [open, setOpen] = useState(false);
  const evidence = snapshot.evidence;
  return (
    <div className="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-700">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={verdictTone(snapshot.verdict)}>{snapshot.verdict}</Badge>
        <span>recommended rung {describeRung(snapshot.recommendedRung)}</span>
        <span className="text-zinc-600 dark:text-zinc-400">
          <Timestamp date={snapshot.takenAt} /> by {snapshot.takenBy?.email ?? "?"},{" "}
          {formatDuration(snapshot.durationMs)}
        </span>
        <Button
          variant="ghost"
          className="ml-auto"
          aria-expanded={open}
          onClick={() => {
            setOpen((value) => !value);
          }}
        >
          {open ? "Hide the full diagnosis" : "Show the full diagnosis"}
        </Button>
      </div>
      {evidence.length === 0 ? null : (
        <ul className="mt-1 list-disc pl-5 text-sm">
          {evidence.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ul>
      )}
      {open ? (
        <div className="mt-3">
          <FullSnapshot snapshotId={snapshot.id} />
        </div>
      ) : null}
    </div>
  );
});
