"use client";
// One diagnosis rendered for a DBA: verdict and evidence, postmaster, process tree, IPC objects,
// connectivity, control data, the server log's tail, and the raw probe output on demand.
import type { ReactNode } from "react";
import { Badge, type TTone } from "~/components/ui/feedback";
import { KeyValues, Section } from "~/components/ui/layout";
import { Timestamp } from "~/components/ui/time";
import { stateLabel } from "~/lib/process-tree";
import { formatDuration } from "~/lib/time";
import type { TSnapshotView } from "~/lib/types";
import { IpcTable } from "./ipc-table";
import { LogTail } from "./log-tail";
import { ProcessTable } from "./process-table";
import { RawProbeOutput } from "./raw-probe-output";
import { VerdictBanner } from "./verdict-banner";

export type TDiagnosisMeta = {
  snapshotId: string;
  takenAt: Date;
  durationMs: number;
  sshExecs: number;
  takenBy?: string | null;
};

const READY_TONES: Record<string, TTone> = {
  accepting: "good",
  rejecting: "warn",
  "no-response": "bad",
  "no-attempt": "warn",
};

function Check({ ok }: { ok: boolean }) {
  return (
    <span
      aria-label={ok ? "passed" : "failed"}
      className={ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}
    >
      {ok ? "✓" : "✗"}
    </span>
  );
}

export function SnapshotView({
  snapshot,
  meta,
  idPrefix = "snap",
  afterVerdict,
}: {
  snapshot: TSnapshotView;
  meta: TDiagnosisMeta;
  idPrefix?: string;
  /** Shown right under the verdict (the instance page's changes since the previous diagnosis). */
  afterVerdict?: ReactNode;
}) {
  const { postmaster, pidFile, connectivity, controlData, log } = snapshot;
  const ready = connectivity.pgIsReady;
  return (
    <div className="space-y-4" data-testid="snapshot" data-snapshot-id={meta.snapshotId}>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Diagnosed <Timestamp date={meta.takenAt} />
        {meta.takenBy ? ` by ${meta.takenBy}` : ""} · host {snapshot.host.hostname ?? "?"} as{" "}
        {snapshot.host.user ?? "?"} · PostgreSQL {snapshot.instance.pgVersion ?? "?"} ·{" "}
        {formatDuration(meta.durationMs)}, {meta.sshExecs} SSH exec{meta.sshExecs === 1 ? "" : "s"}
      </p>
      <VerdictBanner snapshot={snapshot} idPrefix={idPrefix} />
      {afterVerdict}

      <div className="grid gap-4 lg:grid-cols-2">
        <Section id={`${idPrefix}-postmaster`} title="Postmaster">
          <KeyValues
            items={[
              ["PID", postmaster.pid ?? "—", "font-mono"],
              [
                "State",
                `${stateLabel(postmaster.state)}${postmaster.wchan ? `, wchan ${postmaster.wchan}` : ""}`,
              ],
              [
                "Genuine",
                postmaster.genuine ? (
                  <Badge tone="good">genuine</Badge>
                ) : (
                  <Badge tone="bad">not a genuine postmaster</Badge>
                ),
              ],
            ]}
          />
          {postmaster.checks.length === 0 ? null : (
            <ul className="mt-2 space-y-0.5 text-sm" aria-label="Postmaster checks">
              {postmaster.checks.map((check) => (
                <li key={check.name}>
                  <Check ok={check.ok} /> <span className="font-medium">{check.name}</span>:{" "}
                  <span className="break-words">{check.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section id={`${idPrefix}-connectivity`} title="Connectivity">
          <KeyValues
            items={[
              [
                "pg_isready",
                <span key="ready" data-testid="pg-isready">
                  <Badge tone={READY_TONES[ready.meaning] ?? "neutral"}>{ready.meaning}</Badge>{" "}
                  {ready.exitCode === null ? "" : `exit ${String(ready.exitCode)}`}
                </span>,
              ],
              ["Tried", `${ready.host ?? "?"}:${String(ready.port ?? "?")}`, "font-mono break-all"],
              ["Said", ready.output || "—", "font-mono text-xs break-all"],
              ["Cluster state", controlData.clusterState ?? "unknown"],
              [
                "Checkpoint",
                `${controlData.latestCheckpointLocation ?? "?"} at ${controlData.latestCheckpointTime ?? "?"}${controlData.timeline === null ? "" : `, timeline ${String(controlData.timeline)}`}`,
              ],
            ]}
          />
          <div className="mt-3 border-t border-zinc-100 pt-2 dark:border-zinc-800">
            <h3 className="mb-1 text-sm font-semibold">postmaster.pid</h3>
            {pidFile.exists === "no" ? (
              <p className="text-sm">absent</p>
            ) : (
              <KeyValues
                items={[
                  ["PID", pidFile.pid ?? "—", "font-mono"],
                  ["Status", pidFile.status ?? "—"],
                  [
                    "Port / socket",
                    `${String(pidFile.port ?? "?")} ${pidFile.socketDir ?? ""}`,
                    "font-mono break-all",
                  ],
                  [
                    "SysV key / id",
                    `${pidFile.shmKeyHex ?? "?"} / ${String(pidFile.shmId ?? "?")}`,
                    "font-mono",
                  ],
                ]}
              />
            )}
            {pidFile.errors.length === 0 ? null : (
              <ul className="mt-1 list-disc pl-5 text-sm text-red-800 dark:text-red-300">
                {pidFile.errors.map((error, index) => (
                  <li key={index}>{error}</li>
                ))}
              </ul>
            )}
          </div>
        </Section>
      </div>

      <Section
        id={`${idPrefix}-processes`}
        title="Processes"
        description={`${String(snapshot.members.length)} member(s), ${String(snapshot.zombies.length)} zombie(s)`}
      >
        <ProcessTable snapshot={snapshot} />
        {snapshot.foreignProcesses.length === 0 ? null : (
          <div className="mt-3">
            <h3 className="text-sm font-semibold">Not this instance&apos;s (left alone)</h3>
            <ul className="mt-1 space-y-0.5 text-sm text-zinc-700 dark:text-zinc-300">
              {snapshot.foreignProcesses.map((process) => (
                <li key={process.pid}>
                  <span className="font-mono">{process.pid}</span> ({stateLabel(process.state)}, uid{" "}
                  {process.uid ?? "?"}) <span className="font-mono text-xs">{process.title}</span> —{" "}
                  {process.reason}
                </li>
              ))}
            </ul>
          </div>
        )}
      </Section>

      <Section
        id={`${idPrefix}-ipc`}
        title="IPC objects"
        description="Only objects marked ours are ever touched by a recovery step."
      >
        <IpcTable snapshot={snapshot} />
      </Section>

      <Section
        id={`${idPrefix}-log`}
        title="Server log"
        description={
          log.file === null ? (
            "no log file found"
          ) : (
            <span className="font-mono break-all">{log.file}</span>
          )
        }
      >
        {log.notable.length === 0 ? null : (
          <div className="mb-2">
            <h3 className="text-sm font-semibold">Notable lines</h3>
            <ul className="mt-1 space-y-0.5 font-mono text-xs text-red-800 dark:text-red-300">
              {log.notable.map((line, index) => (
                <li key={index} className="break-all">
                  {line}
                </li>
              ))}
            </ul>
          </div>
        )}
        {log.tail.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">The log tail is empty.</p>
        ) : (
          <LogTail lines={log.tail} />
        )}
      </Section>

      <RawProbeOutput snapshotId={meta.snapshotId} />
    </div>
  );
}
