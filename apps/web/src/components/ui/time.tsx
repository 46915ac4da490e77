"use client";
// Local timestamps with UTC on hover, and ages that keep themselves current.
import { useSyncExternalStore } from "react";
import { formatAge, formatLocal, formatUtc } from "~/lib/time";

/** One shared 10-second clock for every age on the page. */
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (timer === undefined) now = Date.now();
  timer ??= setInterval(() => {
    now = Date.now();
    for (const notify of listeners) notify();
  }, 10_000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

export function useNow(): Date {
  const value = useSyncExternalStore(
    subscribe,
    () => now,
    () => 0,
  );
  return new Date(value);
}

export function Timestamp({ date, className = "" }: { date: Date; className?: string }) {
  return (
    <time dateTime={date.toISOString()} title={formatUtc(date)} className={className}>
      {formatLocal(date)}
    </time>
  );
}

export function Age({ date, className = "" }: { date: Date; className?: string }) {
  const current = useNow();
  return (
    <time
      dateTime={date.toISOString()}
      title={`${formatLocal(date)} (${formatUtc(date)})`}
      className={className}
    >
      {current.getTime() === 0 ? formatLocal(date) : formatAge(date, current)}
    </time>
  );
}
