"use client";
// Exact text (commands, scripts, raw output) in a monospace block with a copy button.
import { useState } from "react";
import { Button } from "./button";

export function CopyBlock({
  text,
  label,
  className = "",
  maxHeightClass = "max-h-72",
  testId,
}: {
  text: string;
  /** What is being copied, for the button's accessible name. */
  label: string;
  className?: string;
  maxHeightClass?: string;
  testId?: string;
}) {
  const [copied, setCopied] = useState<"idle" | "done" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("done");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => {
      setCopied("idle");
    }, 2000);
  };
  return (
    <div className={`relative ${className}`}>
      <pre
        data-testid={testId}
        tabIndex={0}
        aria-label={label}
        className={`${maxHeightClass} overflow-auto rounded-md border border-zinc-200 bg-zinc-950 p-3 pr-20 font-mono text-[13px] leading-relaxed whitespace-pre-wrap break-all text-zinc-100 dark:border-zinc-700`}
      >
        {text}
      </pre>
      <Button
        variant="secondary"
        className="absolute top-2 right-2 px-2 py-0.5 text-xs"
        aria-label={`Copy ${label}`}
        onClick={() => void copy()}
      >
        <span aria-live="polite">
          {copied === "done" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
        </span>
      </Button>
    </div>
  );
}
