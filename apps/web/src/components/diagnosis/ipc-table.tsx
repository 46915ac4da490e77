// SysV shared memory, SysV semaphores and /dev/shm files on the host: the instance's own, and everybody
// else's marked "not ours" (never touched).
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

export function IpcTable({ snapshot }: { snapshot: TSnapshotView }) {
  const rows = ipcRows(snapshot);
  if (rows.length === 0) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        No SysV shared memory, semaphore set or /dev/shm file on the host.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="ipc-table">
        <caption className="sr-only">IPC objects on the host</caption>
        <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
          <tr>
            <th scope="col" className="py-1 pr-3 font-medium">
              Kind
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              ID
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              Key
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              Owner uid
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              Use
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              Detail
            </th>
            <th scope="col" className="py-1 font-medium">
              Whose
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={row.key}
              data-testid={`ipc-${row.key}`}
              className={`border-t border-zinc-100 align-top dark:border-zinc-800 ${row.ours ? "" : "text-zinc-600 dark:text-zinc-400"}`}
            >
              <td className="py-1 pr-3 whitespace-nowrap">{row.kind}</td>
              <td className="py-1 pr-3 font-mono break-all">{row.id}</td>
              <td className="py-1 pr-3 font-mono">{row.keyHex}</td>
              <td className="py-1 pr-3 font-mono">{row.owner}</td>
              <td className="py-1 pr-3 whitespace-nowrap">{row.usage}</td>
              <td className="py-1 pr-3">{row.detail}</td>
              <td className="py-1">
                <Badge tone={row.ours ? "info" : "neutral"}>{row.ours ? "ours" : "not ours"}</Badge>
                <span className="mt-0.5 block text-xs">{row.reason}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
