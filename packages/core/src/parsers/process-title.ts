// Classification of PostgreSQL process titles (`postgres: …` in /proc/PID/cmdline) into roles.

export const PROCESS_ROLES = [
  "postmaster",
  "client backend",
  "checkpointer",
  "background writer",
  "walwriter",
  "autovacuum launcher",
  "autovacuum worker",
  "logical replication launcher",
  "logical replication worker",
  "stats collector",
  "archiver",
  "logger",
  "startup",
  "walreceiver",
  "walsender",
  "walsummarizer",
  "slotsync worker",
  "io worker",
  "parallel worker",
  "background worker",
  "standalone backend",
  "unknown",
] as const;

export type TProcessRole = (typeof PROCESS_ROLES)[number];

export type TProcessTitle = {
  role: TProcessRole;
  /** The title after `postgres: ` and the optional `cluster_name: ` prefix. */
  title: string;
  clusterName: string | null;
  /** For client backends and walsenders: `user database client activity`. */
  user: string | null;
  database: string | null;
  client: string | null;
  activity: string | null;
};

// Fixed titles of auxiliary processes, longest first so prefixes do not shadow each other.
const AUXILIARY: readonly [string, TProcessRole][] = [
  ["logical replication parallel apply worker", "logical replication worker"],
  ["logical replication tablesync worker", "logical replication worker"],
  ["logical replication launcher", "logical replication launcher"],
  ["logical replication apply worker", "logical replication worker"],
  ["logical replication worker", "logical replication worker"],
  ["autovacuum launcher", "autovacuum launcher"],
  ["autovacuum worker", "autovacuum worker"],
  ["background writer", "background writer"],
  ["stats collector", "stats collector"],
  ["parallel worker", "parallel worker"],
  ["slotsync worker", "slotsync worker"],
  ["checkpointer", "checkpointer"],
  ["walsummarizer", "walsummarizer"],
  ["walreceiver", "walreceiver"],
  ["io worker", "io worker"],
  ["walwriter", "walwriter"],
  ["wal writer", "walwriter"],
  ["archiver", "archiver"],
  ["startup", "startup"],
  ["logger", "logger"],
];

const CLIENT = /^(\S+) (\S+) (\[local\]|\S+\(\d+\)|\S+)(?: (.*))?$/;

function matchAuxiliary(title: string): TProcessRole | null {
  for (const [prefix, role] of AUXILIARY) {
    if (title === prefix || title.startsWith(`${prefix} `)) return role;
  }
  return null;
}

function emptyTitle(role: TProcessRole, title: string, clusterName: string | null): TProcessTitle {
  return { role, title, clusterName, user: null, database: null, client: null, activity: null };
}

function classifyBody(body: string, clusterName: string | null): TProcessTitle | null {
  const aux = matchAuxiliary(body);
  if (aux) return emptyTitle(aux, body, clusterName);
  if (body.startsWith("walsender ")) {
    // Physical: `walsender USER CLIENT ACTIVITY`; logical: `walsender USER DB CLIENT ACTIVITY`.
    const words = body.slice("walsender ".length).split(" ");
    const at = words.findIndex((w, i) => i > 0 && looksLikeClient(w));
    return {
      ...emptyTitle("walsender", body, clusterName),
      user: words[0] ?? null,
      database: at === 2 ? (words[1] ?? null) : null,
      client: at > 0 ? (words[at] ?? null) : null,
      activity: at > 0 ? words.slice(at + 1).join(" ") || null : null,
    };
  }
  return null;
}

/**
 * Classify a process by its command line. The postmaster keeps its original argv
 * (`/usr/lib/postgresql/15/bin/postgres -D …`); every child rewrites it to
 * `postgres: [cluster_name: ]title` (PostgreSQL ≥ 9.5 with update_process_title).
 */
export function classifyProcessTitle(cmdline: string): TProcessTitle {
  const text = cmdline.trim();
  if (!text.startsWith("postgres: ")) {
    const argv0 = text.split(" ")[0] ?? "";
    const base = argv0.slice(argv0.lastIndexOf("/") + 1);
    if (/postgres|postmaster/.test(base)) {
      const single = /(^| )--single( |$)/.test(text);
      return emptyTitle(single ? "standalone backend" : "postmaster", text, null);
    }
    return emptyTitle("unknown", text, null);
  }
  const body = text.slice("postgres: ".length);
  const direct = classifyBody(body, null);
  if (direct) return direct;
  // cluster_name, when set, is printed as `postgres: NAME: title`.
  const colon = body.indexOf(": ");
  if (colon > 0) {
    const named = classifyBody(body.slice(colon + 2), body.slice(0, colon));
    if (named) return named;
    const client = CLIENT.exec(body.slice(colon + 2));
    if (client && looksLikeClient(client[3])) {
      return toClient(body.slice(colon + 2), body.slice(0, colon), client);
    }
  }
  const client = CLIENT.exec(body);
  if (client && looksLikeClient(client[3])) return toClient(body, null, client);
  // Background workers registered by extensions show their bgw_type.
  return emptyTitle("background worker", body, null);
}

function looksLikeClient(host: string | undefined): boolean {
  return (
    host !== undefined &&
    (host === "[local]" || /\(\d+\)$/.test(host) || /^[\d.:a-f]+$/i.test(host))
  );
}

function toClient(title: string, clusterName: string | null, m: RegExpExecArray): TProcessTitle {
  return {
    role: "client backend",
    title,
    clusterName,
    user: m[1] ?? null,
    database: m[2] ?? null,
    client: m[3] ?? null,
    activity: m[4] ?? null,
  };
}
