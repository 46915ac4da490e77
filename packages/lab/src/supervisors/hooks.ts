// What instance and scenario code asks of the supervisor: create, start and stop an instance its way, and tell
// what it sees. tini has no hooks (pg_ctl does everything); systemd and Patroni replace the pg_ctl steps.
import type { THostContext } from "../context.ts";
import type { TInstanceRecord } from "../state-file.ts";
import type { TSupervisorKind, TSupervisorView, TUnitOptions } from "./types.ts";

export type TSupervisorHooks = {
  kind: TSupervisorKind;
  /** Creates the instance the supervisor's way (pg_createcluster, a unit file, a Patroni configuration); start() starts it. */
  create?(
    ctx: THostContext,
    record: TInstanceRecord,
    unit?: TUnitOptions,
  ): Promise<TInstanceRecord>;
  /** Starts the instance through the supervisor; resolves once it answers `select 1`. */
  start?(ctx: THostContext, record: TInstanceRecord): Promise<void>;
  /** A clean stop through the supervisor (the stopped-clean scenario). */
  stopClean?(ctx: THostContext, record: TInstanceRecord): Promise<string[]>;
  /** Before a reset kills the instance's processes: keep the supervisor from starting it again meanwhile. */
  beforeKill?(ctx: THostContext, record: TInstanceRecord): Promise<void>;
  /** After the kill: bring the supervisor to "stopped" (systemctl stop, reset-failed). */
  afterKill?(ctx: THostContext, record: TInstanceRecord): Promise<void>;
  /**
   * True when the supervisor reacts at once to a postmaster that dies (systemd: ExecStop, KillMode, Restart=):
   * scenarios then wait for it to settle and report what it did instead of what tini would have left.
   */
  reactsToCrash: boolean;
  /** Waits until the supervisor has finished reacting; returns what it did, as checks. */
  settle?(ctx: THostContext, record: TInstanceRecord): Promise<string[]>;
  /** Maintenance mode (Patroni's pause): a scenario can be broken behind a paused supervisor. */
  pause?(ctx: THostContext, record: TInstanceRecord): Promise<void>;
  view(ctx: THostContext, record: TInstanceRecord): Promise<TSupervisorView>;
};

export const TINI_HOOKS: TSupervisorHooks = {
  kind: "tini",
  reactsToCrash: false,
  view: () => Promise.resolve({ kind: "tini" }),
};
