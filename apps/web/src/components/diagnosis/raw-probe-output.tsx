"use client";
// The probe's raw output on demand: everything the diagnosis was derived from, exactly as the host printed it.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "~/components/ui/button";
import { CopyBlock } from "~/components/ui/copy-block";
import { ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { readError } from "~/lib/errors";
import { toTerminalText } from "~/lib/terminal-text";
import { useTRPC } from "~/trpc/react";

export function RawProbeOutput({ snapshotId }: { snapshotId: string }) {
  const trpc = useTRPC();
  const [shown, setShown] = useState(false);
  const raw = useQuery({
    ...trpc.instances.snapshot.queryOptions({ snapshotId, includeRaw: true }),
    enabled: shown,
    staleTime: Infinity,
  });
  return (
    <div>
      <Button
        aria-expanded={shown}
        aria-controls={`raw-${snapshotId}`}
        onClick={() => {
          setShown((value) => !value);
        }}
      >
        {shown ? "Hide raw probe output" : "Show raw probe output"}
      </Button>
      <div id={`raw-${snapshotId}`} className="mt-3" hidden={!shown}>
        {!shown ? null : raw.isPending ? (
          <LoadingBlock label="Loading the probe's output…" />
        ) : raw.isError ? (
          <ErrorAlert
            title="Could not load the raw output"
            message={readError(raw.error).message}
          />
        ) : (
          <div className="space-y-2">
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              Exit code {raw.data.raw?.exitCode ?? "—"}; {raw.data.raw?.stdout.length ?? 0} bytes on
              stdout.
            </p>
            <CopyBlock
              label="raw probe stdout"
              text={toTerminalText(raw.data.raw?.stdout ?? "")}
              maxHeightClass="max-h-96"
              testId="raw-probe-stdout"
            />
            {raw.data.raw?.stderr ? (
              <CopyBlock
                label="raw probe stderr"
                text={toTerminalText(raw.data.raw.stderr)}
                maxHeightClass="max-h-48"
              />
            ) : null}
          </div>
        )}
      </div>
    </div>
  );
}
