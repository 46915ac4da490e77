"use client";
// What can be done with the open step: approve (dialog), run, or skip with a reason.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type SubmitEvent } from "react";
import { useMe } from "~/components/session/use-me";
import { Button } from "~/components/ui/button";
import { ErrorAlert } from "~/components/ui/feedback";
import { TextAreaField } from "~/components/ui/field";
import { Age } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { hasRole, type RouterOutputs, type TStepView } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import { ApproveDialog } from "./approve-dialog";

export type TRunOutcome = RouterOutputs["steps"]["run"];

export function StepActions({
  step,
  onRunFinished,
}: {
  step: TStepView;
  onRunFinished: (outcome: TRunOutcome) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const policy = useQuery(trpc.policy.get.queryOptions());
  const [approving, setApproving] = useState(false);
  const [skipping, setSkipping] = useState(false);
  const [skipReason, setSkipReason] = useState("");
  const approveButton = useRef<HTMLButtonElement>(null);
  const runButton = useRef<HTMLButtonElement>(null);
  const [justApproved, setJustApproved] = useState(false);
  const refresh = () =>
    queryClient.invalidateQueries({
      queryKey: trpc.incidents.get.queryKey({ incidentId: step.incidentId }),
    });

  const run = useMutation(
    trpc.steps.run.mutationOptions({
      onSuccess: async (outcome) => {
        // The stored incident first, so the outcome never shows next to the old diagnosis.
        await refresh();
        onRunFinished(outcome);
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
      onError: async () => {
        await refresh();
      },
    }),
  );
  const skip = useMutation(
    trpc.steps.skip.mutationOptions({
      onSuccess: async () => {
        setSkipping(false);
        setSkipReason("");
        await refresh();
      },
    }),
  );

  const role = me.data?.role;
  const fourEyes =
    policy.data?.fourEyesRungs.includes(step.rung) === true && step.requestedBy?.id === me.data?.id;
  const canApprove = hasRole(role, "APPROVER") && !fourEyes;
  const canOperate = hasRole(role, "OPERATOR");

  // Keyboard users land on Run once their approval is stored.
  useEffect(() => {
    if (justApproved && step.status === "APPROVED") {
      runButton.current?.focus();
      setJustApproved(false);
    }
  }, [justApproved, step.status]);

  const submitSkip = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    skip.mutate({ stepId: step.id, reason: skipReason });
  };

  if (step.status === "RUNNING") {
    // The row stays while the step runs (started here or by someone else), so the output below does not move.
    return (
      <div className="flex flex-wrap items-center gap-2">
        <Button variant={step.confirmationRequired === null ? "primary" : "danger"} disabled busy>
          Running…
        </Button>
      </div>
    );
  }
  if (step.status !== "PROPOSED" && step.status !== "APPROVED") return null;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        {step.status === "PROPOSED" ? (
          // Only approvers get the control (disabled while four-eyes needs someone else); others read why below.
          hasRole(role, "APPROVER") ? (
            <Button
              ref={approveButton}
              variant={step.confirmationRequired === null ? "primary" : "danger"}
              disabled={!canApprove}
              onClick={() => {
                setApproving(true);
              }}
            >
              Approve…
            </Button>
          ) : null
        ) : (
          <Button
            ref={runButton}
            variant={step.confirmationRequired === null ? "primary" : "danger"}
            disabled={!canOperate || run.isPending}
            busy={run.isPending}
            onClick={() => {
              run.mutate({ stepId: step.id });
            }}
          >
            {run.isPending ? "Running…" : "Run"}
          </Button>
        )}
        {canOperate && !run.isPending ? (
          <Button
            variant="ghost"
            aria-expanded={skipping}
            onClick={() => {
              setSkipping((value) => !value);
            }}
          >
            Skip…
          </Button>
        ) : null}
        {step.status === "APPROVED" && step.approvalExpiresAt !== null ? (
          <span className="text-xs text-zinc-600 dark:text-zinc-400">
            approved by {step.approvedBy?.email ?? "?"}; the approval expires{" "}
            <Age date={step.approvalExpiresAt} />
          </span>
        ) : null}
      </div>
      {fourEyes && step.status === "PROPOSED" ? (
        <p className="text-sm text-amber-900 dark:text-amber-200">
          Rung {step.rung} needs a second person: you proposed this step, so someone else approves
          it.
        </p>
      ) : !hasRole(role, "APPROVER") && me.isSuccess && step.status === "PROPOSED" ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Approving needs the approver role; you are {me.data.role.toLowerCase()}.
        </p>
      ) : null}
      {run.isError ? (
        <ErrorAlert title="The step did not run" message={readError(run.error).message} />
      ) : null}
      {skipping ? (
        <form
          onSubmit={submitSkip}
          className="space-y-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-700"
        >
          <TextAreaField
            label="Why skip this step? (recorded)"
            name="skip-reason"
            required
            rows={2}
            value={skipReason}
            onValue={setSkipReason}
          />
          {skip.isError ? (
            <ErrorAlert title="Not skipped" message={readError(skip.error).message} />
          ) : null}
          <Button type="submit" busy={skip.isPending} disabled={skip.isPending}>
            Skip the step
          </Button>
        </form>
      ) : null}
      <ApproveDialog
        step={step}
        open={approving}
        onClose={(approved) => {
          setApproving(false);
          if (approved) setJustApproved(true);
          else approveButton.current?.focus();
        }}
      />
    </div>
  );
}
