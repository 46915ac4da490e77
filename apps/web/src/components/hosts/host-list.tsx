"use client";
// Every host with its SSH target, pinned key and instances, each with its last verdict and how old it is; admins edit
// a host, and review and re-pin a host key that changed (others see whom to ask).
import Link from "next/link";
import { useState } from "react";
import { Button } from "~/components/ui/button";
import { DataTable, type TColumn } from "~/components/ui/data-table";
import { Alert, Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { Age, Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import { formatSshTarget } from "~/lib/ssh-target";
import type { THostItem } from "~/lib/types";
import { verdictTone } from "~/lib/verdicts";
import { EditHostForm } from "./edit-host-form";
import { RepinHostKeyPanel } from "./repin-host-key-panel";

export function HostList({
  hosts,
  isAdmin,
}: {
  hosts: { isPending: boolean; isError: boolean; error: unknown; data: THostItem[] | undefined };
  isAdmin: boolean;
}) {
  if (hosts.isPending) return <LoadingBlock label="Loading hosts…" />;
  if (hosts.isError || hosts.data === undefined) {
    return <ErrorAlert title="Could not load the hosts" message={readError(hosts.error).message} />;
  }
  if (hosts.data.length === 0) {
    return (
      <EmptyState title="No hosts yet">
        Add the first database host below: pgrescue logs in over SSH and pins its host key.
      </EmptyState>
    );
  }
  return (
    <ul className="space-y-3" aria-label="Hosts">
      {hosts.data.map((host) => (
        <HostCard key={host.id} host={host} isAdmin={isAdmin} />
      ))}
    </ul>
  );
}

type TNotice = { title: string; text: string };

function HostCard({ host, isAdmin }: { host: THostItem; isAdmin: boolean }) {
  const [mode, setMode] = useState<"view" | "edit" | "repin">("view");
  const [notice, setNotice] = useState<TNotice | null>(null);
  const blocked = host.hostKeyMismatchAt !== null;
  const open = (next: "edit" | "repin") => {
    setNotice(null);
    setMode(next);
  };

  return (
    <li
      data-testid={`host-${host.name}`}
      className="rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 border-b border-zinc-200 px-4 py-2.5 dark:border-zinc-800">
        <h3 className="font-semibold">{host.name}</h3>
        <p className="font-mono text-sm" data-testid="host-target">
          {formatSshTarget(host)}
          {host.becomeUser === null ? null : (
            <span className="text-zinc-600 dark:text-zinc-400"> → sudo -u {host.becomeUser}</span>
          )}
        </p>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          auth: {host.authMethod.toLowerCase()}
        </p>
        {/* A blocked host is not edited: its key needs the admin's decision first. */}
        {isAdmin && !blocked && mode !== "edit" ? (
          <Button
            variant="ghost"
            className="-my-1"
            onClick={() => {
              open("edit");
            }}
          >
            Edit
          </Button>
        ) : null}
      </div>
      <div className="space-y-2 px-4 py-2.5 text-sm">
        {notice === null ? null : (
          <Alert tone="good" role="status" title={notice.title} testId="host-notice">
            {notice.text}
          </Alert>
        )}
        {mode === "edit" ? (
          <EditHostForm
            host={host}
            onCancel={() => {
              setMode("view");
            }}
            onSaved={({ changed }) => {
              setMode("view");
              setNotice({
                title: `Saved ${host.name}`,
                text: `The connection test passed; changed: ${changed.join(", ")}.`,
              });
            }}
          />
        ) : null}
        {host.hostKeyMismatchAt === null ? (
          <p>
            Host key{" "}
            <span className="font-mono" data-testid="host-key-fingerprint">
              {host.hostKeyAlgorithm ?? ""} {host.hostKeyFingerprint ?? "—"}
            </span>{" "}
            {host.hostKeyPinnedAt === null ? null : (
              <span className="text-zinc-600 dark:text-zinc-400">
                pinned <Timestamp date={host.hostKeyPinnedAt} />
              </span>
            )}
          </p>
        ) : (
          <div className="space-y-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 dark:border-red-800 dark:bg-red-950/40">
            <p role="alert" className="font-medium text-red-700 dark:text-red-400">
              HOST KEY MISMATCH: presented {host.hostKeyMismatchFingerprint ?? "?"} instead of the
              pinned {host.hostKeyFingerprint ?? "?"} (<Timestamp date={host.hostKeyMismatchAt} />
              ). All work on this host is blocked until an admin verifies and re-pins the key.
            </p>
            {!isAdmin ? (
              <p data-testid="repin-ask">
                Only an admin can re-pin the key after comparing both fingerprints: ask an admin
                {host.hostKeyPinnedBy === null
                  ? ""
                  : ` (${host.hostKeyPinnedBy.email} pinned the current key)`}
                .
              </p>
            ) : mode === "repin" ? (
              <RepinHostKeyPanel
                host={host}
                onCancel={() => {
                  setMode("view");
                }}
                onRepinned={(pinned) => {
                  setMode("view");
                  setNotice({
                    title: `Re-pinned the host key of ${host.name}`,
                    text: `${pinned.hostKeyAlgorithm ?? ""} ${pinned.hostKeyFingerprint ?? ""} is pinned now; work on the host is unblocked.`,
                  });
                }}
              />
            ) : (
              <Button
                variant="danger"
                onClick={() => {
                  open("repin");
                }}
              >
                Review and re-pin…
              </Button>
            )}
          </div>
        )}
        <InstanceTable host={host} />
      </div>
    </li>
  );
}

type TInstance = THostItem["instances"][number];

const INSTANCE_COLUMNS: TColumn<TInstance>[] = [
  {
    header: "Instance",
    cell: (instance) => (
      <Link
        href={`/instances/${instance.id}`}
        className="font-medium text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
      >
        {instance.name}
      </Link>
    ),
  },
  {
    header: "Data directory",
    className: "font-mono text-xs break-all",
    minWidth: "md",
    cell: (instance) => instance.dataDir,
  },
  {
    header: "Last verdict",
    cell: ({ snapshots: [last] }) =>
      last === undefined ? (
        <span className="text-zinc-600 dark:text-zinc-400">never diagnosed</span>
      ) : (
        <Badge tone={verdictTone(last.verdict)}>{last.verdict}</Badge>
      ),
  },
  {
    header: "Diagnosed",
    className: "whitespace-nowrap",
    cell: ({ snapshots: [last] }) => (last === undefined ? "—" : <Age date={last.takenAt} />),
  },
];

function InstanceTable({ host }: { host: THostItem }) {
  return (
    <DataTable
      caption={`Instances on ${host.name}`}
      columns={INSTANCE_COLUMNS}
      rows={host.instances}
      rowKey={(instance) => instance.id}
      padding="py-1 pr-4 last:pr-0"
      bodyPadding="py-1.5 pr-4 last:pr-0"
      empty={<p className="text-zinc-600 dark:text-zinc-400">No instances yet: add one below.</p>}
    />
  );
}
