// Shapes the UI receives from the API, inferred from the router's type (types only: nothing of the
// server reaches the browser bundle).
import type { AppRouter, TIncidentEvent } from "@pgrescue/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type TRole = RouterOutputs["users"]["me"]["role"];
export type THostItem = RouterOutputs["hosts"]["list"][number];
export type TInstanceItem = RouterOutputs["instances"]["list"][number];
export type TStoredDiagnosis = RouterOutputs["instances"]["snapshot"];
export type TSnapshotView = TStoredDiagnosis["snapshot"];
export type TIncidentSummary = RouterOutputs["incidents"]["list"]["items"][number];
export type TIncidentDetail = RouterOutputs["incidents"]["get"];
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
