// Shapes the UI receives from the API, inferred from the router's type (types only: nothing of the
// server reaches the browser bundle).
import type { TAppRouter, TIncidentEvent } from "@pgrescue/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type TRouterOutputs = inferRouterOutputs<TAppRouter>;
export type TRouterInputs = inferRouterInputs<TAppRouter>;
/* eslint-disable @typescript-eslint/naming-convention -- the old names, still imported by the components another change rewrites (issue 10); use TRouterOutputs / TRouterInputs */
export type RouterOutputs = TRouterOutputs;
export type RouterInputs = TRouterInputs;
/* eslint-enable @typescript-eslint/naming-convention */

export type TRole = TRouterOutputs["users"]["me"]["role"];
export type THostItem = TRouterOutputs["hosts"]["list"][number];
export type TInstanceItem = TRouterOutputs["instances"]["list"][number];
export type TStoredDiagnosis = TRouterOutputs["instances"]["snapshot"];
export type TSnapshotView = TStoredDiagnosis["snapshot"];
export type TIncidentSummary = TRouterOutputs["incidents"]["list"]["items"][number];
export type TIncidentDetail = TRouterOutputs["incidents"]["get"];
export type TStepView = TIncidentDetail["steps"][number];
export type TStepStatus = TStepView["status"];
export type TIncidentOutcome = NonNullable<TIncidentSummary["outcome"]>;
export type TIncidentStatus = TIncidentSummary["status"];
export type { TIncidentEvent };

/** Roles are ordered (an approver may also operate); the server enforces this, the UI only mirrors it. */
const RANK: Record<TRole, number> = { VIEWER: 0, OPERATOR: 1, APPROVER: 2, ADMIN: 3 };

export function hasRole(role: TRole | undefined, needed: TRole): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

export const RUNG_NAMES: Record<number, string> = {
  0: "first aid",
  1: "fast stop",
  2: "immediate stop",
  3: "kill + IPC cleanup",
  4: "start",
};

export function describeRung(rung: number | null): string {
  return rung === null ? "none" : `${String(rung)} (${RUNG_NAMES[rung] ?? "unknown"})`;
}

export const OUTCOMES: { value: TIncidentOutcome; label: string }[] = [
  { value: "RECOVERED", label: "Recovered" },
  { value: "ABORTED", label: "Aborted" },
  { value: "NEEDS_REBOOT", label: "Needs a reboot" },
  { value: "ESCALATED", label: "Escalated" },
  { value: "FALSE_ALARM", label: "False alarm" },
];

export function outcomeLabel(outcome: TIncidentOutcome | null): string {
  return OUTCOMES.find((candidate) => candidate.value === outcome)?.label ?? "—";
}
