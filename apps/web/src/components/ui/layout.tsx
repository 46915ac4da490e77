// Page structure: titled sections (landmarks with accessible names) and key–value lists.
import type { ReactNode } from "react";

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mb-5 flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight break-words">{title}</h1>
        {subtitle === undefined ? null : (
          <div className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{subtitle}</div>
        )}
      </div>
      {actions === undefined ? null : (
        <div className="flex flex-wrap items-center gap-2">{actions}</div>
      )}
    </div>
  );
}

export function Section({
  id,
  title,
  description,
  actions,
  children,
  className = "",
}: {
  id: string;
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className={`rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900 ${className}`}
    >
      <div className="mb-3 flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={`${id}-heading`} className="text-base font-semibold">
            {title}
          </h2>
          {description === undefined ? null : (
            <div className="mt-0.5 text-sm text-zinc-600 dark:text-zinc-400">{description}</div>
          )}
        </div>
        {actions === undefined ? null : <div className="flex flex-wrap gap-2">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** Rows of label, value and, where the value needs them, its classes (e.g. font-mono). */
export function KeyValues({ items }: { items: [ReactNode, ReactNode, string?][] }) {
  return (
    <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
      {items.map(([key, value, className = ""], index) => (
        <div key={index} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{key}</dt>
          <dd className={`min-w-0 break-words ${className}`}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
