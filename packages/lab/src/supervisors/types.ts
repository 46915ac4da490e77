// Who runs PostgreSQL on a lab host: tini (plain pg_ctl, the default), systemd (a Debian or PGDG unit) or Patroni.
import { z } from "zod";

export const SUPERVISOR_KINDS = ["tini", "systemd", "patroni"] as const;
export type TSupervisorKind = (typeof SUPERVISOR_KINDS)[number];

/** Debian's postgresql@V-NAME.service (pg_ctlcluster) or a PGDG-style postgresql-V.service (Type=notify, KillMode=mixed). */
export const UNIT_STYLES = ["debian", "pgdg"] as const;
export type TUnitStyle = (typeof UNIT_STYLES)[number];

/** The Restart= setting a drop-in gives the instance's unit ("no": no drop-in, the packaged unit as it is). */
export const UNIT_RESTARTS = ["no", "on-failure", "always"] as const;
export type TUnitRestart = (typeof UNIT_RESTARTS)[number];

export const ZSupervisorRecord = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("tini") }),
  z.object({
    kind: z.literal("systemd"),
    unitStyle: z.enum(UNIT_STYLES),
    restart: z.enum(UNIT_RESTARTS),
    /** The lab's own cgroup2 directory on the machine: the root of its cgroup namespace. */
    cgroupDir: z.string(),
  }),
  z.object({
    kind: z.literal("patroni"),
    etcd: z.object({
      clientPort: z.number().int(),
      peerPort: z.number().int(),
      dataDir: z.string(),
      logFile: z.string(),
    }),
  }),
]);
export type TSupervisorRecord = z.infer<typeof ZSupervisorRecord>;

export const ZInstanceSupervision = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("systemd"),
    unit: z.string(),
    style: z.enum(UNIT_STYLES),
    restart: z.enum(UNIT_RESTARTS),
    /** Debian: /etc/postgresql/V/NAME (inside the host); PGDG: the data directory. */
    configDir: z.string(),
    /** Debian: "15/main"; PGDG: null. */
    cluster: z.string().nullable(),
    /** The drop-in with Restart=, or null. */
    dropIn: z.string().nullable(),
  }),
  z.object({
    kind: z.literal("patroni"),
    configFile: z.string(),
    restPort: z.number().int(),
    scope: z.string(),
    member: z.string(),
    logFile: z.string(),
  }),
]);
export type TInstanceSupervision = z.infer<typeof ZInstanceSupervision>;

/** The supervisor's own view of an instance, read on the host: what `systemctl show` or Patroni's REST API says. */
export type TSupervisorView =
  | { kind: "tini" }
  | {
      kind: "systemd";
      unit: string;
      activeState: string;
      subState: string;
      /** As systemd reports it (PID inside the host), 0 when none. */
      mainPid: number;
      result: string;
      restart: string;
      nRestarts: number;
      controlGroup: string;
      dropIns: string[];
    }
  | {
      kind: "patroni";
      /** Patroni's own PID inside the host, or null when it does not run. */
      patroniPid: number | null;
      restUrl: string;
      /** From GET /patroni: "running", "stopped", "starting", "unknown", …; null when the API does not answer. */
      state: string | null;
      role: string | null;
      paused: boolean;
      timeline: number | null;
    };

/** Per instance on a systemd host: which unit, which Restart= drop-in (the host's settings when absent). */
export type TUnitOptions = { style?: TUnitStyle; restart?: TUnitRestart };

export type TSupervisorOptions =
  | { kind: "tini" }
  | { kind: "systemd"; unitStyle?: TUnitStyle; restart?: TUnitRestart }
  | { kind: "patroni" };
