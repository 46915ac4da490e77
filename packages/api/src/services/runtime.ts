// Process-wide parts the services share: the SSH pool, the vault, the event bus for live step output, the log, and
// policy defaults.
import { EventEmitter, on } from "node:events";
import { createSshPool, type TSshPool } from "@pgrescue/remote";
import type { TLogger } from "../logger.ts";
import type { TVault } from "./vault.ts";

export type TIncidentEvent =
  | { kind: "step"; incidentId: string; stepId: string; status: string }
  | {
      kind: "output";
      incidentId: string;
      stepId: string;
      seq: number;
      stream: "STDOUT" | "STDERR" | "SYSTEM";
      data: string;
    }
  | { kind: "snapshot"; incidentId: string; snapshotId: string; verdict: string }
  | { kind: "incident"; incidentId: string; status: string };

export type TEventBus = {
  publish(event: TIncidentEvent): void;
  subscribe(incidentId: string, listener: (event: TIncidentEvent) => void): () => void;
  /** The incident's events as they happen, until the signal aborts. */
  stream(incidentId: string, signal: AbortSignal | undefined): AsyncGenerator<TIncidentEvent>;
};

export type TRuntimeOptions = {
  vault: TVault;
  logger: TLogger;
  agentSocket?: string | undefined;
  /** How long an approval stays valid (default 10 minutes). */
  approvalTtlMs?: number;
  /** pg_ctl's -t for stop and start steps. */
  pgCtlTimeoutSec?: number;
};

export type TRuntime = {
  pool: TSshPool;
  vault: TVault;
  bus: TEventBus;
  /** The console's log; a service makes a child for what it works on (`runtime.logger.child({ stepId })`). */
  logger: TLogger;
  approvalTtlMs: number;
  pgCtlTimeoutSec: number;
  close(): Promise<void>;
};

function createEventBus(): TEventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (event) => {
      emitter.emit(event.incidentId, event);
    },
    subscribe: (incidentId, listener) => {
      emitter.on(incidentId, listener);
      return () => {
        emitter.off(incidentId, listener);
      };
    },
    stream: async function* (incidentId, signal) {
      try {
        for await (const [event] of on(emitter, incidentId, { signal }))
          yield event as TIncidentEvent;
      } catch (error) {
        if (!(error instanceof Error && error.name === "AbortError")) throw error;
      }
    },
  };
}

export function createRuntime(options: TRuntimeOptions): TRuntime {
  const pool = createSshPool({ agentSocket: options.agentSocket, idleTimeoutMs: 60_000 });
  return {
    pool,
    vault: options.vault,
    bus: createEventBus(),
    logger: options.logger,
    approvalTtlMs: options.approvalTtlMs ?? 10 * 60_000,
    pgCtlTimeoutSec: options.pgCtlTimeoutSec ?? 60,
    close: () => pool.close(),
  };
}
