// Status surfaces: badges, alerts, empty and loading states.
import type { ReactNode } from "react";

export type TTone = "neutral" | "good" | "warn" | "bad" | "info";

const BADGE_TONES: Record<TTone, string> = {
  neutral:
    "bg-zinc-100 text-zinc-800 ring-zinc-300 dark:bg-zinc-800 dark:text-zinc-200 dark:ring-zinc-600",
  good: "bg-emerald-50 text-emerald-800 ring-emerald-300 dark:bg-emerald-950 dark:text-emerald-300 dark:ring-emerald-800",
  warn: "bg-amber-50 text-amber-900 ring-amber-300 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-800",
  bad: "bg-red-50 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-300 dark:ring-red-800",
  info: "bg-sky-50 text-sky-800 ring-sky-300 dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-800",
};

export function Badge({
  tone = "neutral",
  children,
  title,
  className = "",
}: {
  tone?: TTone;
  children: ReactNode;
  title?: string;
  className?: string;
}) {
  return (
    <span
      title={title}
      className={`inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${BADGE_TONES[tone]} ${className}`}
    >
      {children}
    </span>
  );
}

const ALERT_TONES: Record<TTone, string> = {
  neutral:
    "border-zinc-300 bg-zinc-50 text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100",
  good: "border-emerald-300 bg-emerald-50 text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-100",
  warn: "border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100",
  bad: "border-red-300 bg-red-50 text-red-950 dark:border-red-800 dark:bg-red-950/60 dark:text-red-100",
  info: "border-sky-300 bg-sky-50 text-sky-950 dark:border-sky-800 dark:bg-sky-950/60 dark:text-sky-100",
};

/** A boxed message. `role="alert"` only for errors the user just caused; others are plain or polite. */
export function Alert({
  tone = "neutral",
  title,
  children,
  role,
  className = "",
  testId,
}: {
  tone?: TTone;
  title?: ReactNode;
  children?: ReactNode;
  role?: "alert" | "status";
  className?: string;
  testId?: string;
}) {
  return (
    <div
      role={role}
      data-testid={testId}
      className={`rounded-md border px-3 py-2 text-sm ${ALERT_TONES[tone]} ${className}`}
    >
      {title === undefined ? null : <p className="font-semibold">{title}</p>}
      {children === undefined ? null : (
        <div className={title === undefined ? "" : "mt-1"}>{children}</div>
      )}
    </div>
  );
}

export function ErrorAlert({
  message,
  title = "That did not work",
}: {
  message: string;
  title?: string;
}) {
  return (
    <Alert tone="bad" role="alert" title={title}>
      <p className="break-words whitespace-pre-wrap">{message}</p>
    </Alert>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 px-4 py-6 text-center dark:border-zinc-700">
      <p className="font-medium">{title}</p>
      {children === undefined ? null : (
        <div className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{children}</div>
      )}
    </div>
  );
}

/** A placeholder of fixed height so the page does not jump when the data arrives. */
export function LoadingBlock({ label, className = "h-24" }: { label: string; className?: string }) {
  return (
    <div
      role="status"
      className={`flex items-center justify-center rounded-lg border border-zinc-200 bg-white text-sm text-zinc-600 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400 ${className}`}
    >
      <span className="animate-pulse motion-reduce:animate-none">{label}</span>
    </div>
  );
}
