"use client";
// One labelled-field row for every form: the label, the control, a hint and the errors, tied together by ids
// (htmlFor, aria-describedby, aria-invalid). TextField, TextAreaField and SelectField are that row around the usual
// controls; a form with a control of its own renders it inside Field.
import {
  useId,
  type ChangeEvent,
  type ChangeEventHandler,
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
  /** Extra classes of the control itself (e.g. text-xs). */
  controlClassName?: string;
  /** Text for machines (paths, keys, fingerprints): monospace and never spell-checked. */
  verbatim?: boolean;
  /** Called with the new value on every change (a shorter onChange). */
  onValue?: (value: string) => void;
};

type TControlElement = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

type TFieldProps<E extends TControlElement, A> = TFieldRow &
  TControlExtras & { onChange?: ChangeEventHandler<E> | undefined } & Omit<
    A,
    "className" | "onChange"
  >;

/** A field's props split into the row's and the control's (with its classes, spell-checking and change handler). */
function splitField<E extends TControlElement, A>({
  label,
  hint,
  errors,
  className,
  controlClassName = "",
  verbatim = false,
  onValue,
  onChange,
  ...control
}: TFieldProps<E, A>) {
  return {
    row: { label, hint, errors, className },
    control: {
      ...control,
      className: `${CONTROL_CLASS} ${verbatim ? "font-mono " : ""}${controlClassName}`,
      ...(verbatim ? { spellCheck: false } : {}),
      onChange:
        onValue === undefined
          ? onChange
          : (event: ChangeEvent<E>) => {
              onValue(event.target.value);
            },
    },
  };
}

export function TextField(
  props: TFieldProps<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>,
) {
  const { row, control } = splitField(props);
  return <Field {...row}>{(ids) => <input {...ids} {...control} />}</Field>;
}

/**
 * A console account's password (never a host's secret): always required, and `autoComplete` tells a password
 * manager whether it is the current one or a new one.
 */
export function PasswordField({
  autoComplete,
  ...field
}: Omit<Parameters<typeof TextField>[0], "type" | "required" | "autoComplete"> & {
  autoComplete: "current-password" | "new-password";
}) {
  return <TextField type="password" autoComplete={autoComplete} required {...field} />;
}

/** A console account's e-mail (the name it signs in with): always required, labelled "E-mail" unless told otherwise. */
export function EmailField({
  label = "E-mail",
  ...field
}: Omit<Parameters<typeof TextField>[0], "type" | "required" | "label"> & { label?: string }) {
  return <TextField label={label} type="email" required {...field} />;
}

export function TextAreaField(
  props: TFieldProps<HTMLTextAreaElement, TextareaHTMLAttributes<HTMLTextAreaElement>>,
) {
  const { row, control } = splitField(props);
  return <Field {...row}>{(ids) => <textarea {...ids} {...control} />}</Field>;
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
  options,
  ...props
}: { options: readonly TOption[] } & TFieldProps<
  HTMLSelectElement,
  Omit<SelectHTMLAttributes<HTMLSelectElement>, "children">
>) {
  const { row, control } = splitField(props);
  return (
    <Field {...row}>
      {(ids) => (
        <select {...ids} {...control}>
          <Options options={options} />
        </select>
      )}
    </Field>
  );
}
