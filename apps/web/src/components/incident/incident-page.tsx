"use client";
// One incident: the current recommendation and the open step (approve, run, watch its output live), the
// last step's result, re-diagnosis, another rung, closing, the timeline, and the report download.
import { useIsMutating, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { memo, useMemo, useState } from "react";
import { useMe } from "~/components/session/use-me";
import { Button } from "~/components/ui/button";
import { Alert, Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { PageHeader, Section } from "~/components/ui/layout";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { mergeChunks, type TOutputChunk } from "~/lib/terminal-text";
import { formatDuration } from "~/lib/time";
import {
  describeRung,
  hasRole,
  outcomeLabel,
  type RouterOutputs,
  type TIncidentDetail,
  type TStepView,
} from "~/lib/types";
import { verdictTone } from "~/lib/verdicts";
import { useTRPC } from "~/trpc/react";
import { CloseForm } from "./close-form";
import { ExportButtons } from "./export-buttons";
import { OutputPane } from "./output-pane";
import { ProposeForm } from "./propose-form";
import { StepActions, type TRunOutcome } from "./step-actions";
import { StepDetails, stepHeading } from "./step-details";
import { StepReport } from "./step-report";
import { isOpenStatus, StepStatusBadge, stepStatusLabel, StepTransitions } from "./step-status";
import { AuditTimeline, DiagnosisEntry, StepHistory } from "./timeline";
import { useIncidentEvents } from "./use-incident-events";

function outputStatus(step: TStepView, streaming: boolean): string {
  if (streaming) return "Running on the host — output appears as it arrives.";
  if (step.status === "APPROVED") return "Approved: press Run; the output appears here.";
  if (step.startedAt === null) return "Not run.";
  const took =
    step.finishedAt === null
      ? ""
      : ` · took ${formatDuration(step.finishedAt.getTime() - step.startedAt.getTime())}`;
  return `${step.status} · exit code ${step.exitCode === null ? "—" : String(step.exitCode)}${took}`;
}

/** Chunks of a step nothing arrived live for (one array, so memoised cards see no change). */
const NO_CHUNKS: readonly TOutputChunk[] = [];

// Memoised, like the timeline below: while output streams only the card of the running step renders again.
const StepCard = memo(function StepCard({
  step,
  detail,
  liveChunks,
  onRunFinished,
  testId,
}: {
  step: TStepView;
  detail: TIncidentDetail;
  /** What arrived over the live event stream for this step. */
  liveChunks: readonly TOutputChunk[];
  onRunFinished: (outcome: TRunOutcome) => void;
  testId: string;
}) {
  const chunks = useMemo(() => mergeChunks(step.output, liveChunks), [step.output, liveChunks]);
  // Output can arrive before the refreshed step says RUNNING: it is streaming from its first chunk on.
  const streaming =
    step.status === "RUNNING" || (step.status === "APPROVED" && liveChunks.length > 0);
  return (
    <article
      aria-labelledby={`${testId}-heading`}
      data-testid={testId}
      data-status={step.status}
      data-rung={step.rung}
      data-seq={step.seq}
      className="space-y-3"
    >
      <div className="flex flex-wrap items-center gap-2">
        <h3 id={`${testId}-heading`} className="font-semibold">
          {stepHeading(step)}
        </h3>
        <StepStatusBadge status={step.status} />
      </div>
      <p className="text-sm font-medium">{step.title}</p>
      <StepTransitions step={step} />
      {step.error === null ? null : (
        <Alert
          tone={step.status === "REFUSED" ? "warn" : "bad"}
          title={step.status === "REFUSED" ? "Refused on the host: nothing was changed" : "Error"}
          testId="step-error"
        >
          <p className="whitespace-pre-wrap">{step.error}</p>
        </Alert>
      )}
      {detail.status === "OPEN" ? <StepActions step={step} onRunFinished={onRunFinished} /> : null}
      {/* The pane is there from the approval on, so pressing Run moves nothing on the page. */}
      {step.startedAt === null && step.status !== "RUNNING" && step.status !== "APPROVED" ? null : (
        <OutputPane
          chunks={chunks}
          live={streaming}
          label={`Output of step ${String(step.seq)}`}
          status={outputStatus(step, streaming)}
          placeholder={
            step.status === "APPROVED" && !streaming
              ? "The output of the step appears here when it runs."
              : undefined
          }
          testId="step-output"
          liveChunks={liveChunks.length}
        />
      )}
      <StepReport step={step} />
      <StepDetails step={step} />
    </article>
  );
});

function RunOutcome({ outcome }: { outcome: TRunOutcome }) {
  const { step } = outcome;
  const good = step.status === "SUCCEEDED";
  return (
    <Alert
      tone={good ? (outcome.verdict === "healthy" ? "good" : "info") : "bad"}
      role="status"
      testId="run-outcome"
      title={`Step ${String(step.seq)} (rung ${String(step.rung)}) ${step.status.toLowerCase()}, exit code ${step.exitCode === null ? "—" : String(step.exitCode)}`}
    >
      <p>
        Fresh diagnosis:{" "}
        <span className="font-mono font-medium" data-testid="run-outcome-verdict">
          {outcome.verdict ?? "did not run"}
        </span>
        .{" "}
        {outcome.nextStep === null
          ? outcome.verdict === "healthy"
            ? "No further step is needed."
            : "No step is recommended now; diagnose again in a moment, or propose a rung."
          : `Next: step ${String(outcome.nextStep.seq)}, rung ${describeRung(outcome.nextStep.rung)}, is proposed below.`}
      </p>
    </Alert>
  );
}

function CurrentDiagnosis({
  detail,
  canOperate,
}: {
  detail: TIncidentDetail;
  canOperate: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = detail.snapshots[detail.snapshots.length - 1];
  const [result, setResult] = useState<RouterOutputs["incidents"]["diagnose"] | null>(null);
  const diagnose = useMutation(
    trpc.incidents.diagnose.mutationOptions({
      onSuccess: async (fresh) => {
        setResult(fresh);
        await queryClient.invalidateQueries({
          queryKey: trpc.incidents.get.queryKey({ incidentId: detail.id }),
        });
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
  );
  return (
    <Section id="current" title="Current diagnosis">
      <div className="space-y-2 text-sm" data-testid="current-diagnosis">
        <p>
          <Badge tone={verdictTone(detail.current.verdict)}>
            <span data-testid="current-verdict">{detail.current.verdict ?? "none"}</span>
          </Badge>
        </p>
        <p>
          Recommended rung:{" "}
          <span className="font-medium">{detail.current.recommendation ?? "none"}</span>
        </p>
        {latest === undefined ? null : (
          <p className="text-zinc-600 dark:text-zinc-400">
            <Timestamp date={latest.takenAt} />
          </p>
        )}
        {detail.status === "OPEN" && canOperate ? (
          <Button
            busy={diagnose.isPending}
            disabled={diagnose.isPending}
            onClick={() => {
              diagnose.mutate({ incidentId: detail.id });
            }}
          >
            {diagnose.isPending ? "Diagnosing…" : "Diagnose again"}
          </Button>
        ) : null}
        <div aria-live="polite">
          {diagnose.isError ? (
            <ErrorAlert
              title="The diagnosis did not run"
              message={readError(diagnose.error).message}
            />
          ) : null}
          {result === null || diagnose.isPending ? null : (
            <Alert
              tone={verdictTone(result.verdict) === "good" ? "good" : "info"}
              role="status"
              testId="rediagnosis-result"
            >
              Re-diagnosis: <span className="font-mono">{result.verdict}</span>, recommended rung{" "}
              {describeRung(result.recommendedRung)}.{" "}
              {result.step === null
                ? "No new step proposed."
                : `Step ${String(result.step.seq)} proposed.`}
            </Alert>
          )}
        </div>
      </div>
    </Section>
  );
}

export function IncidentPage({ incidentId }: { incidentId: string }) {
  const trpc = useTRPC();
  const me = useMe();
  const detailQuery = useQuery(trpc.incidents.get.queryOptions({ incidentId }));
  const detail = detailQuery.data;
  const events = useIncidentEvents(incidentId, detail?.status !== "CLOSED");
  const [lastRun, setLastRun] = useState<TRunOutcome | null>(null);
  // After a step's script ends, the run still re-diagnoses and plans the next step before it answers.
  const runsInFlight = useIsMutating({ mutationKey: trpc.steps.run.mutationKey() });

  if (detailQuery.isPending) return <LoadingBlock label="Loading the incident…" className="h-64" />;
  if (detailQuery.isError || detail === undefined) {
    return (
      <ErrorAlert
        title="Could not load the incident"
        message={readError(detailQuery.error).message}
      />
    );
  }

  const canOperate = hasRole(me.data?.role, "OPERATOR");
  const openStep = [...detail.steps].reverse().find((step) => isOpenStatus(step.status));
  const lastRunStep = [...detail.steps]
    .reverse()
    .find((step) => step.startedAt !== null && step.id !== openStep?.id);
  const running = openStep?.status === "RUNNING";

  return (
    <div>
      <PageHeader
        title={detail.title}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <Badge tone={detail.status === "OPEN" ? "warn" : "neutral"}>
              <span data-testid="incident-status">{detail.status}</span>
            </Badge>
            <Link
              href={`/instances/${detail.instance.id}`}
              className="underline underline-offset-2"
            >
              {detail.instance.host.name}:{detail.instance.name}
            </Link>
            <span>
              opened <Timestamp date={detail.openedAt} /> by {detail.openedBy?.email ?? "?"}
            </span>
            {events.connection === "error" ? (
              <Badge tone="warn">live updates interrupted — reconnecting</Badge>
            ) : null}
          </span>
        }
        actions={<ExportButtons incidentId={detail.id} />}
      />
      <p className="sr-only" aria-live="polite">
        {openStep === undefined
          ? ""
          : `${stepHeading(openStep)}: ${stepStatusLabel(openStep.status)}`}
      </p>

      {detail.status === "CLOSED" ? (
        <Alert
          tone="neutral"
          className="mb-4"
          testId="incident-closed"
          title={`Closed: ${outcomeLabel(detail.outcome)}`}
        >
          <p className="whitespace-pre-wrap">{detail.summary}</p>
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">
            {detail.closedAt === null ? null : <Timestamp date={detail.closedAt} />} by{" "}
            {detail.closedBy?.email ?? "?"}
          </p>
        </Alert>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div className="min-w-0 space-y-4">
          {lastRun === null ? null : <RunOutcome outcome={lastRun} />}
          {detail.status === "OPEN" ? (
            <Section id="next-step" title={running ? "Running step" : "Next step"}>
              {openStep === undefined && runsInFlight > 0 ? (
                <LoadingBlock
                  label="The step finished; diagnosing again and planning the next step…"
                  className="h-32"
                />
              ) : openStep === undefined ? (
                <EmptyState title="No step is waiting">
                  {detail.current.verdict === "healthy"
                    ? "The latest diagnosis says the instance is healthy: close the incident, or diagnose again."
                    : "The latest diagnosis recommends no rung now. Diagnose again, or propose a rung with a reason."}
                </EmptyState>
              ) : (
                <StepCard
                  key={openStep.id}
                  step={openStep}
                  detail={detail}
                  liveChunks={events.output[openStep.id] ?? NO_CHUNKS}
                  onRunFinished={setLastRun}
                  testId="open-step"
                />
              )}
            </Section>
          ) : null}
          {lastRunStep === undefined ? null : (
            <Section id="last-step" title="Last step run">
              <StepCard
                key={lastRunStep.id}
                step={lastRunStep}
                detail={detail}
                liveChunks={events.output[lastRunStep.id] ?? NO_CHUNKS}
                onRunFinished={setLastRun}
                testId="last-step"
              />
            </Section>
          )}
        </div>
        <aside className="space-y-4" aria-label="Incident actions">
          <CurrentDiagnosis detail={detail} canOperate={canOperate} />
          {detail.status === "OPEN" && canOperate ? (
            <>
              <Section
                id="propose"
                title="Propose a rung"
                description="Another rung than recommended needs a reason."
              >
                <ProposeForm
                  key={String(detail.current.recommendedRung)}
                  incidentId={detail.id}
                  recommendedRung={detail.current.recommendedRung}
                  disabledReason={running ? "A step is running." : null}
                />
              </Section>
              <Section id="close" title="Close the incident">
                <CloseForm
                  incidentId={detail.id}
                  suggestedOutcome={detail.current.verdict === "healthy" ? "RECOVERED" : "ABORTED"}
                  disabledReason={running ? "A step is running." : null}
                />
              </Section>
            </>
          ) : null}
        </aside>
      </div>

      <div className="mt-6 space-y-4">
        <Section
          id="timeline"
          title="Timeline"
          description="Every diagnosis, proposal, approval, refusal, run and decision, in order."
        >
          <AuditTimeline events={detail.auditEvents} />
        </Section>
        <Section id="steps" title="Steps">
          <StepHistory detail={detail} />
        </Section>
        <Section id="diagnoses" title="Diagnoses">
          <ul className="space-y-2">
            {[...detail.snapshots].reverse().map((snapshot) => (
              <li key={snapshot.id}>
                <DiagnosisEntry snapshot={snapshot} />
              </li>
            ))}
          </ul>
        </Section>
      </div>
    </div>
  );
}
