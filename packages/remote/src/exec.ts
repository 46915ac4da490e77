// One command on an open connection: wrapped, streamed, capped, timed out with a verified remote kill, classified.
import { randomBytes } from "node:crypto";
import type { ClientChannel } from "ssh2";
import type { TConnection } from "./connect.ts";
import { classifyFinishedCommand } from "./classify.ts";
import {
  ChannelRefusedError,
  CommandCancelledError,
  CommandTimeoutError,
  ConnectionLostError,
  type TPartialOutput,
  type TRemoteKillOutcome,
} from "./errors.ts";
import {
  createChunkForwarder,
  createMarkerFilter,
  createOutputCollector,
  type TOutputCollector,
} from "./output.ts";
import {
  buildKillCommand,
  killScriptExit,
  wrapCommand,
  type TStartMarker,
} from "./wrap-command.ts";
import type { TOutputChunk, TRunResult } from "./types.ts";

export type TExecSpec = {
  command: string;
  become: string | undefined;
  stdin: string | Buffer | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  onStdout: ((chunk: TOutputChunk) => void) | undefined;
  onStderr: ((chunk: TOutputChunk) => void) | undefined;
  signal: AbortSignal | undefined;
};

/** How long the kill script may take (it waits up to ~3 s for the group to vanish). */
const killBudgetMs = 10_000;
/** How long a stop waits for a start marker still in flight. */
const markerGraceMs = 1_000;

export async function execOnConnection(
  connection: TConnection,
  spec: TExecSpec,
): Promise<TRunResult> {
  // Cancelled while queued or connecting: nothing was sent.
  if (spec.signal?.aborted === true)
    throw new CommandCancelledError("not-started", { stdout: "", stderr: "" });
  const nonce = randomBytes(8).toString("hex");
  // The remote backstop fires a little after the local limit, which normally kills first.
  const remoteTimeoutSeconds = Math.ceil(spec.timeoutMs / 1000) + 1;
  const wrappedCommand = wrapCommand({
    command: spec.command,
    become: spec.become,
    remoteTimeoutSeconds,
    nonce,
  });
  const channel = await openExecChannel(connection, wrappedCommand);
  return superviseChannel(connection, channel, spec, nonce, wrappedCommand);
}

/** sshd normally answers within milliseconds; a hung or half-dead connection must not hang the run forever. */
const channelOpenTimeoutMs = 20_000;

function openExecChannel(connection: TConnection, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    if (!connection.isAlive()) {
      reject(
        new ConnectionLostError(connection.endpoint, "the connection was already closed", false),
      );
      return;
    }
    let abandoned = false;
    const timer = setTimeout(() => {
      abandoned = true;
      reject(
        new ConnectionLostError(
          connection.endpoint,
          `sshd did not answer the exec request within ${channelOpenTimeoutMs / 1000} s`,
          true,
        ),
      );
    }, channelOpenTimeoutMs);
    connection.client.exec(command, (error, channel) => {
      clearTimeout(timer);
      if (abandoned) {
        // Too late: nobody supervises it, so end it (its remote `timeout` is the backstop).
        if (error === undefined) abandonChannel(channel);
        return;
      }
      if (error === undefined) resolve(channel);
      // A refused channel (e.g. MaxSessions) certainly did not start the command; a dropped connection may have.
      else if (/channel open failure|unable to exec/i.test(error.message))
        reject(new ChannelRefusedError(connection.endpoint, error.message, { cause: error }));
      else
        reject(new ConnectionLostError(connection.endpoint, error.message, true, { cause: error }));
    });
  });
}

function abandonChannel(channel: ClientChannel): void {
  try {
    channel.signal("KILL");
    channel.close();
  } catch {
    // Already gone.
  }
}

type TExit = { code: number | null; signal: string | null };

/** Everything a channel produces: capped output, the start marker (stripped from stderr) and the exit status. */
type TChannelOutput = {
  stdout: TOutputCollector;
  stderr: TOutputCollector;
  marker: () => TStartMarker | undefined;
  /** The marker is the wrapper's first output, but stdout may overtake it: give it a moment before giving up. */
  waitForMarker: (ms: number) => Promise<TStartMarker | undefined>;
  exit: () => TExit | undefined;
  /** Flushes stderr held back while looking for the marker. */
  end: () => void;
};

function collectChannelOutput(
  channel: ClientChannel,
  spec: TExecSpec,
  nonce: string,
): TChannelOutput {
  const stdout = createOutputCollector(spec.maxOutputBytes);
  const stderr = createOutputCollector(spec.maxOutputBytes);
  const forwardStdout = createChunkForwarder(spec.onStdout);
  const forwardStderr = createChunkForwarder(spec.onStderr);
  let marker: TStartMarker | undefined;
  let exit: TExit | undefined;
  const markerWaiters: ((found: TStartMarker) => void)[] = [];
  const stderrFilter = createMarkerFilter(
    nonce,
    (chunk) => {
      stderr.push(chunk);
      forwardStderr(chunk);
    },
    (found) => {
      marker = found;
      for (const waiter of markerWaiters.splice(0)) waiter(found);
    },
  );
  channel.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    forwardStdout(chunk);
  });
  channel.stderr.on("data", (chunk: Buffer) => {
    stderrFilter.push(chunk);
  });
  const recordExit = (code: unknown, signal: unknown): void => {
    exit = {
      code: typeof code === "number" ? code : null,
      signal: typeof signal === "string" ? signal : null,
    };
  };
  channel.on("exit", recordExit);
  // A fast command's exit-status can arrive in the same TCP read as the exec's success, before this listener
  // exists; ssh2 repeats the exit status as the arguments of "close" (like child_process), so take it from there.
  channel.on("close", (code: unknown, signal: unknown) => {
    if (exit === undefined && (code !== undefined || signal !== undefined))
      recordExit(code, signal);
  });
  const waitForMarker = (ms: number): Promise<TStartMarker | undefined> =>
    marker !== undefined
      ? Promise.resolve(marker)
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            resolve(undefined);
          }, ms);
          markerWaiters.push((found) => {
            clearTimeout(timer);
            resolve(found);
          });
        });
  return {
    stdout,
    stderr,
    marker: () => marker,
    waitForMarker,
    exit: () => exit,
    end: stderrFilter.end,
  };
}

type TStopReason = "timeout" | "cancelled";

function superviseChannel(
  connection: TConnection,
  channel: ClientChannel,
  spec: TExecSpec,
  nonce: string,
  wrappedCommand: string,
): Promise<TRunResult> {
  const startedAt = performance.now();
  const output = collectChannelOutput(channel, spec, nonce);
  return new Promise<TRunResult>((resolve, reject) => {
    let state: "running" | "stopping" | "settled" = "running";
    const cleanUp = (): void => {
      state = "settled";
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      output.end();
    };
    const finish = (): void => {
      if (state !== "running") return;
      cleanUp();
      const exit = output.exit();
      if (exit === undefined && !connection.isAlive()) {
        reject(new ConnectionLostError(connection.endpoint, "no exit status received", true));
        return;
      }
      const result = buildResult(
        connection,
        output,
        exit,
        Math.round(performance.now() - startedAt),
        wrappedCommand,
      );
      const failure = classifyFinishedCommand(result, {
        endpoint: connection.endpoint,
        become: spec.become,
        markerSeen: output.marker() !== undefined,
      });
      if (failure === undefined) resolve(result);
      else reject(failure);
    };
    const stop = (reason: TStopReason): void => {
      if (state !== "running") return;
      state = "stopping";
      void stopRemoteCommand(connection, channel, output.waitForMarker, spec.become).then(
        (killOutcome) => {
          cleanUp();
          reject(createStopError(reason, spec.timeoutMs, killOutcome, output));
        },
      );
    };
    const onAbort = (): void => {
      stop("cancelled");
    };
    const timer = setTimeout(() => {
      stop("timeout");
    }, spec.timeoutMs);
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    channel.on("close", finish);
    channel.end(spec.stdin);
  });
}

function buildResult(
  connection: TConnection,
  output: TChannelOutput,
  exit: TExit | undefined,
  durationMs: number,
  wrappedCommand: string,
): TRunResult {
  return {
    stdout: output.stdout.text(),
    stderr: output.stderr.text(),
    exitCode: exit?.code ?? null,
    signal: exit?.signal ?? null,
    durationMs,
    truncated: { stdout: output.stdout.truncated, stderr: output.stderr.truncated },
    bytes: { stdout: output.stdout.bytes, stderr: output.stderr.bytes },
    wrappedCommand,
    hostKey: connection.hostKey,
    hostKeyStatus: connection.hostKeyStatus,
  };
}

function createStopError(
  reason: TStopReason,
  timeoutMs: number,
  killOutcome: TRemoteKillOutcome,
  output: TChannelOutput,
): CommandTimeoutError | CommandCancelledError {
  const partial: TPartialOutput = { stdout: output.stdout.text(), stderr: output.stderr.text() };
  if (reason === "cancelled") return new CommandCancelledError(killOutcome, partial);
  // An exit status without a closed channel: the command ended but something it started still holds its output.
  return new CommandTimeoutError(timeoutMs, killOutcome, partial, output.exit()?.code ?? undefined);
}

/**
 * Ends the remote command for real: SIGKILL to the session over the channel (OpenSSH ≥ 7.9 does killpg of the
 * session, which covers the command when no sudo is involved), close the channel, then SIGKILL the command's own
 * process group from a second exec (as the same user) and wait until none of it is alive.
 */
async function stopRemoteCommand(
  connection: TConnection,
  channel: ClientChannel,
  waitForMarker: (ms: number) => Promise<TStartMarker | undefined>,
  become: string | undefined,
): Promise<TRemoteKillOutcome> {
  if (!connection.isAlive()) return "failed";
  try {
    channel.signal("KILL");
  } catch {
    // The channel may already be gone; the process-group kill below is what counts.
  }
  const marker = await waitForMarker(markerGraceMs);
  try {
    channel.close();
  } catch {
    // Already closed.
  }
  if (!connection.isAlive()) return "failed";
  if (marker === undefined) return "not-started";
  return killProcessGroup(connection, marker, become);
}

function killProcessGroup(
  connection: TConnection,
  marker: TStartMarker,
  become: string | undefined,
): Promise<TRemoteKillOutcome> {
  const command = buildKillCommand({ pgid: marker.pgid, startTime: marker.startTime, become });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve("failed");
    }, killBudgetMs);
    const finish = (outcome: TRemoteKillOutcome): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    connection.client.exec(command, (error, channel) => {
      if (error !== undefined) {
        finish("failed");
        return;
      }
      let code: number | null = null;
      channel.on("exit", (exitCode: number | null) => {
        code = exitCode;
      });
      channel.on("close", () => {
        finish(code === killScriptExit.gone ? "confirmed" : "unconfirmed");
      });
      channel.resume();
      channel.stderr.resume();
      channel.end();
    });
  });
}
