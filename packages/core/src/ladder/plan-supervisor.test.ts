import { describe, expect, it } from "vitest";
import { loadSupervisedFixture } from "../__fixtures__/supervised-fixtures.ts";
import { extractActionDirectives, listStateChangingCommands } from "../actions/action-script.ts";
import { diagnose } from "../diagnosis/diagnose.ts";
import type { TSnapshot } from "../diagnosis/snapshot-schema.ts";
import type { TLadderPlan } from "./ladder-schema.ts";
import { planLadder } from "./plan-ladder.ts";

const BIN = "/usr/lib/postgresql/15/bin";

function snapshotOf(name: string): TSnapshot {
  const fixture = loadSupervisedFixture(name);
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

function planOf(snapshot: TSnapshot): TLadderPlan {
  return planLadder(snapshot, {
    pgdata: snapshot.instance.pgdata,
    pgBin: BIN,
    logFile: snapshot.instance.pgdata.replace(/data$/, "server.log"),
    stopTimeoutSec: 60,
    startTimeoutSec: 60,
  });
}

const plan = (name: string): TLadderPlan => planOf(snapshotOf(name));

function step(p: TLadderPlan, rung: number) {
  const found = p.steps.find((s) => s.rung === rung);
  if (found === undefined) throw new Error(`no rung ${String(rung)}`);
  return found;
}

const UNIT = "'postgresql@15-main.service'";
const CTL = "sudo -n '/usr/bin/systemctl'";

describe("the ladder under a systemd unit", () => {
  it("rung 1 stops through systemd, re-checking the unit's MainPID and the postmaster right before", () => {
    const p = plan("systemd-debian-always-zombies");
    const s = step(p, 1);
    expect(s.title).toBe("Fast stop through systemd (systemctl stop postgresql@15-main.service)");
    expect(s.stateChangingCommands).toEqual([`timeout 60 ${CTL} stop ${UNIT}`]);
    expect(s.targets.processes.map((t) => t.signals)).toEqual([["systemctl stop"]]);
    const directives = extractActionDirectives(s.script ?? "");
    const pm = p.steps[0]?.targets.processes[0]?.pid ?? 0;
    expect(directives).toContain(`pgr_check_unit ${UNIT} ${String(pm)} active || return 1\n`);
    expect(directives).toMatch(
      /pgr_check_proc postmaster \d+ \d+ 101 '[^']+\/postgres' \|\| return 1\n {2}pgr_check_unit/,
    );
    expect(directives).toContain(`pgr_check_sudo '/usr/bin/systemctl' stop ${UNIT}\n`);
    // Predicted with the unit's own stop and systemd's TimeoutStopSec, and the stop job that outlives a timeout.
    expect(s.expectedOutcome).toContain(
      "its ExecStop (/usr/bin/pg_ctlcluster --skip-systemctl-redirect -m fast 15-main stop)",
    );
    expect(s.expectedOutcome).toContain(
      "systemd itself waits up to TimeoutStopSec (1h); this step gives up after 60 s",
    );
    expect(s.expectedToFail).toBe(true);
  });

  it("rungs 2 and 3 mask the Restart=always unit for this boot before the stop or the kills", () => {
    const p = plan("systemd-debian-always-zombies");
    for (const rung of [2, 3]) {
      const s = step(p, rung);
      expect(s.stateChangingCommands[0]).toBe(`timeout 30 ${CTL} mask --runtime ${UNIT}`);
      expect(s.expectedOutcome).toMatch(
        /^First postgresql@15-main\.service is masked for this boot/,
      );
      expect(s.destroys.at(-1)).toMatch(/cannot be started until rung 4/);
    }
    expect(step(p, 3).stateChangingCommands.slice(1, 2)).toEqual([
      expect.stringMatching(/^kill -STOP \d+$/),
    ]);
    // The commands in the script are exactly the listed ones, in order.
    for (const s of p.steps)
      if (s.script !== null)
        expect(listStateChangingCommands(s.script)).toEqual(s.stateChangingCommands);
  });

  it("rung 4 starts through the unit (unmasking the ladder's hold first) and verifies MainPID = postmaster.pid", () => {
    const s = step(plan("systemd-debian-masked-crashed"), 4);
    expect(s.recommended).toBe(true);
    expect(s.stateChangingCommands).toEqual([
      `timeout 30 ${CTL} unmask --runtime ${UNIT}`,
      `timeout 30 ${CTL} reset-failed ${UNIT}`,
      `timeout 60 ${CTL} start ${UNIT}`,
    ]);
    const directives = extractActionDirectives(s.script ?? "");
    expect(directives).toContain(`pgr_check_unit ${UNIT} 0 failed || return 1\n`);
    expect(directives).toContain(`pgr_verify_unit ${UNIT}\n`);
    expect(directives).not.toContain("pg_ctl");
  });

  it("a unit without Restart=: no mask; the kills are predicted with the unit's own reaction", () => {
    const s = step(plan("systemd-debian-outside-unit"), 3);
    expect(s.stateChangingCommands.some((c) => c.includes("mask"))).toBe(false);
    expect(s.cautions).toEqual([]);
  });

  it("a postmaster outside its unit is stopped with pg_ctl (the unit does not track it), then started through the unit", () => {
    const p = plan("systemd-debian-outside-unit");
    expect(step(p, 1).stateChangingCommands).toEqual([
      expect.stringMatching(
        /^'\/usr\/lib\/postgresql\/15\/bin\/pg_ctl' stop -D '.+' -m fast -w -t 60$/,
      ),
    ]);
    expect(step(p, 1).cautions).toContain(
      "The postmaster runs outside postgresql@15-plain.service (failed): pg_ctl stops it directly. Start it through the unit afterwards (rung 4), so that systemd knows it again.",
    );
  });

  it("without sudo for the unit: not runnable by the console, with the exact commands for someone with root", () => {
    const p = plan("systemd-pgdg-stale-pidfile");
    const s = step(p, 4);
    expect(s.applicable).toBe(false);
    expect(s.script).toBeNull();
    expect(s.manualCommands).toEqual([
      "systemctl reset-failed postgresql-15-pgdg.service",
      "systemctl start postgresql-15-pgdg.service",
    ]);
    expect(s.blockedReason).toMatch(
      /Not runnable by the console — for someone with root: systemctl reset-failed postgresql-15-pgdg\.service; systemctl start postgresql-15-pgdg\.service\.$/,
    );
    expect(p.warnings).toEqual([
      expect.stringMatching(/^The diagnosis recommends rung 4, but it cannot run/),
    ]);
  });

  it("rung 0 is not changed by systemd, but says what Restart=always does if the postmaster exits", () => {
    const s = step(plan("systemd-debian-always-zombies"), 0);
    expect(s.stateChangingCommands).toEqual([expect.stringMatching(/^kill -CONT \d+$/)]);
    expect(s.cautions).toContain(
      "Restart=always: if the postmaster shuts down once resumed (a stop signal was pending), postgresql@15-main.service starts it again by itself.",
    );
  });
});

describe("the ladder under Patroni", () => {
  it("active and unpaused: rung 0 is the pause (its own approved step); every direct rung is refused", () => {
    const p = plan("patroni-zombies");
    const pause = step(p, 0);
    expect(pause).toMatchObject({
      title: "Maintenance mode: pause Patroni (patronictl pause)",
      applicable: true,
      recommended: true,
      destructive: false,
    });
    expect(pause.stateChangingCommands).toEqual([
      expect.stringMatching(
        /^timeout 60 '\/usr\/bin\/patronictl' -c '.+\/patroni\.yml' pause --wait$/,
      ),
    ]);
    expect(extractActionDirectives(pause.script ?? "")).toMatch(
      /pgr_check_patroni 'http:\/\/127\.0\.0\.1:\d+' \d+ \d+ 0 \|\| return 1\n {2}pgr_do timeout 60/,
    );
    for (const rung of [1, 2, 3, 4]) {
      expect(step(p, rung).applicable).toBe(false);
      expect(step(p, rung).blockedReason).toMatch(
        /^Patroni manages this instance and is not paused/,
      );
    }
  });

  it("paused: direct rungs run, after re-checking that Patroni is still paused", () => {
    const p = plan("patroni-healthy-paused");
    const kill = step(p, 3);
    expect(kill.applicable).toBe(true);
    expect(extractActionDirectives(kill.script ?? "")).toMatch(
      /^pgr_verify\(\) \{\n(.*\n)* {2}pgr_check_patroni 'http:\/\/127\.0\.0\.1:\d+' \d+ \d+ 1\n/,
    );
  });

  it("healthy but paused: rung 4 hands the instance back (resume), nothing else", () => {
    const s = step(plan("patroni-healthy-paused"), 4);
    expect(s.title).toBe("Hand the instance back: resume Patroni (patronictl resume)");
    expect(s.recommended).toBe(true);
    expect(s.stateChangingCommands).toEqual([expect.stringMatching(/ resume --wait$/)]);
    expect(extractActionDirectives(s.script ?? "")).toMatch(
      /pgr_verify_patroni 'http:\/\/127\.0\.0\.1:\d+' 50 0\n/,
    );
  });

  it("paused and crashed: rung 4 never runs pg_ctl start; it resumes Patroni and waits for the server it starts", () => {
    const s = step(plan("patroni-stale-pidfile-paused"), 4);
    expect(s.title).toBe("Resume Patroni: it starts PostgreSQL; then verify");
    expect(s.stateChangingCommands).toEqual([expect.stringMatching(/ resume --wait$/)]);
    const directives = extractActionDirectives(s.script ?? "");
    expect(directives).not.toContain("pg_ctl");
    expect(directives).toMatch(
      /pgr_await_ready 80 '\/usr\/lib\/postgresql\/15\/bin\/pg_isready' \|\| \{ pgr_log_tail '[^']+\/server\.log'; return 1; \}\n/,
    );
    expect(directives).toMatch(/pgr_verify_ready .*\n {2}pgr_verify_patroni '[^']+' 50 0\n/);
  });

  it("a Patroni whose REST API does not answer: nothing runs, and the plan says what to look at", () => {
    const p = plan("patroni-rest-down");
    for (const s of p.steps) {
      expect(s.applicable).toBe(false);
      expect(s.manualCommands).toEqual([
        expect.stringMatching(/^patronictl -c .+\/patroni\.yml list$/),
      ]);
      expect(s.blockedReason).toContain("Not runnable by the console — look by hand:");
    }
  });
});

describe("the ladder in a container", () => {
  it("a container whose PID 1 reaps (tini): the start is allowed, adopted by PID 1, and said so", () => {
    const snapshot = snapshotOf("tini-healthy");
    const kill = step(planOf(snapshot), 3);
    expect(kill.applicable).toBe(true);
    expect(kill.cautions).toContain(
      "The postmaster's parent is the container's PID 1 (tini): it may be the container's main process. When the main process exits the container stops, and whether it comes back is the runtime's restart policy (docker/podman --restart, Kubernetes restartPolicy), which is not visible from inside this docker container.",
    );
  });

  // The lab cannot make the postmaster a container's PID 1, nor a container without an init: these edit a real
  // capture's supervisor facts to reach those states.
  function edited(
    container: Partial<NonNullable<TSnapshot["supervisor"]["container"]>>,
  ): TSnapshot {
    const snapshot = snapshotOf("tini-healthy");
    const current = snapshot.supervisor.container;
    if (current === null) throw new Error("no container");
    return {
      ...snapshot,
      supervisor: { ...snapshot.supervisor, container: { ...current, ...container } },
    };
  }

  it("edited capture: the postmaster as the container's PID 1 cannot be killed from inside — rung 3 is refused", () => {
    const s = step(planOf(edited({ postmasterIsPid1: true })), 3);
    expect(s.applicable).toBe(false);
    expect(s.blockedReason).toMatch(
      /the kernel ignores SIGKILL and SIGSTOP sent to it from inside/,
    );
  });

  it("edited capture: a container whose PID 1 is not an init refuses a start that would not belong to it", () => {
    const crashed = snapshotOf("tini-stale-pidfile");
    expect(step(planOf(crashed), 4)).toMatchObject({ applicable: true, recommended: true });
    const container = crashed.supervisor.container;
    if (container === null) throw new Error("no container");
    const edited: TSnapshot = {
      ...crashed,
      supervisor: {
        ...crashed.supervisor,
        container: { ...container, pid1: "sleep", pid1Reaps: false },
      },
    };
    const s = step(planOf(edited), 4);
    expect(s.applicable).toBe(false);
    expect(s.blockedReason).toMatch(/^This is a container whose PID 1 \(sleep\) is not an init/);
  });
});
