// One authenticated SSH connection: TCP connect, handshake with host-key pinning, login, and error mapping.
import { connect as connectTcp, type Socket } from "node:net";
import ssh2, { type Client, type ConnectConfig } from "ssh2";
import { prepareAuth, type TAuthMethod } from "./auth.ts";
import {
  AuthFailedError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  RemoteError,
  UnreachableError,
  type TEndpoint,
  type TUnreachableReason,
} from "./errors.ts";
import {
  describeHostKey,
  judgeHostKey,
  listPreferredHostKeyAlgorithms,
  type THostKeyVerdict,
} from "./host-key.ts";
import { validateTarget } from "./validate.ts";
import type { THostKeyStatus, TPresentedHostKey, TSshTarget } from "./types.ts";

export type TConnectOptions = {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Default agent socket (SSH_AUTH_SOCK of this process). */
  agentSocket: string | undefined;
  debug?: (message: string) => void;
};

export type TConnection = {
  readonly client: Client;
  readonly endpoint: TEndpoint;
  readonly hostKey: TPresentedHostKey;
  readonly hostKeyStatus: THostKeyStatus;
  isAlive(): boolean;
  onClose(listener: () => void): void;
  end(): void;
};

export async function openConnection(
  target: TSshTarget,
  options: TConnectOptions,
): Promise<TConnection> {
  const host = validateTarget(target);
  const endpoint: TEndpoint = { host: target.host, port: target.port, username: target.username };
  const auth = await prepareAuth(target.auth, target.username, options.agentSocket);
  const socket = await openSocket(host.address, target.port, endpoint, options.connectTimeoutMs);
  const client = new ssh2.Client();
  const seen: { presented?: TPresentedHostKey; verdict?: THostKeyVerdict } = {};
  const config: ConnectConfig = {
    sock: socket,
    username: target.username,
    readyTimeout: options.handshakeTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: 3,
    hostVerifier: (blob: Buffer): boolean => {
      const presented = describeHostKey(blob);
      const verdict = judgeHostKey(target.hostKey, presented);
      Object.assign(seen, { presented, verdict });
      // Returning false makes ssh2 abort the key exchange: no authentication is ever attempted.
      return verdict.kind === "pinned" || verdict.kind === "accepted-new";
    },
    authHandler: auth.steps,
  };
  const preferred = listPreferredHostKeyAlgorithms(target.hostKey);
  if (preferred.length > 0)
    config.algorithms = { serverHostKey: { prepend: preferred, append: [], remove: [] } };
  if (options.debug !== undefined) config.debug = options.debug;
  try {
    await waitUntilReady(client, config);
  } catch (error) {
    socket.destroy();
    throw mapHandshakeError(error, {
      endpoint,
      method: auth.method,
      presented: seen.presented,
      verdict: seen.verdict,
    });
  }
  const { presented, verdict } = seen;
  if (presented === undefined || verdict === undefined)
    throw new Error("ssh2 completed the handshake without verifying the host key");
  return trackConnection(
    client,
    endpoint,
    presented,
    verdict.kind === "pinned" ? "pinned" : "accepted-new",
  );
}

function waitUntilReady(client: Client, config: ConnectConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      client.removeListener("ready", succeed);
      client.on("error", ignoreLateError);
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const succeed = (): void => {
      client.removeListener("error", fail);
      client.removeListener("close", closedEarly);
      resolve();
    };
    const closedEarly = (): void => {
      fail(
        Object.assign(new Error("Connection closed during the SSH handshake"), {
          level: "client-socket",
        }),
      );
    };
    client.once("ready", succeed).once("error", fail).once("close", closedEarly);
    client.connect(config);
  });
}

function ignoreLateError(): void {
  // ssh2 may report the same failure twice (error, then socket close); the first one was already mapped.
}

function trackConnection(
  client: Client,
  endpoint: TEndpoint,
  hostKey: TPresentedHostKey,
  hostKeyStatus: THostKeyStatus,
): TConnection {
  let alive = true;
  const listeners: (() => void)[] = [];
  const markClosed = (): void => {
    if (!alive) return;
    alive = false;
    for (const listener of listeners.splice(0)) listener();
  };
  // An 'error' without listener would crash the process; the connection is simply dead afterwards.
  client.on("error", markClosed).on("close", markClosed).on("end", markClosed);
  return {
    client,
    endpoint,
    hostKey,
    hostKeyStatus,
    isAlive: () => alive,
    onClose: (listener) => {
      if (alive) listeners.push(listener);
      else listener();
    },
    end: () => {
      markClosed();
      client.end();
    },
  };
}

/** The TCP connection is ours so that refusals, DNS failures and silent drops get their own messages. */
function openSocket(
  address: string,
  port: number,
  endpoint: TEndpoint,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // No Nagle: SSH sends many small packets (channel open, exec, EOF) that would each wait for a delayed ACK.
    const socket = connectTcp({ host: address, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new UnreachableError(endpoint, "connect-timeout", `no TCP answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new UnreachableError(
          endpoint,
          classifySocketError(error.code),
          error.code ?? error.message,
          { cause: error },
        ),
      );
    });
  });
}

export function classifySocketError(code: string | undefined): TUnreachableReason {
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "EADDRNOTAVAIL":
      return "no-route";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return "dns";
    case "ETIMEDOUT":
      return "connect-timeout";
    default:
      return "network";
  }
}

type THandshakeContext = {
  endpoint: TEndpoint;
  method: TAuthMethod;
  presented: TPresentedHostKey | undefined;
  verdict: THostKeyVerdict | undefined;
};

/** Maps what ssh2 reports during set-up to the typed errors; the host-key verdict wins over ssh2's generic message. */
export function mapHandshakeError(error: unknown, context: THandshakeContext): RemoteError {
  if (error instanceof RemoteError) return error;
  const { endpoint, presented, verdict } = context;
  if (presented !== undefined && verdict?.kind === "mismatch") {
    return new HostKeyMismatchError(
      endpoint,
      verdict.expected,
      presented.fingerprint,
      presented.algorithm,
    );
  }
  if (presented !== undefined && verdict?.kind === "unknown") {
    return new HostKeyUnknownError(
      endpoint,
      presented.fingerprint,
      presented.algorithm,
      presented.base64,
    );
  }
  const { level, code, message } = describeSshError(error);
  if (level === "client-authentication")
    return new AuthFailedError(endpoint, context.method, { cause: error });
  if (level === "client-timeout")
    return new UnreachableError(endpoint, "handshake-timeout", message, { cause: error });
  if (level === "client-socket")
    return new UnreachableError(endpoint, classifySocketError(code), code ?? message, {
      cause: error,
    });
  return new UnreachableError(endpoint, "handshake", message, { cause: error });
}

function describeSshError(error: unknown): {
  level: string | undefined;
  code: string | undefined;
  message: string;
} {
  if (!(error instanceof Error))
    return { level: undefined, code: undefined, message: String(error) };
  const level = "level" in error && typeof error.level === "string" ? error.level : undefined;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  return { level, code, message: error.message };
}
