// The JSON state file of a lab host (<dir>/state.json): lets another process list, attach to and stop it.
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ZInstanceSupervision, ZSupervisorRecord } from "./supervisors/types.ts";

const ZLoginRecord = z.object({
  username: z.string(),
  privateKeyPath: z.string(),
  passphrase: z.string().optional(),
  password: z.string().optional(),
});

const ZUserRecord = z.object({
  name: z.string(),
  uid: z.number().int(),
  gid: z.number().int(),
  home: z.string(),
});

const ZProcessRef = z.object({
  pid: z.number().int(),
  startTime: z.number().int(),
  note: z.string(),
});

export const ZInstanceRecord = z.object({
  name: z.string(),
  major: z.union([z.literal(15), z.literal(18)]),
  pgdata: z.string(),
  binDir: z.string(),
  port: z.number().int(),
  socketDir: z.string(),
  logFile: z.string(),
  osUser: z.string(),
  /** What the last scenario left that is not a process of the instance itself: undone before the next one. */
  artifacts: z.object({ processes: z.array(ZProcessRef), semIds: z.array(z.number().int()) }),
  lastScenario: z.string().nullable(),
  /** Who starts and stops it when it is not plain pg_ctl (a systemd unit, Patroni); absent under tini. */
  supervision: ZInstanceSupervision.optional(),
});

export type TInstanceRecord = z.infer<typeof ZInstanceRecord>;
export type TProcessRef = z.infer<typeof ZProcessRef>;

export const ZLabState = z.object({
  version: z.literal(1),
  name: z.string(),
  dir: z.string(),
  mode: z.enum(["root", "userns", "plain"]),
  hostname: z.string(),
  initPid: z.number().int(),
  initStartTime: z.number().int(),
  pidNamespace: z.string().nullable(),
  ownerPid: z.number().int(),
  ownerStartTime: z.number().int().nullable(),
  detached: z.boolean(),
  startedAt: z.string(),
  ssh: z.object({
    host: z.literal("127.0.0.1"),
    port: z.number().int(),
    hostKeyFingerprint: z.string(),
    hostPublicKey: z.string(),
    knownHostsLine: z.string(),
    knownHostsFile: z.string(),
    configFile: z.string(),
    logFile: z.string(),
  }),
  logins: z.object({
    postgres: ZLoginRecord,
    admin: ZLoginRecord,
    postgresRsa: ZLoginRecord,
    app: ZLoginRecord,
  }),
  users: z.object({ postgres: ZUserRecord, admin: ZUserRecord, app: ZUserRecord }),
  instances: z.array(ZInstanceRecord),
  /** PID 1 and what runs PostgreSQL; state files written before supervisors existed are tini hosts. */
  supervisor: ZSupervisorRecord.default({ kind: "tini" }),
});

export type TLabState = z.infer<typeof ZLabState>;

export function stateFilePath(dir: string): string {
  return path.join(dir, "state.json");
}

export async function readLabState(dir: string): Promise<TLabState | null> {
  let text: string;
  try {
    text = await readFile(stateFilePath(dir), "utf8");
  } catch {
    return null;
  }
  const parsed = ZLabState.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/** Written atomically (temp file + rename), readable by its owner only: it holds the lab's passwords. */
export async function writeLabState(state: TLabState): Promise<void> {
  const file = stateFilePath(state.dir);
  const temp = `${file}.${String(process.pid)}.tmp`;
  await writeFile(temp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  await rename(temp, file);
}
