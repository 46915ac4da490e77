// Timestamps for people: local time on the page, UTC on hover, and ages ("4 min ago").

const LOCAL = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export function formatLocal(date: Date): string {
  return LOCAL.format(date);
}

/** 2026-11-23 20:57:22 UTC */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" (or "in …" for a time ahead). */
export function formatAge(date: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const ahead = seconds < 0;
  const s = Math.abs(seconds);
  if (s < 5) return "just now";
  let text: string;
  if (s < 60) text = `${String(s)} s`;
  else if (s < 3600) text = `${String(Math.floor(s / 60))} min`;
  else if (s < 86_400) text = `${String(Math.floor(s / 3600))} h`;
  else text = `${String(Math.floor(s / 86_400))} d`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** Milliseconds as a short duration: "850 ms", "3.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${String(Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${String(minutes)} min ${String(Math.round((ms - minutes * 60_000) / 1000))} s`;
}

/** The value of an <input type="datetime-local"> (local wall time) as a Date, or undefined. */
export function parseLocalDateTime(value: string): Date | undefined {
  if (value === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
