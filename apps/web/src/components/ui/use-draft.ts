"use client";
// A form's text values in one state: the value and change handler that bind a control to one of them, and a clear
// back to the initial values (of some fields, or of all).
import { useState, type ChangeEvent } from "react";

type TControlEvent = ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>;

export function useDraft<TKey extends string>(initial: Record<TKey, string>) {
  const [values, setValues] = useState(initial);
  return {
    values,
    bind: (key: TKey) => ({
      value: values[key],
      onChange: (event: TControlEvent) => {
        const value = event.target.value;
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
