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
    return { ...emptyTitle("walsender", body, clusterName), ...readWalsender(body) };
  }
  return null;
}

/**
 * User, database, client and activity of a walsender title: words separated by single spaces, the client being the
 * first word after the user that looks like one. Words are read one at a time up to the client, not split at once:
 * the activity can be long.
 */
function readWalsender(
  body: string,
): Pick<TProcessTitle, "user" | "database" | "client" | "activity"> {
  const rest = body.slice("walsender ".length);
  let user: string | null = null;
  let second: string | null = null;
  let start = 0;
  for (let index = 0; ; index += 1) {
    const space = rest.indexOf(" ", start);
    const word = rest.slice(start, space < 0 ? rest.length : space);
    if (index === 0) user = word;
    else if (looksLikeClient(word)) {
      return {
        user,
        database: index === 2 ? second : null,
        client: word,
        // What follows the client's space, if anything.
        activity: space < 0 ? null : rest.slice(space + 1) || null,
      };
    }
    if (index === 1) second = word;
    if (space < 0) return { user, database: null, client: null, activity: null };
    start = space + 1;
  }
}

/**
 * Classify a process by its command line. The postmaster keeps its original argv
 * (`/usr/lib/postgresql/15/bin/postgres -D …`); every child rewrites it to
 * `postgres: [cluster_name: ]title` (PostgreSQL ≥ 9.5 with update_process_title).
 */
export function classifyProcessTitle(cmdline: string): TProcessTitle {
  const text = cmdline.trim();
  if (!text.startsWith("postgres: ")) {
    const space = text.indexOf(" ");
    const argv0 = space < 0 ? text : text.slice(0, space);
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
