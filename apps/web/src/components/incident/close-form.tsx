"use client";
// Close the incident with an outcome and a summary for the team's review.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button, ButtonRow } from "~/components/ui/button";
import { ErrorAlert } from "~/components/ui/feedback";
import { SelectField, TextAreaField } from "~/components/ui/field";
import { readError } from "~/lib/errors";
import { OUTCOMES, type TIncidentOutcome } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

export function CloseForm({
  incidentId,
  suggestedOutcome,
  disabledReason,
}: {
  incidentId: string;
  suggestedOutcome: TIncidentOutcome;
  /** Why closing is not possible right now (a step runs), or null. */
  disabledReason: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<TIncidentOutcome | "">("");
  const [summary, setSummary] = useState("");
  const close = useMutation(
    trpc.incidents.close.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({
          queryKey: trpc.incidents.get.queryKey({ incidentId }),
        });
        await queryClient.invalidateQueries({ queryKey: trpc.incidents.list.queryKey() });
      },
    }),
  );
  const chosen = outcome === "" ? suggestedOutcome : outcome;
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    close.mutate({ incidentId, outcome: chosen, summary });
  };
  const error = close.isError ? readError(close.error) : null;
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Close the incident">
      <SelectField
        label="Outcome"
        name="outcome"
        value={chosen}
        onChange={(event) => {
          setOutcome(event.target.value as TIncidentOutcome);
        }}
        options={OUTCOMES}
      />
      <TextAreaField
        label="Summary"
        name="summary"
        required
        rows={3}
        value={summary}
        onValue={setSummary}
        placeholder="What was wrong, what brought it back."
        errors={error?.fieldErrors.summary}
      />
      {error === null ? null : <ErrorAlert title="Not closed" message={error.message} />}
      <ButtonRow reason={disabledReason}>
        <Button
          type="submit"
          busy={close.isPending}
          disabled={close.isPending || disabledReason !== null}
        >
          Close the incident
        </Button>
      </ButtonRow>
    </form>
  );
}
