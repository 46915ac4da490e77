// The host scripts tested as shell: shellcheck -s sh at warning level, and parsed by dash, bash --posix and
// busybox sh — every .sh file on its own and the scripts as rendered (prelude + plan + lib.sh + body).
// The tools come from scripts/setup.sh --test. Running them on lab hosts: packages/remote/src/shells.integration.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildActionScript,
  type TActionCheck,
  type TActionOp,
  type TProcessIdentity,
} from "../packages/core/src/actions/action-script.ts";
import { diagnose } from "../packages/core/src/diagnosis/diagnose.ts";
import { planLadder } from "../packages/core/src/ladder/plan-ladder.ts";
import { buildProbeScript } from "../packages/core/src/probe/probe-script.ts";
import { scanShellForStateChanges } from "../packages/core/src/shell/scan-read-only.ts";

const SCRIPTS_DIR = fileURLToPath(new URL("../packages/core/src/scripts/", import.meta.url));
const FIXTURES_DIR = fileURLToPath(
  new URL("../packages/core/src/__fixtures__/probe/", import.meta.url),
);
const SUPERVISED_DIR = fileURLToPath(
  new URL("../packages/core/src/__fixtures__/probe-supervised/", import.meta.url),
);
const SH_FILES = readdirSync(SCRIPTS_DIR)
  .filter((f) => f.endsWith(".sh"))
  .sort();
const work = mkdtempSync(join(tmpdir(), "pgrescue-host-scripts-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const PARSERS: [string, string[]][] = [
  ["dash", ["-n"]],
  ["bash", ["--posix", "-n"]],
  ["busybox", ["sh", "-n"]],
];

/** shellcheck's findings at warning level and above, as text ("" when there are none). */
function shellcheck(file: string): string {
  const run = spawnSync("shellcheck", ["--norc", "-s", "sh", "-S", "warning", "-f", "gcc", file], {
    encoding: "utf8",
  });
  if (run.error !== undefined) throw run.error;
  return `${run.stdout}${run.stderr}`.trim();
}

/** Each parser's complaint ("" when it parses the file). */
function parse(file: string): Record<string, string> {
  return Object.fromEntries(
    PARSERS.map(([tool, args]) => {
      const run = spawnSync(tool, [...args, file], { encoding: "utf8" });
      if (run.error !== undefined) throw run.error;
      return [`${tool} ${args.join(" ")}`, run.status === 0 ? "" : run.stderr || "failed"];
    }),
  );
}

/**
 * shellcheck and three shells over whole rendered scripts (a supervised action script carries supervisor.sh and
 * action-supervisor.sh too): well under a second of CPU, but seconds of wall time on a shared, loaded machine.
 */
const WHOLE_SCRIPT_TIMEOUT_MS = 60_000;

const clean = Object.fromEntries(PARSERS.map(([tool, args]) => [`${tool} ${args.join(" ")}`, ""]));

function written(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

const PM: TProcessIdentity = {
  pid: 222,
  startTicks: 503585,
  uid: 101,
  exe: "/usr/lib/postgresql/15/bin/postgres",
  role: "postmaster",
};
const BACKEND: TProcessIdentity = { ...PM, pid: 245, startTicks: 503604, role: "client-backend" };
const PG_BIN = "/usr/lib/postgresql/15/bin";
const SEM = { semid: 5, key: 40849001, ownerUid: 101, creatorPid: 1993 };
const SHM = { shmid: 7, key: 5389299, ownerUid: 101 };
const DSM = { path: "/dev/shm/PostgreSQL.12", ownerUid: 101 };
const PID_FILE = { kind: "present", mtime: 1795467452, line1: { kind: "pid", pid: 593 } } as const;
const PATRONI = { url: "http://127.0.0.1:8008", pid: 47, startTicks: 518882, paused: true };

// One of every check and every operation (the Record types make a new kind a compile error here).
const EVERY_CHECK: Record<TActionCheck["check"], TActionCheck> = {
  tool: { check: "tool", path: `${PG_BIN}/pg_ctl` },
  process: { check: "process", target: BACKEND },
  "pid-file": { check: "pid-file", expect: { kind: "absent" } },
  "pid-file-names": { check: "pid-file-names", pid: 222 },
  "pid-file-unowned": { check: "pid-file-unowned", pid: 593 },
  absent: { check: "absent", path: "/srv/pg data/main/x" },
  "socket-lock": { check: "socket-lock", path: "/run/pg/.s.PGSQL.5432.lock", pid: 593 },
  "pgdata-processes": { check: "pgdata-processes", allowed: [222, 245] },
  sem: { check: "sem", target: SEM },
  shm: { check: "shm", target: SHM },
  dsm: { check: "dsm", target: DSM },
  "pending-signals": { check: "pending-signals", pid: 222 },
  unit: {
    check: "unit",
    unit: "postgresql@15-main.service",
    expect: { mainPid: 222, activeStates: ["active", "deactivating"] },
  },
  sudo: { check: "sudo", command: ["/usr/bin/systemctl", "mask", "postgresql@15-main.service"] },
  patroni: { check: "patroni", patroni: PATRONI },
  readable: { check: "readable", path: "/etc/patroni/config.yml" },
};
const EVERY_OP: Record<TActionOp["op"], TActionOp> = {
  signal: { op: "signal", signal: "KILL", target: BACKEND },
  "await-gone": { op: "await-gone", limitSec: 10, targets: [BACKEND, PM] },
  "await-reaped": { op: "await-reaped", limitSec: 5, targets: [BACKEND] },
  observe: { op: "observe", afterSec: 1, targets: [PM] },
  "report-pgdata-processes": { op: "report-pgdata-processes" },
  "guard-no-survivors": { op: "guard-no-survivors" },
  "ipcrm-sem": { op: "ipcrm-sem", target: SEM },
  "ipcrm-shm": { op: "ipcrm-shm", target: SHM },
  "remove-dsm": { op: "remove-dsm", target: DSM },
  "move-pid-file": {
    op: "move-pid-file",
    expect: PID_FILE,
    unownedPid: 593,
    to: "/srv/pg data/main/postmaster.pid.pgrescue-stale-1795467452",
    socketLock: {
      path: "/run/pg/.s.PGSQL.5432.lock",
      to: "/run/pg/.s.PGSQL.5432.lock.x",
      pid: 593,
    },
  },
  "pg-ctl-stop": {
    op: "pg-ctl-stop",
    pgCtl: `${PG_BIN}/pg_ctl`,
    mode: "fast",
    timeoutSec: 60,
    postmaster: PM,
  },
  "pg-ctl-start": {
    op: "pg-ctl-start",
    pgCtl: `${PG_BIN}/pg_ctl`,
    logFile: "/var/log/pg.log",
    timeoutSec: 60,
  },
  "verify-ready": { op: "verify-ready", pgIsReady: `${PG_BIN}/pg_isready`, psql: `${PG_BIN}/psql` },
  systemctl: {
    op: "systemctl",
    verb: "stop",
    unit: "postgresql@15-main.service",
    systemctl: "/usr/bin/systemctl",
    sudo: true,
    timeoutSec: 60,
    expect: { mainPid: 222, activeStates: ["active"] },
    postmaster: PM,
  },
  patronictl: {
    op: "patronictl",
    verb: "resume",
    patronictl: "/usr/bin/patronictl",
    config: "/etc/patroni/config.yml",
    timeoutSec: 60,
    patroni: PATRONI,
  },
  "await-ready": {
    op: "await-ready",
    limitSec: 80,
    pgIsReady: `${PG_BIN}/pg_isready`,
    logFile: "/var/log/pg.log",
  },
  "verify-unit": { op: "verify-unit", unit: "postgresql@15-main.service" },
  "verify-patroni": {
    op: "verify-patroni",
    url: "http://127.0.0.1:8008",
    limitSec: 30,
    paused: false,
  },
};

const RENDERED: Record<string, string> = {
  "probe, defaults": buildProbeScript({ pgdata: "/var/lib/postgresql/15/main" }),
  "probe, every parameter": buildProbeScript({
    pgdata: "/srv/pg data/données",
    pgBin: PG_BIN,
    logFile: "/var/log/postgresql/postgresql-15-main.log",
  }),
  "action, every check and operation": buildActionScript({
    rung: 3,
    pgdata: "/srv/pg data/main",
    pgdataReal: "/srv/pg data/main",
    instanceUid: 101,
    requireInstanceUser: false,
    tools: ["ipcs", "sudo", "timeout"],
    checks: Object.values(EVERY_CHECK),
    operations: Object.values(EVERY_OP),
  }).script,
};

describe("every .sh file on its own", () => {
  it("is exactly lib.sh, probe.sh, action.sh and the supervisor files", () => {
    expect(SH_FILES).toEqual([
      "action-supervisor.sh",
      "action.sh",
      "lib.sh",
      "probe-supervisor.sh",
      "probe.sh",
      "supervisor.sh",
    ]);
  });

  it.each(SH_FILES)("%s: shellcheck -s sh -S warning finds nothing", (file) => {
    expect(shellcheck(join(SCRIPTS_DIR, file))).toBe("");
  });

  it.each(SH_FILES)("%s: dash, bash --posix and busybox sh parse it", (file) => {
    expect(parse(join(SCRIPTS_DIR, file))).toEqual(clean);
  });
});

describe("the scripts as rendered", () => {
  it.each(Object.keys(RENDERED))(
    "%s: shellcheck finds nothing, all three shells parse it",
    (name) => {
      const file = written(`${name.replace(/\W+/g, "-")}.sh`, RENDERED[name] ?? "");
      expect(shellcheck(file)).toBe("");
      expect(parse(file)).toEqual(clean);
    },
    WHOLE_SCRIPT_TIMEOUT_MS,
  );

  it("the probe stays read-only by the scanner's rules", () => {
    for (const name of ["probe, defaults", "probe, every parameter"]) {
      expect(scanShellForStateChanges(RENDERED[name] ?? ""), name).toEqual([]);
    }
  });

  it(
    "every action script planned from the captured scenarios parses in all three shells",
    () => {
      const captures = [FIXTURES_DIR, SUPERVISED_DIR].flatMap((dir) =>
        readdirSync(dir)
          .filter((f) => f.endsWith(".txt"))
          .map((f) => join(dir, f)),
      );
      const scripts = captures.flatMap((capture) => {
        const meta = JSON.parse(readFileSync(capture.replace(/\.txt$/, ".meta.json"), "utf8")) as {
          pgdata: string;
        };
        const snapshot = diagnose(readFileSync(capture, "utf8"), { pgdata: meta.pgdata });
        const plans = [
          planLadder(snapshot, { pgdata: meta.pgdata, pgBin: null }),
          planLadder(snapshot, {
            pgdata: meta.pgdata,
            pgBin: null,
            logFile: "/var/log/pg/main.log",
            cleanup: { semaphores: true, sharedMemory: true, dsmFiles: true },
          }),
        ];
        return plans.flatMap((plan) =>
          plan.steps.flatMap((s) => (s.script === null ? [] : [s.script])),
        );
      });
      expect(scripts.length).toBeGreaterThan(150);
      // With -n nothing runs, so one file holding all of them is parsed once per shell.
      expect(parse(written("all-plans.sh", scripts.join("\n")))).toEqual(clean);
    },
    WHOLE_SCRIPT_TIMEOUT_MS,
  );

  it("a script that does not parse is reported (the check can fail)", () => {
    const file = written("broken.sh", `${RENDERED["probe, defaults"] ?? ""}\nif then fi\n`);
    expect(Object.values(parse(file)).every((complaint) => complaint !== "")).toBe(true);
    expect(shellcheck(written("bashism.sh", "#!/bin/sh\n[[ -n $1 ]] && echo yes\n"))).toMatch(
      /SC3010/,
    );
  });
});

it("the three shells and shellcheck are installed (scripts/setup.sh --test)", () => {
  for (const tool of ["shellcheck", "dash", "bash", "busybox"]) {
    expect(() => execFileSync("sh", ["-c", `command -v ${tool}`]), tool).not.toThrow();
  }
});
