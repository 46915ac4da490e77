// The lab host's own user database: copies of the machine's passwd/shadow/group/sudoers/hosts plus the lab users.

export type TLabUser = {
  name: string;
  uid: number;
  gid: number;
  group: string;
  home: string;
  shell: string;
  /** The shadow password field: "*" (no password, key logins allowed) or a crypt hash. */
  shadow: string;
};

export type TLabUsers = { postgres: TLabUser; admin: TLabUser; app: TLabUser };

export const ADMIN_USER = "pgadmin";
export const APP_USER = "appuser";
const FIRST_LAB_ID = 61000;

type TPasswdEntry = { name: string; uid: number; gid: number; home: string; shell: string };

export function parsePasswd(text: string): TPasswdEntry[] {
  const entries: TPasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields.length < 7 || line.startsWith("#")) continue;
    const [name = "", , uid = "", gid = "", , home = "", shell = ""] = fields;
    entries.push({ name, uid: Number(uid), gid: Number(gid), home, shell });
  }
  return entries;
}

function parseGroupIds(text: string): Map<string, number> {
  const groups = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name !== undefined && gid !== undefined && name !== "" && !line.startsWith("#"))
      groups.set(name, Number(gid));
  }
  return groups;
}

/**
 * Decides the lab users: postgres keeps the machine's uid/gid (its files outside the lab stay its own),
 * the admin and the application user get ids unused on the machine. Homes live under homeDir.
 */
export function planLabUsers(opts: {
  passwd: string;
  group: string;
  homeDir: string;
  adminShadow: string;
}): TLabUsers {
  const passwd = parsePasswd(opts.passwd);
  const groups = parseGroupIds(opts.group);
  const postgres = passwd.find((entry) => entry.name === "postgres");
  if (postgres === undefined) {
    throw new Error(
      "the OS user postgres does not exist on this machine (install postgresql-15, or create it: useradd --system --user-group postgres)",
    );
  }
  const postgresGroup = [...groups].find(([, gid]) => gid === postgres.gid)?.[0] ?? "postgres";
  const usedUids = new Set(passwd.map((entry) => entry.uid));
  const usedGids = new Set(groups.values());
  const pickId = (used: Set<number>): number => {
    let id = FIRST_LAB_ID;
    while (used.has(id)) id += 1;
    used.add(id);
    return id;
  };
  const newUser = (name: string, shadow: string): TLabUser => {
    const existing = passwd.find((entry) => entry.name === name);
    const uid = existing?.uid ?? pickId(usedUids);
    const gid = existing?.gid ?? groups.get(name) ?? pickId(usedGids);
    return {
      name,
      uid,
      gid,
      group: name,
      home: `${opts.homeDir}/${name}`,
      shell: "/bin/bash",
      shadow,
    };
  };
  return {
    postgres: {
      name: "postgres",
      uid: postgres.uid,
      gid: postgres.gid,
      group: postgresGroup,
      home: `${opts.homeDir}/postgres`,
      shell: "/bin/bash",
      shadow: "*",
    },
    admin: newUser(ADMIN_USER, opts.adminShadow),
    app: newUser(APP_USER, "*"),
  };
}

function replaceOrAppend(
  text: string,
  all: readonly TLabUser[],
  render: (user: TLabUser) => string,
): string {
  // Without root the three lab users are one and the same account.
  const users = [...new Map(all.map((user) => [user.name, user])).values()];
  const names = new Set(users.map((user) => user.name));
  const kept = text
    .split("\n")
    .filter((line) => line !== "" && !names.has(line.split(":")[0] ?? ""));
  return [...kept, ...users.map(render)].join("\n") + "\n";
}

export function renderPasswd(machine: string, users: TLabUsers): string {
  return replaceOrAppend(
    machine,
    Object.values(users),
    (user) =>
      `${user.name}:x:${String(user.uid)}:${String(user.gid)}:pgrescue lab ${user.name}:${user.home}:${user.shell}`,
  );
}

/** The shadow copy. "*" instead of Debian's locked "!" for postgres: with UsePAM no, sshd refuses key logins of locked accounts. */
export function renderShadow(machine: string, users: TLabUsers, daysSinceEpoch: number): string {
  return replaceOrAppend(
    machine,
    Object.values(users),
    (user) => `${user.name}:${user.shadow}:${String(daysSinceEpoch)}:0:99999:7:::`,
  );
}

export function renderGroup(machine: string, users: TLabUsers): string {
  const existing = new Set(
    machine
      .split("\n")
      .map((line) => line.split(":")[0])
      .filter((name) => name !== undefined && name !== ""),
  );
  const extra = [users.admin, users.app]
    .filter((user) => !existing.has(user.group))
    .map((user) => `${user.group}:x:${String(user.gid)}:`);
  return [...machine.split("\n").filter((line) => line !== ""), ...extra].join("\n") + "\n";
}

/** The sudoers copy: the admin may run anything as postgres without a password, and nothing else. */
export function renderSudoers(machine: string, users: TLabUsers): string {
  return `${machine.trimEnd()}\n\n# pgrescue lab: the admin login works through sudo -n -u ${users.postgres.name}\n${users.admin.name} ALL=(${users.postgres.name}) NOPASSWD: ALL\n`;
}

/** The hosts copy: the lab's hostname resolves, so sudo does not complain about it on stderr. */
export function renderHosts(machine: string, hostname: string): string {
  return `${machine.trimEnd()}\n127.0.1.1\t${hostname}\n`;
}
