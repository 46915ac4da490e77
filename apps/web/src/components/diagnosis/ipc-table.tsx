// SysV shared memory, SysV semaphores and /dev/shm files on the host: the instance's own, and everybody
// else's marked "not ours" (never touched).
import { DataTable, type TColumn } from "~/components/ui/data-table";
import { Badge } from "~/components/ui/feedback";
import type { TSnapshotView } from "~/lib/types";

type TIpcRow = {
  key: string;
  kind: string;
  id: string;
  keyHex: string;
  owner: number;
  usage: string;
  detail: string;
  ours: boolean;
  reason: string;
};

function formatBytes(size: number): string {
  if (size < 1024) return `${String(size)} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

export function ipcRows(snapshot: TSnapshotView): TIpcRow[] {
  return [
    ...snapshot.ipc.shm.map((shm) => ({
      key: `shm-${String(shm.shmid)}`,
      kind: "SysV shm",
      id: String(shm.shmid),
      keyHex: shm.keyHex,
      owner: shm.ownerUid,
      usage: `nattch ${String(shm.nattch)}`,
      detail:
        (shm.attachedPids.length > 0
          ? `attached: ${shm.attachedPids.join(", ")}`
          : "no process attached") +
        (shm.unaccountedAttachments > 0
          ? `; ${String(shm.unaccountedAttachments)} attachment(s) not visible`
          : ""),
      ours: shm.ours,
      reason: shm.reason,
    })),
    ...snapshot.ipc.sem.map((sem) => ({
      key: `sem-${String(sem.semid)}`,
      kind: "SysV sem",
      id: String(sem.semid),
      keyHex: sem.keyHex,
      owner: sem.ownerUid,
      usage: `${String(sem.nsems)} sems${sem.magic537 ? ", magic 537" : ""}`,
      detail:
        sem.creatorPid === null
          ? "creator unknown"
          : `creator ${String(sem.creatorPid)} ${sem.creatorAlive === true ? "(alive)" : sem.creatorAlive === false ? "(dead)" : ""}`,
      ours: sem.ours,
      reason: sem.reason,
    })),
    ...snapshot.dsm.map((dsm) => ({
      key: `dsm-${dsm.name}`,
      kind: "/dev/shm",
      id: dsm.name,
      keyHex: "—",
      owner: dsm.ownerUid,
      usage: formatBytes(dsm.size),
      detail:
        (dsm.mappedBy.length > 0 ? `mapped by ${dsm.mappedBy.join(", ")}` : "mapped by nobody") +
        (dsm.removable ? "; removable" : ""),
      ours: dsm.ours,
      reason: dsm.reason,
    })),
  ];
}

const COLUMNS: TColumn<TIpcRow>[] = [
  { header: "Kind", className: "whitespace-nowrap", cell: (row) => row.kind },
  { header: "ID", className: "font-mono break-all", minWidth: "sm", cell: (row) => row.id },
  { header: "Key", className: "font-mono", cell: (row) => row.keyHex },
  { header: "Owner uid", className: "font-mono", cell: (row) => row.owner },
  { header: "Use", className: "whitespace-nowrap", cell: (row) => row.usage },
  { header: "Detail", minWidth: "lg", cell: (row) => row.detail },
  {
    header: "Whose",
    minWidth: "md",
    cell: (row) => (
      <>
        <Badge tone={row.ours ? "info" : "neutral"}>{row.ours ? "ours" : "not ours"}</Badge>
        <span className="mt-0.5 block text-xs">{row.reason}</span>
      </>
    ),
  },
];

export function IpcTable({ snapshot }: { snapshot: TSnapshotView }) {
  return (
    <DataTable
      caption="IPC objects on the host"
      testId="ipc-table"
      columns={COLUMNS}
      rows={ipcRows(snapshot)}
      rowKey={(row) => row.key}
      rowProps={(row) => ({
        "data-testid": `ipc-${row.key}`,
        className: row.ours ? "" : "text-zinc-600 dark:text-zinc-400",
      })}
      empty={
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          No SysV shared memory, semaphore set or /dev/shm file on the host.
        </p>
      }
    />
  );
}
