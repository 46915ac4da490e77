"use client";
// A form's text values in one state: what binds a field (ui/field.tsx) to one of them (its value, its change handler
// and the server's messages under the same name), and a clear back to the initial values (of some fields, or of all).
import { useState } from "react";
import type { TFieldErrors } from "~/lib/errors";

export function useDraft<TKey extends string>(initial: Record<TKey, string>) {
  const [values, setValues] = useState(initial);
  return {
    values,
    bind: (key: TKey, errors: TFieldErrors = {}) => ({
      value: values[key],
      errors: errors[key],
      onValue: (value: string) => {
        setValues((current) => ({ ...current, [key]: value }));
      },
    }),
    clear: (...keys: TKey[]) => {
      setValues((current) => {
        if (keys.length === 0) return initial;
        const cleared = { ...current };
        for (const key of keys) cleared[key] = initial[key];
        return cleared;
      });
    },
  };
}
