// What instance and scenario code needs from a lab host: its identity, users, and a way to run commands inside.
import type { LabState } from "./state-file.ts";
import type { SupervisorHooks } from "./supervisors/hooks.ts";
import type { LabExecOptions, LabExecResult, LabMode } from "./types.ts";

export type HostContext = {
  dir: string;
  baseDir: string;
  mode: LabMode;
  users: LabState["users"];
  /** Path of the Perl helper inside the host (same path on the machine). */
  helper: string;
  exec: (command: string, opts?: LabExecOptions) => Promise<LabExecResult>;
  readState: () => Promise<LabState>;
  /** How PostgreSQL is started and stopped on this host (tini: pg_ctl; systemd units; Patroni). */
  supervisor: SupervisorHooks;
  updateState: (change: (state: LabState) => LabState) => Promise<LabState>;
};
