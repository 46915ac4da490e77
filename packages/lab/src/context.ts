// What instance and scenario code needs from a lab host: its identity, users, and a way to run commands inside.
import type { TLabState } from "./state-file.ts";
import type { TSupervisorHooks } from "./supervisors/hooks.ts";
import type { TLabExecOptions, TLabExecResult, TLabMode } from "./types.ts";

export type THostContext = {
  dir: string;
  baseDir: string;
  mode: TLabMode;
  users: TLabState["users"];
  /** Path of the Perl helper inside the host (same path on the machine). */
  helper: string;
  exec: (command: string, opts?: TLabExecOptions) => Promise<TLabExecResult>;
  readState: () => Promise<TLabState>;
  /** How PostgreSQL is started and stopped on this host (tini: pg_ctl; systemd units; Patroni). */
  supervisor: TSupervisorHooks;
  updateState: (change: (state: TLabState) => TLabState) => Promise<TLabState>;
};
