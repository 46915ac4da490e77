// Connection pool: one SSH connection per target, a cap on concurrent channels, idle close, eviction and drain.
import { createHash } from "node:crypto";
import { openConnection, type TConnectOptions, type TConnection } from "./connect.ts";
import { InvalidTargetError, PoolClosedError } from "./errors.ts";
import { execOnConnection, type TExecSpec } from "./exec.ts";
import { validateCommand, validateTarget } from "./validate.ts";
import type { TRunOptions, TRunResult, TSshTarget } from "./types.ts";

export type TSshPoolOptions = {
  /** Concurrent channels per connection; the rest wait in order. sshd's MaxSessions defaults to 10. */
  maxChannelsPerConnection?: number;
  /** An unused connection is closed after this long; 0 closes it as soon as it is unused. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** SSH handshake plus login. */
  handshakeTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  defaultTimeoutMs?: number;
  /** Per stream and command. */
  maxOutputBytes?: number;
  /** Agent socket for `{ kind: "agent" }` without a socket; the app's env.ts passes SSH_AUTH_SOCK here. */
  agentSocket?: string;
  /** ssh2 protocol debug lines, for diagnosis and tests (ssh2 1.17 does not put credentials in them; still keep them out of shared logs). */
  debug?: (message: string) => void;
};

export type TPoolHostStats = {
  host: string;
  port: number;
  username: string;
  connected: boolean;
  active: number;
  queued: number;
  maxActive: number;
};

export type TSshPool = {
  run(target: TSshTarget, command: string, options?: TRunOptions): Promise<TRunResult>;
  /** Refuses new runs, lets accepted ones (running and queued) finish, then closes every connection. */
  close(): Promise<void>;
  stats(): TPoolHostStats[];
};

type TEntry = {
  target: TSshTarget;
  connection: Promise<TConnection> | undefined;
  active: number;
  maxActive: number;
  waiters: (() => void)[];
  idleTimer: NodeJS.Timeout | undefined;
  /** The last connection attempt failed: runs already waiting share that error instead of retrying the login. */
  failed: boolean;
};

const defaults = {
  maxChannelsPerConnection: 4,
  idleTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 15_000,
  keepaliveIntervalMs: 15_000,
  defaultTimeoutMs: 60_000,
  maxOutputBytes: 4 * 1024 * 1024,
};

export function createSshPool(options: TSshPoolOptions = {}): TSshPool {
  const settings = { ...defaults, ...withoutUndefined(options) };
  if (
    !Number.isInteger(settings.maxChannelsPerConnection) ||
    settings.maxChannelsPerConnection < 1
  ) {
    throw new RangeError("maxChannelsPerConnection must be a positive integer");
  }
  const connectOptions: TConnectOptions = {
    connectTimeoutMs: settings.connectTimeoutMs,
    handshakeTimeoutMs: settings.handshakeTimeoutMs,
    keepaliveIntervalMs: settings.keepaliveIntervalMs,
    agentSocket: options.agentSocket,
    debug: options.debug,
  };
  const entries = new Map<string, TEntry>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  const acquire = async (entry: TEntry): Promise<void> => {
    if (entry.idleTimer !== undefined) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    if (entry.active >= settings.maxChannelsPerConnection) {
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
    entry.active += 1;
    entry.maxActive = Math.max(entry.maxActive, entry.active);
  };

  const release = (key: string, entry: TEntry): void => {
    entry.active -= 1;
    const next = entry.waiters.shift();
    if (next !== undefined) {
      next();
      return;
    }
    if (entry.active > 0) return;
    if (entry.failed) {
      entries.delete(key);
      return;
    }
    const closeIdle = (): void => {
      entries.delete(key);
      void endConnection(entry);
    };
    if (settings.idleTimeoutMs <= 0 || closed) closeIdle();
    else entry.idleTimer = setTimeout(closeIdle, settings.idleTimeoutMs).unref();
  };

  const connectionOf = async (entry: TEntry): Promise<TConnection> => {
    if (entry.connection !== undefined) {
      const existing = await entry.connection;
      if (existing.isAlive()) return existing;
      entry.connection = undefined;
    }
    const opening = openConnection(entry.target, connectOptions);
    entry.connection = opening;
    opening.then(
      (connection) => {
        // A dropped connection is evicted here; the next run reconnects.
        connection.onClose(() => {
          if (entry.connection === opening) entry.connection = undefined;
        });
      },
      () => {
        // Kept on the entry until it goes idle, so queued runs get this error rather than retrying the login.
        entry.failed = true;
      },
    );
    return opening;
  };

  const run = async (
    target: TSshTarget,
    command: string,
    runOptions: TRunOptions = {},
  ): Promise<TRunResult> => {
    if (closed) throw new PoolClosedError();
    validateTarget(target);
    validateCommand(command);
    const key = computeTargetKey(target);
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = {
        target,
        connection: undefined,
        active: 0,
        maxActive: 0,
        waiters: [],
        idleTimer: undefined,
        failed: false,
      };
      entries.set(key, entry);
    }
    const spec: TExecSpec = {
      command,
      become: target.become,
      stdin: runOptions.stdin,
      timeoutMs: validateLimit("timeoutMs", runOptions.timeoutMs ?? settings.defaultTimeoutMs),
      maxOutputBytes: validateLimit(
        "maxOutputBytes",
        runOptions.maxOutputBytes ?? settings.maxOutputBytes,
      ),
      onStdout: runOptions.onStdout,
      onStderr: runOptions.onStderr,
      signal: runOptions.signal,
    };
    const current = entry;
    await acquire(current);
    try {
      return await execOnConnection(await connectionOf(current), spec);
    } finally {
      release(key, current);
    }
  };

  return {
    run: (target, command, runOptions) => {
      const running = run(target, command, runOptions);
      const tracked = running.catch(() => undefined);
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
      return running;
    },
    close: async () => {
      closed = true;
      await Promise.all([...inFlight]);
      const remaining = [...entries.values()];
      entries.clear();
      await Promise.all(remaining.map(endConnection));
    },
    stats: () =>
      [...entries.values()].map((entry) => ({
        host: entry.target.host,
        port: entry.target.port,
        username: entry.target.username,
        connected: entry.connection !== undefined,
        active: entry.active,
        queued: entry.waiters.length,
        maxActive: entry.maxActive,
      })),
  };
}

async function endConnection(entry: TEntry): Promise<void> {
  if (entry.idleTimer !== undefined) clearTimeout(entry.idleTimer);
  const opening = entry.connection;
  entry.connection = undefined;
  if (opening === undefined) return;
  try {
    (await opening).end();
  } catch {
    // It never opened; nothing to close.
  }
}

/** Connections are shared only by identical credentials and host-key policy; secrets enter the key only hashed. */
export function computeTargetKey(target: TSshTarget): string {
  const auth = target.auth;
  const secret =
    auth.kind === "key"
      ? ["key", Buffer.from(auth.privateKey).toString("base64"), auth.passphrase ?? ""]
      : auth.kind === "password"
        ? ["password", auth.password]
        : ["agent", auth.socket ?? ""];
  const digest = createHash("sha256")
    .update(JSON.stringify([secret, target.hostKey]))
    .digest("base64");
  return `${target.username}@${target.host.toLowerCase()}:${target.port}#${digest}`;
}

function validateLimit(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidTargetError(field, `${String(value)} is not a positive number`);
  return value;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** One command on a throwaway pool: connect, run, disconnect. */
export async function runOnce(
  target: TSshTarget,
  command: string,
  options: TRunOptions = {},
  poolOptions: TSshPoolOptions = {},
): Promise<TRunResult> {
  const pool = createSshPool({ ...poolOptions, idleTimeoutMs: 0 });
  try {
    return await pool.run(target, command, options);
  } finally {
    await pool.close();
  }
}
