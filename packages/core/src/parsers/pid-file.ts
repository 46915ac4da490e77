// Parser for $PGDATA/postmaster.pid and the SysV key normalization it needs.

export type TPidFileStatus = "starting" | "stopping" | "ready" | "standby";

export type TParsedPidFile = {
  /** Postmaster PID (line 1). A standalone backend writes its PID negated: see singleUser. */
  pid: number | null;
  singleUser: boolean;
  dataDir: string | null;
  /** Postmaster start time, epoch seconds (line 3). */
  startTime: number | null;
  port: number | null;
  socketDir: string | null;
  listenAddress: string | null;
  /** SysV key normalized to 0..2^32-1 (line 7 may hold a sign-extended 20-digit number). */
  shmKey: number | null;
  shmKeyRaw: string | null;
  shmId: number | null;
  status: TPidFileStatus | null;
  lineCount: number;
  errors: string[];
};

const TWO_32 = 2n ** 32n;

/**
 * Normalize a SysV IPC key to an unsigned 32-bit number. Accepts the pid file's `%lu` of a
 * (possibly negative) `key_t`, which since PostgreSQL 13 is the data directory's inode and can
 * print as 20 digits, and /proc/sysvipc's signed `%d`.
 */
export function normalizeShmKey(raw: string): number | null {
  const text = raw.trim();
  if (!/^-?\d{1,20}$/.test(text)) return null;
  const value = BigInt(text);
  if (value >= 2n ** 64n || value < -(2n ** 31n)) return null;
  return Number(((value % TWO_32) + TWO_32) % TWO_32);
}

/** Format a normalized key the way /proc/PID/maps names the segment: `/SYSV%08x`. */
export function formatShmKeyHex(key: number): string {
  return `0x${key.toString(16).padStart(8, "0")}`;
}

function parseIntStrict(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

function parseStatus(text: string): TPidFileStatus | null {
  const word = text.trim();
  return word === "starting" || word === "stopping" || word === "ready" || word === "standby"
    ? word
    : null;
}

/**
 * Parse the lines of postmaster.pid. Lines beyond those present are null (older versions
 * write fewer lines; PostgreSQL adds lines 4+ at different times during start-up).
 */
export function parsePidFile(lines: readonly string[]): TParsedPidFile {
  const errors: string[] = [];
  const result: TParsedPidFile = {
    pid: null,
    singleUser: false,
    dataDir: null,
    startTime: null,
    port: null,
    socketDir: null,
    listenAddress: null,
    shmKey: null,
    shmKeyRaw: null,
    shmId: null,
    status: null,
    lineCount: lines.length,
    errors,
  };
  if (lines.length === 0 || lines.every((l) => l.trim() === "")) {
    errors.push("postmaster.pid is empty");
    return result;
  }

  const pidText = (lines[0] ?? "").trim();
  const pidMatch = /^(-?)(\d{1,10})$/.exec(pidText);
  const pidValue = pidMatch?.[2] === undefined ? null : Number(pidMatch[2]);
  if (pidMatch && pidValue !== null && pidValue > 0 && pidValue <= 4_194_304) {
    result.pid = pidValue;
    result.singleUser = pidMatch[1] === "-";
  } else {
    errors.push(`line 1 is not a PID: ${JSON.stringify(pidText.slice(0, 40))}`);
  }

  const dataDir = lines[1];
  if (dataDir !== undefined) {
    if (dataDir.startsWith("/")) result.dataDir = dataDir;
    else
      errors.push(
        `line 2 is not an absolute data directory: ${JSON.stringify(dataDir.slice(0, 80))}`,
      );
  }

  const start = lines[2];
  if (start !== undefined) {
    result.startTime = parseIntStrict(start.trim());
    if (result.startTime === null) {
      errors.push(`line 3 is not a start time: ${JSON.stringify(start.slice(0, 40))}`);
    }
  }

  const port = lines[3];
  if (port !== undefined) {
    const value = parseIntStrict(port.trim());
    if (value !== null && value > 0 && value < 65536) result.port = value;
    else errors.push(`line 4 is not a port: ${JSON.stringify(port.slice(0, 40))}`);
  }

  const socketDir = lines[4];
  if (socketDir !== undefined && socketDir.trim() !== "") result.socketDir = socketDir;

  const listen = lines[5];
  if (listen !== undefined && listen.trim() !== "") result.listenAddress = listen.trim();

  const shm = lines[6];
  if (shm !== undefined) {
    const m = /^\s*(-?\d+)\s+(\d+)\s*$/.exec(shm);
    const key = m?.[1] === undefined ? null : normalizeShmKey(m[1]);
    const id = m?.[2] === undefined ? null : parseIntStrict(m[2]);
    if (m?.[1] !== undefined && key !== null && id !== null) {
      result.shmKey = key;
      result.shmKeyRaw = m[1];
      result.shmId = id;
    } else {
      errors.push(`line 7 is not "key shmid": ${JSON.stringify(shm.slice(0, 60))}`);
    }
  }

  const status = lines[7];
  if (status !== undefined) {
    result.status = parseStatus(status);
    if (result.status === null) {
      errors.push(`line 8 is not a known status: ${JSON.stringify(status.slice(0, 40))}`);
    }
  }
  return result;
}
