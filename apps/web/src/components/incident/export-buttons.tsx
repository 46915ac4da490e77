"use client";
// Download the incident as a Markdown report or as JSON (with every snapshot's raw probe output).
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "~/components/ui/button";
import { readError } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

type TFormat = "md" | "json";

export function ExportButtons({ incidentId }: { incidentId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<TFormat | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (format: TFormat) => {
    setPending(format);
    setError(null);
    try {
      const file = await queryClient.query({
        ...trpc.incidents.export.queryOptions({ incidentId, format }),
        staleTime: 0,
      });
      const url = URL.createObjectURL(new Blob([file.body], { type: file.contentType }));
      const link = document.createElement("a");
      link.href = url;
      link.download = file.filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 10_000);
    } catch (caught) {
      setError(readError(caught).message);
    } finally {
      setPending(null);
    }
  };

  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button
        busy={pending === "md"}
        disabled={pending !== null}
        onClick={() => void download("md")}
      >
        Download report (Markdown)
      </Button>
      <Button
        busy={pending === "json"}
        disabled={pending !== null}
        onClick={() => void download("json")}
      >
        Download JSON
      </Button>
      {error === null ? null : (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          Export failed: {error}
        </p>
      )}
    </div>
  );
}
