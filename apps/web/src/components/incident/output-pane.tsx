"use client";
// A step's output in a terminal-like pane: plain text only (ANSI removed, never HTML), fixed height so the
// page does not move while it streams, following new output until the user scrolls up.
import { useLayoutEffect, useMemo, useRef, useState } from "react";
import { toOutputRuns, type TOutputChunk, type TOutputStream } from "~/lib/terminal-text";

const STREAM_CLASSES: Record<TOutputStream, string> = {
  STDOUT: "text-zinc-100",
  STDERR: "text-amber-300",
  SYSTEM: "text-sky-300 italic",
};

/** Within this many pixels of the bottom counts as "at the bottom". */
const BOTTOM_SLACK_PX = 24;

export function OutputPane({
  chunks,
  live,
  label,
  status,
  placeholder,
  testId,
  liveChunks = 0,
}: {
  chunks: readonly TOutputChunk[];
  /** Output may still arrive. */
  live: boolean;
  label: string;
  /** One line under the pane (exit code, "waiting for output", …). */
  status: string;
  /** Shown while there is no output; by default "Waiting for output…" when live, else "No output.". */
  placeholder?: string | undefined;
  testId?: string;
  /** How many of the chunks arrived over the live event stream (the rest were read from the store). */
  liveChunks?: number;
}) {
  const paneRef = useRef<HTMLPreElement>(null);
  const [following, setFollowing] = useState(true);
  const runs = useMemo(() => toOutputRuns(chunks), [chunks]);

  useLayoutEffect(() => {
    const pane = paneRef.current;
    if (following && pane !== null) pane.scrollTop = pane.scrollHeight;
  }, [runs, following]);

  const onScroll = () => {
    const pane = paneRef.current;
    if (pane === null) return;
    setFollowing(pane.scrollHeight - pane.scrollTop - pane.clientHeight <= BOTTOM_SLACK_PX);
  };

  return (
    <div>
      <div className="relative">
        <pre
          ref={paneRef}
          onScroll={onScroll}
          tabIndex={0}
          role="log"
          aria-live="off"
          aria-label={label}
          data-testid={testId}
          data-live-chunks={liveChunks}
          className="h-72 overflow-y-auto rounded-md border border-zinc-700 bg-zinc-950 p-3 font-mono text-[13px] leading-relaxed whitespace-pre-wrap break-all"
        >
          {runs.length === 0 ? (
            <span className="text-zinc-400">
              {placeholder ?? (live ? "Waiting for output…" : "No output.")}
            </span>
          ) : (
            runs.map((run) => (
              <span
                key={run.firstSeq}
                className={STREAM_CLASSES[run.stream]}
                data-stream={run.stream.toLowerCase()}
              >
                {run.text}
              </span>
            ))
          )}
        </pre>
        {following || runs.length === 0 ? null : (
          <button
            type="button"
            onClick={() => {
              setFollowing(true);
            }}
            className="absolute right-3 bottom-3 rounded-md bg-sky-700 px-2.5 py-1 text-xs font-medium text-white shadow focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400"
          >
            {live ? "Paused — follow new output" : "Jump to the end"}
          </button>
        )}
      </div>
      <p
        className="mt-1 h-5 truncate text-xs text-zinc-600 dark:text-zinc-400"
        data-testid={testId === undefined ? undefined : `${testId}-status`}
      >
        {status}
      </p>
    </div>
  );
}
