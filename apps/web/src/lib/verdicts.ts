// How a verdict reads at a glance: its tone and a short name for lists.
export type TVerdictTone = "good" | "info" | "neutral" | "warn" | "bad";

const TONES: Record<string, TVerdictTone> = {
  healthy: "good",
  starting: "info",
  "shutting-down": "info",
  "stopped-clean": "neutral",
  unknown: "warn",
};

export function verdictTone(code: string | null | undefined): TVerdictTone {
  if (code === null || code === undefined) return "neutral";
  return TONES[code] ?? "bad";
}
