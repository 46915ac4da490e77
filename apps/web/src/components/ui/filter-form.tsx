"use client";
// A filter form kept in the URL, in its own section above the list it filters: the fields, then apply, and clear
// (back to the bare page) when a filter is set.
import { usePathname, useRouter } from "next/navigation";
import type { ReactNode, SubmitEvent } from "react";
import { Button } from "./button";
import { SelectField, type TOption } from "./field";
import { Section } from "./layout";

export function FilterForm({
  id,
  label,
  filters,
  actionsClassName = "",
  children,
}: {
  id: string;
  /** The form's accessible name. */
  label: string;
  /** From useUrlFilters. */
  filters: {
    active: boolean;
    formKey: string;
    apply: (event: SubmitEvent<HTMLFormElement>) => void;
  };
  actionsClassName?: string;
  children: ReactNode;
}) {
  const router = useRouter();
  const pathname = usePathname();
  return (
    <Section id={id} title="Filters" className="mb-4">
      {/* key: the form starts over from the URL whenever the URL changes (back/forward, clear). */}
      <form
        key={filters.formKey}
        onSubmit={filters.apply}
        aria-label={label}
        className="grid gap-3 md:grid-cols-4"
      >
        {children}
        <div className={`flex items-end gap-2 ${actionsClassName}`}>
          <Button type="submit" variant="primary">
            Apply filters
          </Button>
          {filters.active ? (
            <Button
              onClick={() => {
                router.push(pathname);
              }}
            >
              Clear
            </Button>
          ) : null}
        </div>
      </form>
    </Section>
  );
}

/** A filter's choices, after the one that filters nothing ("any host" for the filter "Host"). */
export function FilterSelect({
  label,
  options,
  ...field
}: {
  label: string;
  options: readonly TOption[];
  name: string;
  defaultValue: string;
}) {
  return (
    <SelectField
      label={label}
      options={[{ value: "", label: `any ${label.toLowerCase()}` }, ...options]}
      {...field}
    />
  );
}
