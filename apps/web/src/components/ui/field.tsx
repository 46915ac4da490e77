"use client";
// Labelled form controls with hint and error text wired through aria-describedby.
import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";

export const CONTROL_CLASS =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 placeholder:text-zinc-500 focus-visible:border-sky-600 focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-sky-500 aria-[invalid=true]:border-red-600 disabled:bg-zinc-100 disabled:text-zinc-500 dark:border-zinc-600 dark:bg-zinc-950 dark:text-zinc-100 dark:placeholder:text-zinc-400 dark:aria-[invalid=true]:border-red-400 dark:disabled:bg-zinc-800";

type TFieldFrame = {
  label: ReactNode;
  hint?: ReactNode;
  /** Messages for this field (from the server's zod errors or a client check). */
  errors?: readonly string[] | undefined;
  /** Classes of the wrapper (layout). */
  className?: string;
  /** Extra classes of the control itself (e.g. font-mono). */
  controlClassName?: string;
};

function useFieldIds(errors: readonly string[] | undefined, hint: ReactNode) {
  const id = useId();
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = errors !== undefined && errors.length > 0 ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter((part) => part !== undefined).join(" ") || undefined;
  return { id, hintId, errorId, describedBy, invalid: errorId !== undefined };
}

function FieldFrame({
  id,
  label,
  hint,
  hintId,
  errors,
  errorId,
  className = "",
  children,
}: TFieldFrame & {
  id: string;
  hintId: string | undefined;
  errorId: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint === undefined ? null : (
        <p id={hintId} className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
          {hint}
        </p>
      )}
      {errorId === undefined ? null : (
        <p id={errorId} className="mt-1 text-xs font-medium text-red-700 dark:text-red-400">
          {errors?.join("; ")}
        </p>
      )}
    </div>
  );
}

export function TextField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  ...input
}: TFieldFrame & Omit<InputHTMLAttributes<HTMLInputElement>, "className">) {
  const ids = useFieldIds(errors, hint);
  return (
    <FieldFrame {...ids} label={label} hint={hint} errors={errors} className={className}>
      <input
        id={ids.id}
        aria-describedby={ids.describedBy}
        aria-invalid={ids.invalid || undefined}
        className={`${CONTROL_CLASS} ${controlClassName}`}
        {...input}
      />
    </FieldFrame>
  );
}

export function TextAreaField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  ...textarea
}: TFieldFrame & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "className">) {
  const ids = useFieldIds(errors, hint);
  return (
    <FieldFrame {...ids} label={label} hint={hint} errors={errors} className={className}>
      <textarea
        id={ids.id}
        aria-describedby={ids.describedBy}
        aria-invalid={ids.invalid || undefined}
        className={`${CONTROL_CLASS} ${controlClassName}`}
        {...textarea}
      />
    </FieldFrame>
  );
}

export function SelectField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  children,
  ...select
}: TFieldFrame & Omit<SelectHTMLAttributes<HTMLSelectElement>, "className">) {
  const ids = useFieldIds(errors, hint);
  return (
    <FieldFrame {...ids} label={label} hint={hint} errors={errors} className={className}>
      <select
        id={ids.id}
        aria-describedby={ids.describedBy}
        aria-invalid={ids.invalid || undefined}
        className={`${CONTROL_CLASS} ${controlClassName}`}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}
