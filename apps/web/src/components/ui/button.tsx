// Buttons and button-styled links with one set of variants and a visible focus ring.
import Link from "next/link";
import type { ComponentProps, ReactNode } from "react";

type TVariant = "primary" | "secondary" | "danger" | "ghost";

const VARIANTS: Record<TVariant, string> = {
  primary:
    "bg-sky-700 text-white hover:bg-sky-800 disabled:bg-sky-700/50 dark:bg-sky-700 dark:text-white dark:hover:bg-sky-800 dark:disabled:bg-sky-700/40",
  secondary:
    "border border-zinc-300 bg-white text-zinc-900 hover:bg-zinc-100 disabled:text-zinc-500 dark:border-zinc-600 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:disabled:text-zinc-500",
  danger:
    "bg-red-700 text-white hover:bg-red-800 disabled:bg-red-700/50 dark:bg-red-600 dark:hover:bg-red-500 dark:disabled:bg-red-600/40",
  ghost:
    "text-zinc-700 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:hover:text-zinc-100",
};

const BASE =
  "inline-flex items-center justify-center gap-2 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500 disabled:cursor-not-allowed";

export function buttonClass(variant: TVariant = "secondary", extra = ""): string {
  return `${BASE} ${VARIANTS[variant]} ${extra}`;
}

export function Button({
  variant = "secondary",
  busy = false,
  className = "",
  type = "button",
  children,
  ...props
}: ComponentProps<"button"> & { variant?: TVariant; busy?: boolean }) {
  return (
    <button
      type={type}
      aria-busy={busy || undefined}
      className={buttonClass(variant, className)}
      {...props}
    >
      {busy ? <Spinner /> : null}
      {children}
    </button>
  );
}

export function ButtonLink({
  variant = "secondary",
  className = "",
  ...props
}: ComponentProps<typeof Link> & { variant?: TVariant }) {
  return <Link className={buttonClass(variant, className)} {...props} />;
}

export function Spinner() {
  return (
    <span
      aria-hidden="true"
      className="inline-block size-3.5 animate-spin rounded-full border-2 border-current border-r-transparent motion-reduce:animate-none"
    />
  );
}

/**
 * A form's submit button with the reason it is disabled beside it (up to two short lines), not above it: the
 * form keeps its height when the reason comes and goes, so nothing below it moves.
 */
export function ButtonRow({ reason, children }: { reason: string | null; children: ReactNode }) {
  return (
    <div className="flex min-h-8 items-center gap-3">
      {children}
      {reason === null ? null : (
        <p className="min-w-0 text-xs text-zinc-600 dark:text-zinc-400">{reason}</p>
      )}
    </div>
  );
}
