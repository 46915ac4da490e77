import { describe, expect, it } from "vitest";
import { ShellValueError } from "../shell/quote.ts";
import { scanShellForStateChanges } from "../shell/scan-read-only.ts";
import { ACTION_EXIT } from "./action-protocol.ts";
import {
  ACTION_SCRIPT_BODY,
  ACTION_SUPERVISOR_SCRIPT_BODY,
  buildActionScript,
  extractActionDirectives,
  listStateChangingCommands,
  type TActionOp,
  type TActionSpec,
  type TProcessIdentity,
} from "./action-script.ts";

const PM: TProcessIdentity = {
  pid: 222,
  startTicks: 503585,
  uid: 101,
  exe: "/usr/lib/postgresql/15/bin/postgres",
  role: "postmaster",
};
const BACKEND: TProcessIdentity = { ...PM, pid: 245, startTicks: 503604, role: "client-backend" };

function spec(overrides: Partial<TActionSpec> = {}): TActionSpec {
  return {
    rung: 3,
    pgdata: "/srv/pg data/main",
    pgdataReal: "/srv/pg data/main",
    instanceUid: 101,
    requireInstanceUser: false,
    tools: [],
    checks: [],
    operations: [
      { op: "signal", signal: "STOP", target: PM },
      { op: "signal", signal: "KILL", target: BACKEND },
      { op: "signal", signal: "KILL", target: PM },
      { op: "await-gone", limitSec: 10, targets: [BACKEND, PM] },
    ],
    ...overrides,
  };
}

/** Command words that change a host; the only ones an action script may run are in pgr_do lines. */
const STATE_CHANGING_WORDS = [
  "kill",
  "pkill",
  "killall",
  "ipcrm",
  "pg_ctl",
  "pg_ctlcluster",
  "pg_resetwal",
  "mv",
  "rm",
  "rmdir",
  "cp",
  "ln",
  "tee",
  "dd",
  "truncate",
  "touch",
  "mkdir",
  "chmod",
  "chown",
  "sed",
  "xargs",
  "find",
  "sudo",
  "su",
  "eval",
  "exec",
  "perl",
  "python",
  "python3",
  "systemctl",
  "service",
];
const WORD = new RegExp(`(?<![\\w.-])(${STATE_CHANGING_WORDS.join("|")})(?![\\w.-])`);

const linesWith = (text: string): string[] =>
  text.split("\n").filter((line) => !line.trim().startsWith("#") && WORD.test(line));

describe("buildActionScript", () => {
  it("interpolates only validated values into calls of the constant body", () => {
    const { script, stateChangingCommands } = buildActionScript(spec());
    expect(script).toContain("PGR_PGDATA='/srv/pg data/main'\n");
    expect(script).toContain(
      "pgr_check_proc postmaster 222 503585 101 '/usr/lib/postgresql/15/bin/postgres' || return 1\n  pgr_do kill -STOP 222 || return 1\n",
    );
    expect(stateChangingCommands).toEqual(["kill -STOP 222", "kill -KILL 245", "kill -KILL 222"]);
    expect(script.endsWith("\npgr_main </dev/null\n")).toBe(true);
    const other = buildActionScript(spec({ rung: 0, operations: [] })).script;
    expect(other.slice(other.indexOf(ACTION_SCRIPT_BODY))).toBe(ACTION_SCRIPT_BODY);
    expect(script.slice(script.indexOf(ACTION_SCRIPT_BODY))).toBe(ACTION_SCRIPT_BODY);
  });

  it("the constant body names state-changing commands only in pgr_describe and pgr_do, and never calls pgr_do", () => {
    // Which function each line of the body belongs to.
    let current = "(top level)";
    const functionsNaming = new Set<string>();
    for (const line of ACTION_SCRIPT_BODY.split("\n")) {
      const start = /^(pgr_\w+)\(\) \{/.exec(line);
      if (start?.[1] !== undefined) current = start[1];
      if (linesWith(line).length > 0) functionsNaming.add(current);
      if (line === "}") current = "(top level)";
    }
    // pgr_describe turns a command into its output line; pgr_do runs it (and checks whether a
    // failed kill's target is already gone). No other function even names such a command.
    expect([...functionsNaming].sort()).toEqual(["pgr_describe", "pgr_do"]);
    expect(
      ACTION_SCRIPT_BODY.split("\n").filter(
        (l) => /\bpgr_do\b/.test(l) && !l.includes("pgr_do()") && !l.trim().startsWith("#"),
      ),
    ).toEqual([]);
    expect(ACTION_SCRIPT_BODY).toContain('pgr_out=$("$@" 2>&1 </dev/null)');
  });

  it("in the generated part, every state-changing command is a pgr_do line, exactly the listed ones", () => {
    const { script, stateChangingCommands } = buildActionScript(
      spec({
        operations: [
          { op: "signal", signal: "KILL", target: BACKEND },
          { op: "ipcrm-sem", target: { semid: 5, key: 40849001, ownerUid: 101, creatorPid: 1993 } },
          { op: "ipcrm-shm", target: { shmid: 7, key: 5389299, ownerUid: 101 } },
          { op: "remove-dsm", target: { path: "/dev/shm/PostgreSQL.12", ownerUid: 101 } },
          {
            op: "move-pid-file",
            expect: { kind: "present", mtime: 1795467452, line1: { kind: "pid", pid: 593 } },
            unownedPid: 593,
            to: "/srv/pg data/main/postmaster.pid.pgrescue-stale-1795467452",
            socketLock: {
              path: "/run/pg/.s.PGSQL.5432.lock",
              to: "/run/pg/.s.PGSQL.5432.lock.x",
              pid: 593,
            },
          },
          {
            op: "pg-ctl-start",
            pgCtl: "/usr/lib/postgresql/15/bin/pg_ctl",
            logFile: "/var/log/pg.log",
            timeoutSec: 60,
          },
        ],
      }),
    );
    const directives = extractActionDirectives(script);
    expect(
      linesWith(directives)
        // pgr_check_tool only tests that the file is executable.
        .filter((l) => !/^pgr_check_tool '[^']*'$/.test(l.trim()))
        .filter((l) => !/^(if \[ -f '[^']*' \]; then )?pgr_do /.test(l.trim())),
    ).toEqual([]);
    expect(listStateChangingCommands(script)).toEqual(stateChangingCommands);
    expect(stateChangingCommands).toEqual([
      "kill -KILL 245",
      "ipcrm -s 5",
      "ipcrm -m 7",
      "rm -- '/dev/shm/PostgreSQL.12'",
      "mv -- '/srv/pg data/main/postmaster.pid' '/srv/pg data/main/postmaster.pid.pgrescue-stale-1795467452'",
      "mv -- '/run/pg/.s.PGSQL.5432.lock' '/run/pg/.s.PGSQL.5432.lock.x'",
      "'/usr/lib/postgresql/15/bin/pg_ctl' start -D '/srv/pg data/main' -l '/var/log/pg.log' -w -t 60",
    ]);
    // The read-only scanner is not these scripts' gate (they change state on purpose), but it agrees:
    // everything it flags in the generated part is on a pgr_do line.
    const lines = directives.split("\n");
    const flagged = scanShellForStateChanges(directives).map((f) => lines[f.line - 1] ?? "");
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((l) => l.includes("pgr_do "))).toBe(true);
    // Every act-phase action is preceded by its re-verification.
    expect(directives).toMatch(
      /pgr_check_sem 5 40849001 101 1993 \|\| return 1\n\s+pgr_do ipcrm -s 5/,
    );
    expect(directives).toMatch(/pgr_check_shm 7 5389299 101 \|\| return 1\n\s+pgr_do ipcrm -m 7/);
  });

  it("is POSIX sh: none of bash's extensions, all in functions, stdin of the main call from /dev/null", () => {
    // Comments may say anything; the code may not (shellcheck -s sh checks more: test/host-scripts.test.ts).
    const script = buildActionScript(spec())
      .script.split("\n")
      .filter((l) => !l.trim().startsWith("#"))
      .join("\n");
    for (const bashism of [
      "[[",
      "$'",
      "<<<",
      "local ",
      "function ",
      "declare ",
      "pipefail",
      "${!",
      "=~",
      "===",
    ]) {
      expect(script, bashism).not.toContain(bashism);
    }
    const topLevel = ACTION_SCRIPT_BODY.split("\n").filter(
      (l) =>
        l !== "" &&
        !l.startsWith(" ") &&
        !l.startsWith("#") &&
        !l.startsWith("}") &&
        !/^pgr_\w+\(\) \{/.test(l),
    );
    expect(topLevel).toEqual(["pgr_main </dev/null"]);
    expect(ACTION_SCRIPT_BODY).toContain("LC_ALL=C\n  LANG=C\n  export LC_ALL LANG");
    expect(ACTION_SCRIPT_BODY).toMatch(/^pgr_main\(\) \{\n {2}pgr_init_env PGHOST /m);
  });

  it("renders the parameters of lib.sh and action.sh, the exit codes of ACTION_EXIT among them, before the plan", () => {
    const { script } = buildActionScript(spec({ tools: ["ipcs", "ipcs"] }));
    const prelude = script.slice(0, script.indexOf("pgr_verify() {"));
    expect(prelude.split("\n").filter((l) => l.startsWith("PGR_"))).toEqual([
      "PGR_ACTION_VERSION=1",
      "PGR_RUNG=3",
      "PGR_PGDATA='/srv/pg data/main'",
      "PGR_PGDATA_REAL='/srv/pg data/main'",
      "PGR_UID=101",
      "PGR_AS_OWNER=0",
      "PGR_TOOLS='ipcs'",
      "PGR_M='@@pgrescue:'",
      "PGR_TOOL_TIMEOUT=10",
      "PGR_ISREADY_TIMEOUT=5",
      "PGR_LOG_TAIL_LINES=20",
      ...Object.entries(ACTION_EXIT).map(
        ([name, code]) => `PGR_EXIT_${name.toUpperCase()}=${String(code)}`,
      ),
    ]);
    // Every finish of action.sh goes through those variables: no exit code is written in the shell.
    const finishes = [...ACTION_SCRIPT_BODY.matchAll(/pgr_finish ("\S+") (\w+)/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(new Set(finishes.map(([, status]) => status))).toEqual(
      new Set(Object.keys(ACTION_EXIT)),
    );
    for (const [code, status] of finishes) {
      expect(code).toBe(`"$PGR_EXIT_${(status ?? "").toUpperCase()}"`);
    }
  });

  it.each([
    [{ pgdata: "/x'; kill -9 1; echo '" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x$(reboot)" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x\nkill 1" }, "pgdata: contains a line break"],
    [{ pgdataReal: "relative" }, "pgdataReal: is not an absolute path"],
    [{ instanceUid: -1 }, "instance uid: is not an integer"],
  ])("refuses %j before any text exists", (overrides, message) => {
    expect(() => buildActionScript(spec(overrides))).toThrow(ShellValueError);
    expect(() => buildActionScript(spec(overrides))).toThrow(message);
  });

  it.each([
    ["a PID of 0", { ...BACKEND, pid: 0 }, "pid: is not a valid PID"],
    [
      "an exe with a quote",
      { ...BACKEND, exe: "/usr/bin/post'gres" },
      "exe: contains characters outside",
    ],
    [
      "an exe with a newline",
      { ...BACKEND, exe: "/usr/bin/postgres\nrm -rf /" },
      "exe: contains a line break",
    ],
    ["a role with a space", { ...BACKEND, role: "client backend" }, "role: is not a role word"],
    ["fractional start ticks", { ...BACKEND, startTicks: 1.5 }, "start ticks: is not an integer"],
  ])("refuses a target with %s", (_what, target, message) => {
    const bad = spec({ operations: [{ op: "signal", signal: "KILL", target }] });
    expect(() => buildActionScript(bad)).toThrow(message);
  });

  it.each([
    [
      "a /dev/shm path that is not PostgreSQL's",
      { op: "remove-dsm" as const, target: { path: "/dev/shm/other", ownerUid: 1 } },
      "dsm path",
    ],
    [
      "a /dev/shm path with ..",
      { op: "remove-dsm" as const, target: { path: "/dev/shm/PostgreSQL.1/../x", ownerUid: 1 } },
      "dsm path",
    ],
    [
      "a semid beyond int",
      { op: "ipcrm-sem" as const, target: { semid: 2 ** 31, key: 1, ownerUid: 1, creatorPid: 9 } },
      "semid",
    ],
    [
      "a stop timeout of 0",
      {
        op: "pg-ctl-stop" as const,
        pgCtl: "/bin/pg_ctl",
        mode: "fast" as const,
        timeoutSec: 0,
        postmaster: PM,
      },
      "stop timeout",
    ],
  ])("refuses an operation with %s", (_what, op, label) => {
    expect(() => buildActionScript(spec({ operations: [op] }))).toThrow(label);
  });
});

describe("buildActionScript through a supervisor", () => {
  const UNIT = "postgresql@15-main.service";
  const PATRONI = { url: "http://127.0.0.1:8008", pid: 47, startTicks: 518882, paused: false };

  it("renders systemctl and patronictl as literal pgr_do lines after their re-checks", () => {
    const { script, stateChangingCommands } = buildActionScript(
      spec({
        rung: 4,
        tools: ["sudo", "timeout"],
        operations: [
          {
            op: "systemctl",
            verb: "unmask",
            unit: UNIT,
            systemctl: "/usr/bin/systemctl",
            sudo: true,
            timeoutSec: 30,
            expect: { mainPid: 0, activeStates: ["failed"] },
            postmaster: null,
          },
          {
            op: "systemctl",
            verb: "stop",
            unit: UNIT,
            systemctl: "/usr/bin/systemctl",
            sudo: false,
            timeoutSec: null,
            expect: null,
            postmaster: PM,
          },
          {
            op: "patronictl",
            verb: "pause",
            patronictl: "/usr/bin/patronictl",
            config: "/etc/patroni/config.yml",
            timeoutSec: 60,
            patroni: PATRONI,
          },
          { op: "verify-unit", unit: UNIT },
          { op: "verify-patroni", url: PATRONI.url, limitSec: 30, paused: true },
        ],
      }),
    );
    expect(stateChangingCommands).toEqual([
      `timeout 30 sudo -n '/usr/bin/systemctl' unmask --runtime '${UNIT}'`,
      `'/usr/bin/systemctl' stop '${UNIT}'`,
      "timeout 60 '/usr/bin/patronictl' -c '/etc/patroni/config.yml' pause --wait",
    ]);
    expect(listStateChangingCommands(script)).toEqual(stateChangingCommands);
    const directives = extractActionDirectives(script);
    expect(directives).toContain(
      `  pgr_check_unit '${UNIT}' 0 failed || return 1\n  pgr_do timeout 30 sudo -n '/usr/bin/systemctl' unmask --runtime '${UNIT}' || return 1\n`,
    );
    expect(directives).toContain(
      `  pgr_check_proc postmaster 222 503585 101 '/usr/lib/postgresql/15/bin/postgres' || return 1\n  pgr_do '/usr/bin/systemctl' stop '${UNIT}' || return 1\n`,
    );
    expect(directives).toContain(
      "  pgr_check_patroni 'http://127.0.0.1:8008' 47 518882 0 || return 1\n  pgr_do timeout 60 '/usr/bin/patronictl'",
    );
    // The verify phase also asks sudo whether exactly that command is allowed (unable otherwise).
    expect(directives).toContain(
      `  pgr_check_sudo '/usr/bin/systemctl' unmask --runtime '${UNIT}'\n`,
    );
    expect(script.slice(script.indexOf(ACTION_SUPERVISOR_SCRIPT_BODY))).toBe(
      ACTION_SUPERVISOR_SCRIPT_BODY,
    );
    expect(script).toContain("PGR_SV_TIMEOUT=3\n");
  });

  it("scripts without a supervisor operation keep the plain body and prelude", () => {
    const { script } = buildActionScript(spec());
    expect(script.endsWith(ACTION_SCRIPT_BODY)).toBe(true);
    expect(script).not.toContain("PGR_SV_TIMEOUT");
  });

  it("the supervisor body names a command that changes a host only in pgr_describe and pgr_do, apart from the read-only forms", () => {
    let current = "(top level)";
    const functionsNaming = new Set<string>();
    for (const line of ACTION_SUPERVISOR_SCRIPT_BODY.split("\n")) {
      const start = /^(pgr_\w+)\(\) \{/.exec(line);
      if (start?.[1] !== undefined) current = start[1];
      if (linesWith(line).length > 0) functionsNaming.add(current);
      if (line === "}") current = "(top level)";
    }
    // systemctl show, sudo -n -l, and the GET of supervisor.sh (the read-only scanner's allowed forms), and the
    // messages of the unit checks, which name `systemctl show`.
    expect([...functionsNaming].sort()).toEqual([
      "pgr_check_sudo",
      "pgr_check_unit",
      "pgr_describe",
      "pgr_do",
      "pgr_http_client",
      "pgr_http_get",
      "pgr_unit_show",
      "pgr_verify_unit",
    ]);
  });

  type TSystemctlOp = Extract<TActionOp, { op: "systemctl" }>;
  const CHANGES: [string, Partial<TSystemctlOp>, string][] = [
    ["a unit name with a shell word", { unit: "x; rm -rf /" }, "unit"],
    ["a unit name starting with a dash", { unit: "-H.service" }, "unit"],
    ["a unit that is not a service", { unit: "postgresql@15-main.socket" }, "unit"],
    [
      "a state that is not a word",
      { expect: { mainPid: 1, activeStates: ["active; id"] } },
      "ActiveState",
    ],
    ["no expected state", { expect: { mainPid: 1, activeStates: [] } }, "ActiveState"],
    ["a relative systemctl", { systemctl: "systemctl" }, "not an absolute path"],
  ];
  it.each(CHANGES)("refuses a systemctl operation with %s", (_what, change, label) => {
    const op: TSystemctlOp = {
      op: "systemctl",
      verb: "stop",
      unit: UNIT,
      systemctl: "/usr/bin/systemctl",
      sudo: true,
      timeoutSec: 60,
      expect: null,
      postmaster: null,
      ...change,
    };
    expect(() => buildActionScript(spec({ operations: [op] }))).toThrow(ShellValueError);
    expect(() => buildActionScript(spec({ operations: [op] }))).toThrow(label);
  });

  it.each([
    "http://127.0.0.1:8008/config",
    "http://127.0.0.1:8008?x=1",
    "ftp://127.0.0.1:8008",
    "http://a b:8008",
  ])("refuses Patroni REST URL %j", (url) => {
    const op = { op: "verify-patroni" as const, url, limitSec: 10, paused: false };
    expect(() => buildActionScript(spec({ operations: [op] }))).toThrow("Patroni REST URL");
  });
});
