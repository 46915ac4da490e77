"use client";
// Propose a rung (the recommended one, or another with a reason that is recorded).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button, ButtonRow } from "~/components/ui/button";
import { Alert, ErrorAlert } from "~/components/ui/feedback";
import { SelectField, TextAreaField } from "~/components/ui/field";
import { readError } from "~/lib/errors";
import { RUNG_NAMES } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

export function ProposeForm({
  incidentId,
  recommendedRung,
  disabledReason,
}: {
  incidentId: string;
  recommendedRung: number | null;
  /** Why proposing is not possible right now (a step runs), or null. */
  disabledReason: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [rung, setRung] = useState<string>(
    recommendedRung === null ? "1" : String(recommendedRung),
  );
  const [reason, setReason] = useState("");
  const [proposed, setProposed] = useState<number | null>(null);
  const propose = useMutation(
    trpc.steps.propose.mutationOptions({
      onSuccess: async (step) => {
        setProposed(step.seq);
        setReason("");
        await queryClient.invalidateQueries({
          queryKey: trpc.incidents.get.queryKey({ incidentId }),
        });
      },
    }),
  );
  const chosen = Number(rung);
  const needsReason = recommendedRung === null || chosen !== recommendedRung;
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setProposed(null);
    propose.mutate({
      incidentId,
      rung: chosen,
      reason: reason.trim() === "" ? undefined : reason.trim(),
    });
  };
  const error = propose.isError ? readError(propose.error) : null;
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Propose a rung">
      <SelectField
        label="Rung"
        name="rung"
        value={rung}
        onValue={setRung}
        errors={error?.fieldErrors.rung}
        options={[0, 1, 2, 3, 4].map((value) => ({
          value: String(value),
          label: `${String(value)} — ${RUNG_NAMES[value] ?? ""}${value === recommendedRung ? " (recommended)" : ""}`,
        }))}
      />
      <TextAreaField
        label={needsReason ? "Reason (required, recorded)" : "Reason (optional)"}
        name="propose-reason"
        rows={2}
        required={needsReason}
        value={reason}
        onValue={setReason}
        hint={needsReason ? "Why this rung instead of the recommendation." : undefined}
        errors={error?.fieldErrors.reason}
      />
      <div aria-live="polite" className="space-y-2">
        {error === null ? null : <ErrorAlert title="Not proposed" message={error.message} />}
        {proposed === null ? null : (
          <Alert tone="good" role="status">
            Proposed as step {proposed}; older open steps are void.
          </Alert>
        )}
      </div>
      <ButtonRow reason={disabledReason}>
        <Button
          type="submit"
          busy={propose.isPending}
          disabled={propose.isPending || disabledReason !== null}
        >
          Propose rung {rung}
        </Button>
      </ButtonRow>
    </form>
  );
}
