"use client";
// The server log's tail, scrolled to its last line (the newest is what matters at 03:00).
import { useLayoutEffect, useRef } from "react";

export function LogTail({ lines }: { lines: string[] }) {
  const ref = useRef<HTMLPreElement>(null);
  useLayoutEffect(() => {
    if (ref.current !== null) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines]);
  return (
    <pre
      ref={ref}
      tabIndex={0}
      aria-label="Server log tail"
      data-testid="log-tail"
      className="max-h-64 overflow-auto rounded-md bg-zinc-950 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all text-zinc-100"
    >
      {lines.join("\n")}
    </pre>
  );
}
