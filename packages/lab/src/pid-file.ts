// The lab's own reading of postmaster.pid (independent of @pgrescue/core, so tests do not grade core with core).

export type TLabPidFile = {
  pid: number;
  dataDir: string;
  startTime: number | null;
  port: number | null;
  socketDir: string | null;
  listenAddress: string | null;
  /** SysV key, normalised to 0..2^32-1 (PostgreSQL 13+ may write it sign-extended). */
  shmKey: number | null;
  shmId: number | null;
  status: string | null;
};

export function parseLabPidFile(text: string): TLabPidFile | null {
  const lines = text.split("\n");
  const pid = Number(lines[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const numberAt = (index: number): number | null => {
    const value = lines[index]?.trim();
    return value === undefined || value === "" || !/^-?\d+$/.test(value) ? null : Number(value);
  };
  const textAt = (index: number): string | null => {
    const value = lines[index];
    return value === undefined ? null : value.trim();
  };
  const ipc = lines[6]?.trim().split(/\s+/) ?? [];
  const [rawKey, rawId] = ipc;
  const shmKey =
    rawKey !== undefined && /^-?\d+$/.test(rawKey)
      ? Number(BigInt.asUintN(32, BigInt(rawKey)))
      : null;
  const shmId = rawId !== undefined && /^\d+$/.test(rawId) ? Number(rawId) : null;
  return {
    pid,
    dataDir: textAt(1) ?? "",
    startTime: numberAt(2),
    port: numberAt(3),
    socketDir: textAt(4),
    listenAddress: textAt(5),
    shmKey,
    shmId,
    status: textAt(7),
  };
}
