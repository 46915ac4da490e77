import { describe, expect, it } from "vitest";
import {
  MALFORMED,
  PROBE_FIXTURES,
  loadFixture,
  type TProbeFixture,
} from "../__fixtures__/probe-fixtures.ts";
import { extractActionDirectives, listStateChangingCommands } from "../actions/action-script.ts";
import { diagnose } from "../diagnosis/diagnose.ts";
import type { TSnapshot } from "../diagnosis/snapshot-schema.ts";
import { ShellValueError } from "../shell/quote.ts";
import { captureEvidence } from "./evidence.ts";
import { ZEvidence, ZLadderPlan, type TLadderPlan, type TLadderStep } from "./ladder-schema.ts";
import { buildPlanDigestInput } from "./approval-digest.ts";
import { chooseRung } from "./choose-rung.ts";
import { planLadder, type TLadderOptions } from "./plan-ladder.ts";

function snapshotOf(fixture: TProbeFixture): TSnapshot {
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

function planOf(name: string, extra: Partial<TLadderOptions> = {}): TLadderPlan {
  const fixture = loadFixture(name);
  return planLadder(snapshotOf(fixture), { pgdata: fixture.meta.pgdata, pgBin: null, ...extra });
}

function step(plan: TLadderPlan, rung: number): TLadderStep {
  const found = plan.steps.find((s) => s.rung === rung);
  if (!found) throw new Error(`no rung ${rung}`);
  return found;
}

/** "REC" recommended · "ok" can run · "fail" can run, expected to fail · "-" cannot run. */
function cells(plan: TLadderPlan): string {
  return plan.steps
    .map((s) => (s.recommended ? "REC" : s.applicable ? (s.expectedToFail ? "fail" : "ok") : "-"))
    .join(" ");
}

// What a DBA expects for each captured situation, rungs 0 1 2 3 4.
const EXPECTED_LADDERS: Record<string, string> = {
  healthy: "- ok ok ok -",
  "healthy-sessions": "- ok ok ok -",
  "healthy-bigkey": "- ok ok ok -",
  "two-instances": "- ok ok ok -",
  "two-instances-twin": "- ok ok ok -",
  "stopped-clean": "- - - - REC",
  zombies: "REC fail fail ok -",
  "zombies-env-de": "REC fail fail ok -",
  "zombies-locale-de": "REC fail fail ok -",
  "postmaster-stopped": "REC fail fail ok -",
  unresponsive: "- REC ok ok -",
  // SIGCONT to a stopped orphan is possible (it may then notice its postmaster died); kill is advised.
  "orphan-attached": "ok - - REC -",
  "orphans-busy": "ok - - REC -",
  "stale-pidfile": "- - - - REC",
  "stale-pidfile-rebooted": "- - - - REC",
  "crashed-bigkey": "- - - - REC",
  // Rung 3 can move the lock files aside on its own; rung 4 does it first anyway.
  "pid-reused": "- - - ok REC",
  "pid-reused-other-user": "- - - - REC",
  "pidfile-empty": "- - - ok REC",
  "pidfile-garbage": "- - - ok REC",
  "pidfile-removed": "- - - - REC",
  "legacy-semaphores": "- - - - REC",
  "wrong-user": "- - - - -",
};

const fixtures = [...PROBE_FIXTURES.values()];

describe("planLadder on every real capture", () => {
  it("has an expectation for every capture", () => {
    for (const f of fixtures) {
      expect(Object.keys(EXPECTED_LADDERS), f.name).toContain(f.name.replace(/\.pg\d+$/, ""));
    }
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))("%s", (name, fixture) => {
    const snapshot = snapshotOf(fixture);
    const plan = planLadder(snapshot, { pgdata: fixture.meta.pgdata, pgBin: null });

    it("offers the rungs a DBA expects, recommending exactly the diagnosis's rung", () => {
      expect(cells(plan)).toBe(EXPECTED_LADDERS[name.replace(/\.pg\d+$/, "")]);
      const recommended = plan.steps.filter((s) => s.recommended).map((s) => s.rung);
      expect(recommended).toEqual(
        snapshot.recommendation.rung === null ? [] : [snapshot.recommendation.rung],
      );
      expect(plan.recommendedRung).toBe(snapshot.recommendation.rung);
      expect(ZLadderPlan.parse(plan)).toEqual(plan);
    });

    it("keeps every step's fields consistent", () => {
      expect(plan.steps.map((s) => s.rung)).toEqual([0, 1, 2, 3, 4]);
      for (const s of plan.steps) {
        expect(s.applicable, `rung ${s.rung}`).toBe(s.script !== null);
        expect(s.invocation !== null).toBe(s.applicable);
        expect(s.destructive).toBe(s.rung >= 2);
        expect(s.requiresTypedConfirmation).toBe(s.rung >= 2);
        if (!s.applicable) {
          expect(s.blockedReason).toMatch(/\S/);
          expect(s.stateChangingCommands).toEqual([]);
          expect(s.expectedToFail).toBe(false);
          expect(s.evidenceToCapture).toBeNull();
        }
        if (s.expectedToFail) expect(s.blockedReason).toMatch(/\S/);
        if (s.applicable && s.rung >= 1) expect(s.evidenceToCapture).not.toBeNull();
        expect(s.why).toMatch(/\S/);
      }
    });

    it("touches only verified members and this instance's objects, never a zombie or a stranger", () => {
      const members = new Map(snapshot.members.map((m) => [m.pid, m]));
      const foreign = new Set(snapshot.foreignProcesses.map((p) => p.pid));
      for (const s of plan.steps.filter((x) => x.script !== null)) {
        const script = s.script ?? "";
        expect(listStateChangingCommands(script)).toEqual(s.stateChangingCommands);
        expect(s.displayCommands.slice(0, s.stateChangingCommands.length)).toEqual(
          s.stateChangingCommands,
        );
        for (const t of s.targets.processes) {
          const m = members.get(t.pid);
          expect(m, `PID ${t.pid}`).toBeDefined();
          expect(t.startTicks).toBe(m?.startTicks);
          expect(t.cwd).toBe(snapshot.instance.pgdataReal);
        }
        const targeted = new Set(s.targets.processes.map((t) => t.pid));
        for (const command of s.stateChangingCommands.filter((c) => c.startsWith("kill "))) {
          const pid = Number(command.split(" ")[2]);
          expect(targeted.has(pid), command).toBe(true);
          expect(foreign.has(pid), command).toBe(false);
          expect(
            snapshot.zombies.some((z) => z.pid === pid),
            command,
          ).toBe(false);
        }
        for (const t of s.targets.ipc) {
          const ours =
            t.kind === "dsm"
              ? snapshot.dsm.find((d) => d.path === t.path)?.removable
              : (t.kind === "shm" ? snapshot.ipc.shm : snapshot.ipc.sem).find(
                  (x) => ("shmid" in x ? x.shmid : x.semid) === t.id,
                )?.ours;
          expect(ours).toBe(true);
        }
      }
    });
  });
});

describe("exact scripts for representative cases", () => {
  it("zombies.pg15 rung 3: freeze the postmaster, kill children, then it; wait; let init reap", () => {
    const s = step(planOf("zombies.pg15"), 3);
    const pg = "'/usr/lib/postgresql/15/bin/postgres'";
    const proc = (role: string, pid: number, ticks: number) => `${role} ${pid} ${ticks} 101 ${pg}`;
    const children: [string, number, number][] = [
      ["checkpointer", 223, 503588],
      ["background-writer", 224, 503588],
      ["walwriter", 226, 503589],
      ["autovacuum-launcher", 227, 503589],
      ["logical-replication-launcher", 228, 503589],
      ["client-backend", 245, 503604],
    ];
    expect(extractActionDirectives(s.script ?? "")).toBe(
      [
        "pgr_verify() {",
        "  pgr_check_pgdata_procs 223 224 226 227 228 245 222",
        `  pgr_check_proc ${proc("postmaster", 222, 503585)}`,
        ...children.map(([r, p, t]) => `  pgr_check_proc ${proc(r, p, t)}`),
        "  return 0",
        "}",
        "",
        "pgr_act() {",
        `  pgr_check_proc ${proc("postmaster", 222, 503585)} || return 1`,
        "  pgr_do kill -STOP 222 || return 1",
        ...children.flatMap(([r, p, t]) => [
          `  pgr_check_proc ${proc(r, p, t)} || return 1`,
          `  pgr_do kill -KILL ${p} || return 1`,
        ]),
        `  pgr_check_proc ${proc("postmaster", 222, 503585)} || return 1`,
        "  pgr_do kill -KILL 222 || return 1",
        "  pgr_await_gone 10 223:503588 224:503588 226:503589 227:503589 228:503589 245:503604 222:503585",
        "  pgr_await_reaped 5 242:503603 244:503604 223:503588 224:503588 226:503589 227:503589 228:503589 245:503604 222:503585",
        "  pgr_report_pgdata_procs",
        "  pgr_no_survivors || return 0",
        "  return 0",
        "}",
        "",
      ].join("\n"),
    );
    expect(s.targets.zombies.map((z) => z.pid)).toEqual([242, 244]);
    expect(s.targets.processes.at(-1)).toMatchObject({ pid: 222, signals: ["SIGSTOP", "SIGKILL"] });
    expect(s.destroys[0]).toBe(
      "7 processes end at once: the in-flight transactions of 1 client backend are rolled back",
    );
    expect(s.script).toContain(
      "PGR_RUNG=3\nPGR_PGDATA='/work/main/.lab/probe-fixtures/instances/fx15/data'\nPGR_PGDATA_REAL='/work/main/.lab/probe-fixtures/instances/fx15/data'\nPGR_UID=101\nPGR_AS_OWNER=0\nPGR_TOOLS=''\n",
    );
  });

  it("zombies.pg15 rung 0: SIGCONT to the stopped postmaster, report pending signals, watch the zombies go", () => {
    const s = step(planOf("zombies.pg15"), 0);
    expect(extractActionDirectives(s.script ?? "")).toBe(
      [
        "pgr_verify() {",
        "  pgr_report_pending 222",
        "  pgr_check_proc postmaster 222 503585 101 '/usr/lib/postgresql/15/bin/postgres'",
        "  return 0",
        "}",
        "",
        "pgr_act() {",
        "  pgr_check_proc postmaster 222 503585 101 '/usr/lib/postgresql/15/bin/postgres' || return 1",
        "  pgr_do kill -CONT 222 || return 1",
        "  pgr_observe 1 222:503585",
        "  pgr_await_reaped 3 242:503603 244:503604",
        "  return 0",
        "}",
        "",
      ].join("\n"),
    );
    expect(s).toMatchObject({
      destructive: false,
      requiresTypedConfirmation: false,
      destroys: [],
      evidenceToCapture: null,
    });
  });

  it("unresponsive.pg15 rung 1: pg_ctl stop -m fast against the verified postmaster", () => {
    const s = step(planOf("unresponsive.pg15", { stopTimeoutSec: 30 }), 1);
    expect(s.displayCommands).toEqual([
      "'/usr/lib/postgresql/15/bin/pg_ctl' stop -D '/tmp/pgr/data/n15' -m fast -w -t 30",
    ]);
    expect(extractActionDirectives(s.script ?? "")).toContain(
      [
        "pgr_verify() {",
        "  pgr_check_tool '/usr/lib/postgresql/15/bin/pg_ctl'",
        "  pgr_check_proc postmaster 6 526731 101 '/usr/lib/postgresql/15/bin/postgres'",
        "  pgr_check_pidfile_pid 6",
        "  return 0",
        "}",
      ].join("\n"),
    );
    expect(s.script).toContain("PGR_AS_OWNER=1\n");
    expect(s.invocation).toEqual({ command: "/bin/sh -s", timeoutSec: 60 });
    expect(s.destructive).toBe(false);
  });

  it("pid-reused.pg15 rung 4: both lock files moved aside after re-verification, then start and verify", () => {
    const s = step(planOf("pid-reused.pg15", { logFile: "/var/log/pg/main.log" }), 4);
    const data = "/work/main/.lab/probe-fixtures/instances/fx15/data";
    const lock = "/work/main/.lab/probe-fixtures/instances/fx15/socket/.s.PGSQL.34221.lock";
    expect(s.stateChangingCommands).toEqual([
      `mv -- '${data}/postmaster.pid' '${data}/postmaster.pid.pgrescue-stale-1795467452'`,
      `mv -- '${lock}' '${lock}.pgrescue-stale-1795467452'`,
      `'/usr/lib/postgresql/15/bin/pg_ctl' start -D '${data}' -l '/var/log/pg/main.log' -w -t 60`,
    ]);
    const act = extractActionDirectives(s.script ?? "").split("pgr_act() {")[1] ?? "";
    expect(
      act
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== ""),
    ).toEqual([
      "pgr_check_pidfile present 1795467452 pid:593 || return 1",
      `pgr_check_absent '${data}/postmaster.pid.pgrescue-stale-1795467452' || return 1`,
      "pgr_check_pidfile_unowned 593 || return 1",
      "pgr_check_pgdata_procs || return 1",
      `pgr_do ${s.stateChangingCommands[0] ?? ""} || return 1`,
      `pgr_check_socket_lock '${lock}' 593 || return 1`,
      `if [ -f '${lock}' ]; then pgr_do ${s.stateChangingCommands[1] ?? ""} || return 1; fi`,
      "pgr_check_pgdata_procs || return 1",
      `pgr_do ${s.stateChangingCommands[2] ?? ""} || { pgr_log_tail '/var/log/pg/main.log'; return 1; }`,
      "pgr_verify_ready '/usr/lib/postgresql/15/bin/pg_isready' '/usr/lib/postgresql/15/bin/psql'",
      "return 0",
      "}",
    ]);
    expect(s.targets.files.map((f) => [f.kind, f.pid])).toEqual([
      ["pid-file", 593],
      ["socket-lock", 593],
    ]);
    expect(extractActionDirectives(s.script ?? "")).not.toMatch(/kill/);
  });

  it("pidfile-garbage.pg15 rung 4: a garbage lock file is pinned by its mtime only", () => {
    const s = step(planOf("pidfile-garbage.pg15"), 4);
    expect(s.script).toContain("  pgr_check_pidfile present 1795467592 any\n");
    expect(s.targets.files.map((f) => f.kind)).toEqual(["pid-file"]);
    expect(s.cautions.join(" ")).toContain("No server log file was given");
  });

  it("legacy-semaphores.pg18 rung 3: only on request, exactly this instance's two dead-creator sets", () => {
    const plain = planOf("legacy-semaphores.pg18");
    expect(step(plain, 3).applicable).toBe(false);
    expect(step(plain, 3).offers.map((o) => [o.option, o.target.id, o.included])).toEqual([
      ["semaphores", 8, false],
      ["semaphores", 9, false],
      ["sharedMemory", 35, false],
    ]);
    const s = step(planOf("legacy-semaphores.pg18", { cleanup: { semaphores: true } }), 3);
    expect(extractActionDirectives(s.script ?? "")).toBe(
      [
        "pgr_verify() {",
        "  pgr_check_pgdata_procs",
        "  pgr_check_sem 8 40849001 101 1993",
        "  pgr_check_sem 9 40849002 101 1993",
        "  return 0",
        "}",
        "",
        "pgr_act() {",
        "  pgr_check_sem 8 40849001 101 1993 || return 1",
        "  pgr_do ipcrm -s 8 || return 1",
        "  pgr_check_sem 9 40849002 101 1993 || return 1",
        "  pgr_do ipcrm -s 9 || return 1",
        "  return 0",
        "}",
        "",
      ].join("\n"),
    );
    expect(s.script).toContain("PGR_TOOLS='ipcs'\n");
  });

  it("offers ipcrm -m of a nattch-0 segment only with the warning, never by default", () => {
    const offer = step(planOf("stale-pidfile.pg15"), 3).offers;
    expect(offer).toHaveLength(1);
    expect(offer[0]).toMatchObject({
      option: "sharedMemory",
      included: false,
      includedByDefault: false,
    });
    expect(offer[0]?.warning).toContain("leak until reboot");
    const s = step(planOf("stale-pidfile.pg15", { cleanup: { sharedMemory: true } }), 3);
    expect(s.stateChangingCommands).toEqual(["ipcrm -m 9"]);
    expect(s.cautions.join(" ")).toContain("Normally unnecessary");
    expect(s.script).toContain("pgr_check_shm 9 ");
  });
});

describe("evidence the plan cannot ignore (edited real captures)", () => {
  function edited(name: string, edit: (s: TSnapshot) => TSnapshot): TLadderPlan {
    const fixture = loadFixture(name);
    return planLadder(edit(snapshotOf(fixture)), { pgdata: fixture.meta.pgdata, pgBin: null });
  }

  it("zombies.pg15 with the backend in D: rung 3 can run but is expected to leave it alive", () => {
    const plan = edited("zombies.pg15", (s) => ({
      ...s,
      members: s.members.map((m) =>
        m.pid === 245 ? { ...m, state: "D", wchan: "rpc_wait_bit_killable" } : m,
      ),
    }));
    const s = step(plan, 3);
    expect(s).toMatchObject({ applicable: true, expectedToFail: true });
    expect(s.blockedReason).toMatch(
      /245 \(uninterruptible sleep, D, wchan rpc_wait_bit_killable — .*NFS.*\): in uninterruptible sleep, SIGKILL takes effect only when the kernel call returns/,
    );
  });

  it("postmaster-stopped.pg15 with the postmaster traced (t): no first aid, stops expected to fail", () => {
    const plan = edited("postmaster-stopped.pg15", (s) => ({
      ...s,
      postmaster: { ...s.postmaster, state: "t" },
      members: s.members.map((m) => (m.isPostmaster ? { ...m, state: "t" } : m)),
      recommendation: { ...s.recommendation, rung: null },
    }));
    expect(step(plan, 0).blockedReason).toContain("tracer");
    expect(step(plan, 1)).toMatchObject({ applicable: true, expectedToFail: true });
  });

  it("legacy-semaphores.pg15 with ENOSPC in the log: removal is included by default and rung 4 alone would fail", () => {
    const fixture = loadFixture("legacy-semaphores.pg15");
    const text = fixture.text.replace(
      "@@pgrescue:section pg_control",
      "|2026-11-23 20:58:00.000 UTC [900] FATAL:  could not create semaphores: No space left on device\n@@pgrescue:section pg_control",
    );
    const snapshot = diagnose(text, { pgdata: fixture.meta.pgdata });
    expect(snapshot.recommendation.rung).toBe(3);
    const plan = planLadder(snapshot, { pgdata: fixture.meta.pgdata, pgBin: null });
    expect(cells(plan)).toBe("- - - REC fail");
    expect(step(plan, 3).stateChangingCommands).toEqual(["ipcrm -s 0", "ipcrm -s 1"]);
    expect(step(plan, 4).blockedReason).toContain("semaphore limits are exhausted");
  });

  it("a member whose executable path cannot be quoted safely is left alone and reported", () => {
    const plan = edited("orphans-busy.pg15", (s) => ({
      ...s,
      members: s.members.map((m) =>
        m.pid === 25 ? { ...m, exe: "/tmp/x'$(reboot)/postgres" } : m,
      ),
    }));
    const s = step(plan, 3);
    expect(s.stateChangingCommands).toEqual(["kill -KILL 18"]);
    expect(s.untargeted).toEqual([
      { pid: 25, reason: expect.stringContaining("cannot be put into a script safely") as string },
    ]);
    expect(s.expectedToFail).toBe(true);
    expect(s.script).not.toContain("reboot");
  });

  it("a hostile socket directory in postmaster.pid is never put into a script", () => {
    const plan = edited("pid-reused.pg15", (s) => ({
      ...s,
      pidFile: { ...s.pidFile, socketDir: "/tmp/s'$(id)" },
    }));
    const s = step(plan, 4);
    expect(s.targets.files.map((f) => f.kind)).toEqual(["pid-file"]);
    expect(s.script).not.toContain("$(id)");
  });

  it("a hostile resolved data directory blocks every rung", () => {
    const plan = edited("zombies.pg15", (s) => ({
      ...s,
      instance: { ...s.instance, pgdataReal: "/data\n/x" },
    }));
    expect(cells(plan)).toBe("- - - - -");
    expect(plan.warnings[0]).toContain("cannot be put into a script safely");
  });
});

describe("inputs that never reach a script", () => {
  const snapshot = snapshotOf(loadFixture("zombies.pg15"));
  const pgdata = loadFixture("zombies.pg15").meta.pgdata;

  it.each([
    [{ pgdata: "/x'; kill -9 1; echo '" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x$(reboot)" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x\nkill 1" }, "pgdata: contains a line break"],
    [{ pgdata, pgBin: "bin" }, "pgBin: is not an absolute path"],
    [
      { pgdata, pgBin: "/usr/lib/postgresql/15/bin'; reboot; '" },
      "pgBin: contains characters outside",
    ],
    [{ pgdata, logFile: "/a/../../etc/shadow" }, "logFile: contains a '.' or '..' segment"],
    [{ pgdata, stopTimeoutSec: 0 }, "stopTimeoutSec: is not a number of seconds"],
    [{ pgdata, startTimeoutSec: 1.5 }, "startTimeoutSec: is not a number of seconds"],
    [{ pgdata, killWaitSec: Number.NaN }, "killWaitSec: is not a number of seconds"],
  ])("%j → ShellValueError", (options, message) => {
    const run = () => planLadder(snapshot, { pgBin: null, ...options });
    expect(run).toThrow(ShellValueError);
    expect(run).toThrow(message);
  });

  it("a diagnosis of another data directory, or a truncated one, plans nothing", () => {
    const other = planLadder(snapshot, { pgdata: "/var/lib/postgresql/15/main", pgBin: null });
    expect(cells(other)).toBe("- - - - -");
    expect(other.warnings[0]).toContain("This diagnosis is of");
    for (const [name, text] of MALFORMED) {
      if (name === "noisy-login-crlf") continue;
      const truncated = planLadder(diagnose(text, { pgdata }), { pgdata, pgBin: null });
      expect(cells(truncated), name).toBe("- - - - -");
    }
  });

  it("takes pg_ctl from pgBin, else from where the probe found pg_controldata, else pg_isready", () => {
    expect(planOf("zombies.pg15", { pgBin: "/opt/pg/bin" })).toMatchObject({
      pgBin: "/opt/pg/bin",
      pgBinSource: "option",
    });
    expect(planOf("zombies.pg15")).toMatchObject({
      pgBin: "/usr/lib/postgresql/15/bin",
      pgBinSource: "pg_controldata",
    });
    const pg18 = planOf("healthy-bigkey.pg18");
    expect(pg18).toMatchObject({ pgBin: "/usr/bin", pgBinSource: "pg_isready" });
    expect(pg18.warnings[0]).toContain("pass the server's bin directory");
  });
});

describe("chooseRung", () => {
  const plan = planOf("zombies.pg15");

  it("follows the recommendation, or skips it with a reason the caller records", () => {
    expect(chooseRung(plan, 0)).toMatchObject({
      ok: true,
      followsRecommendation: true,
      reasonRequired: false,
      skipped: [],
    });
    expect(chooseRung(plan, 3)).toMatchObject({
      ok: true,
      followsRecommendation: false,
      reasonRequired: true,
      skipped: [0, 1, 2],
      warning: null,
    });
    const fast = chooseRung(plan, 1);
    expect(fast).toMatchObject({ ok: true, reasonRequired: true });
    expect(fast.ok && fast.warning).toContain("stopped (T)");
  });

  it("refuses a rung that cannot run, with the reason", () => {
    expect(chooseRung(plan, 4)).toEqual({
      ok: false,
      refusal: {
        code: "not-applicable",
        rung: 4,
        reason: "The instance is running (postmaster 222): there is nothing to start.",
      },
    });
    expect(chooseRung(plan, 5)).toMatchObject({ ok: false, refusal: { code: "no-such-rung" } });
  });

  it("without a recommendation (healthy) every choice needs a reason", () => {
    expect(chooseRung(planOf("healthy.pg15"), 1)).toMatchObject({
      ok: true,
      reasonRequired: true,
      skipped: [],
    });
  });
});

describe("buildPlanDigestInput", () => {
  it("binds rung, exact script and the diagnosis's material facts; hashing happens outside core", () => {
    const plan = planOf("zombies.pg15");
    const input = buildPlanDigestInput(plan, 3);
    expect(buildPlanDigestInput(planOf("zombies.pg15"), 3)).toBe(input);
    const parsed = JSON.parse(input) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([
      "kind",
      "materialFacts",
      "pgdata",
      "rung",
      "script",
      "version",
    ]);
    expect(parsed.script).toBe(step(plan, 3).script);
    expect(parsed.materialFacts).toBe(plan.materialFacts);
    expect(buildPlanDigestInput(plan, 0)).not.toBe(input);
  });

  it("changes when the script changes or the facts change, and only then", () => {
    const plan = planOf("zombies.pg15");
    const slower = planOf("zombies.pg15", { stopTimeoutSec: 120 });
    expect(buildPlanDigestInput(slower, 1)).not.toBe(buildPlanDigestInput(plan, 1));
    expect(buildPlanDigestInput(slower, 3)).toBe(buildPlanDigestInput(plan, 3));
    const fixture = loadFixture("zombies.pg15");
    const s = snapshotOf(fixture);
    const drifted = planLadder(
      { ...s, zombies: s.zombies.slice(1) },
      { pgdata: fixture.meta.pgdata, pgBin: null },
    );
    expect(buildPlanDigestInput(drifted, 0)).not.toBe(buildPlanDigestInput(plan, 0));
  });

  it("refuses a rung without a script", () => {
    expect(() => buildPlanDigestInput(planOf("zombies.pg15"), 4)).toThrow("rung 4 has no script");
  });
});

describe("captureEvidence", () => {
  it("keeps what a stop or kill destroys: states, wait channels, zombies, IPC, log tail, cluster state", () => {
    const snapshot = snapshotOf(loadFixture("zombies.pg15"));
    const evidence = captureEvidence(snapshot);
    expect(ZEvidence.parse(JSON.parse(JSON.stringify(evidence)))).toEqual(evidence);
    expect(evidence.postmaster).toMatchObject({
      pid: 222,
      state: "T",
      wchan: "do_signal_stop",
      genuine: true,
    });
    expect(evidence.processes.find((p) => p.pid === 245)).toMatchObject({
      role: "client backend",
      wchan: "do_epoll_wait",
    });
    expect(evidence.zombies.map((z) => z.pid)).toEqual([242, 244]);
    expect(evidence.ipc.shm.find((s) => s.ours)).toMatchObject({ shmid: 7, nattch: 7 });
    expect(evidence.log.tail).toEqual(snapshot.log.tail);
    expect(evidence.controlData.clusterState).toBe("in production");
    expect(evidence.pgIsReady.meaning).toBe("no-response");
    expect(step(planOf("zombies.pg15"), 3).evidenceToCapture).toEqual(evidence);
  });
});
