"use client";
// One labelled-field row for every form: the label, the control, a hint and the errors, tied together by ids
// (htmlFor, aria-describedby, aria-invalid). TextField, TextAreaField and SelectField are that row around the usual
// controls; a form with a control of its own renders it inside Field.
import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";

export const CONTROL_CLASS =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 placeholder:text-zinc-500 focus-visible:border-sky-600 focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-sky-500 aria-[invalid=true]:border-red-600 disabled:bg-zinc-100 disabled:text-zinc-500 dark:border-zinc-600 dark:bg-zinc-950 dark:text-zinc-100 dark:placeholder:text-zinc-400 dark:aria-[invalid=true]:border-red-400 dark:disabled:bg-zinc-800";

/** What the control of a row carries so that its label, hint and errors belong to it. */
export type TControlProps = {
  id: string;
  "aria-describedby": string | undefined;
  "aria-invalid": true | undefined;
};

type TFieldRow = {
  label: ReactNode;
  hint?: ReactNode;
  /** Messages for this field (from the server's zod errors or a client check). */
  errors?: readonly string[] | undefined;
  /** Classes of the row (layout). */
  className?: string;
};

/**
 * The row itself. The label is read by screen readers only with `hideLabel` (a control whose row already says
 * what it is, like a select in a table). Whether the field is required is the control's `required` attribute; the
 * labels say "(optional)" where a field may stay empty.
 */
export function Field({
  label,
  hint,
  errors,
  className = "",
  hideLabel = false,
  children,
}: TFieldRow & { hideLabel?: boolean; children: (control: TControlProps) => ReactNode }) {
  const id = useId();
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = errors !== undefined && errors.length > 0 ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter((part) => part !== undefined).join(" ");
  return (
    <div className={className}>
      <label htmlFor={id} className={hideLabel ? "sr-only" : "mb-1 block text-sm font-medium"}>
        {label}
      </label>
      {children({
        id,
        "aria-describedby": describedBy === "" ? undefined : describedBy,
        "aria-invalid": errorId === undefined ? undefined : true,
      })}
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

type TControlExtras = {
  /** Extra classes of the control itself (e.g. font-mono). */
  controlClassName?: string;
};

export function TextField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  ...input
}: TFieldRow & TControlExtras & Omit<InputHTMLAttributes<HTMLInputElement>, "className">) {
  return (
    <Field label={label} hint={hint} errors={errors} className={className}>
      {(control) => (
        <input {...control} className={`${CONTROL_CLASS} ${controlClassName}`} {...input} />
      )}
    </Field>
  );
}

export function TextAreaField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  ...textarea
}: TFieldRow & TControlExtras & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "className">) {
  return (
    <Field label={label} hint={hint} errors={errors} className={className}>
      {(control) => (
        <textarea {...control} className={`${CONTROL_CLASS} ${controlClassName}`} {...textarea} />
      )}
    </Field>
  );
}

/** A choice: its value, and what the list shows (the value itself when no label is given). */
export type TOption = string | { value: string; label: string };

export function Options({ options }: { options: readonly TOption[] }) {
  return options.map((option) => {
    const { value, label } = typeof option === "string" ? { value: option, label: option } : option;
    return (
      <option key={value} value={value}>
        {label}
      </option>
    );
  });
}

export function SelectField({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  options,
  ...select
}: TFieldRow &
  TControlExtras & {
    options: readonly TOption[];
  } & Omit<SelectHTMLAttributes<HTMLSelectElement>, "className" | "children">) {
  return (
    <Field label={label} hint={hint} errors={errors} className={className}>
      {(control) => (
        <select {...control} className={`${CONTROL_CLASS} ${controlClassName}`} {...select}>
          <Options options={options} />
        </select>
      )}
    </Field>
  );
}
