import { describe, expect, it } from "vitest";
import {
  MALFORMED,
  PROBE_FIXTURES,
  loadFixture,
  type TProbeFixture,
} from "../__fixtures__/probe-fixtures.ts";
import { expectSnapshotMatchesLab, LAB_EXPECTATIONS } from "../testing/lab-expectations.ts";
import { diagnose } from "./diagnose.ts";
import { ZSnapshot, type TSnapshot } from "./snapshot-schema.ts";

function run(fixture: TProbeFixture): TSnapshot {
  return diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
}

function byName(name: string): TSnapshot {
  return run(loadFixture(name));
}

const labFixtures = [...PROBE_FIXTURES.values()].filter((f) => f.meta.scenario !== null);

describe("diagnose on real lab captures, checked against the lab's own reading of the host", () => {
  it("covers every lab scenario on PostgreSQL 15 and 18", () => {
    const names = labFixtures.map((f) => f.name);
    for (const scenario of Object.keys(LAB_EXPECTATIONS)) {
      expect(names).toContain(`${scenario}.pg15`);
      expect(names).toContain(`${scenario}.pg18`);
    }
  });

  describe.each(labFixtures.map((f) => [f.name, f] as const))("%s", (name, fixture) => {
    const snapshot = run(fixture);
    const lab = fixture.meta.scenario;
    if (lab === null) throw new Error("lab fixture without scenario");
    const isTwin = name.startsWith("two-instances-twin");

    it("gives the verdict and rung a DBA would", () => {
      const expected = LAB_EXPECTATIONS[name.replace(/\.pg\d+$/, "")];
      expect({ verdict: snapshot.verdict.code, rung: snapshot.recommendation.rung }).toEqual(
        expected,
      );
      expect(snapshot.verdict.evidence.length).toBeGreaterThan(1);
      expect(snapshot.recommendation.reason).not.toBe("");
    });

    it("agrees with the lab on the postmaster, zombies, orphans, members and IPC ownership", () => {
      expectSnapshotMatchesLab(snapshot, lab, { isTwin });
    });

    it("is a valid, JSON-serializable Snapshot", () => {
      expect(ZSnapshot.parse(snapshot)).toEqual(snapshot);
      expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    });
  });
});

describe("diagnose on real captures of the ad-hoc harness", () => {
  it("healthy with sessions: three client backends, all children of the postmaster, all attached", () => {
    for (const name of ["healthy-sessions.pg15", "healthy-sessions.pg18"]) {
      const s = byName(name);
      expect(s.verdict.code).toBe("healthy");
      const clients = s.members.filter((m) => m.role === "client backend");
      expect(clients).toHaveLength(3);
      expect(clients.every((m) => m.ppid === s.postmaster.pid && !m.orphan && m.attachedShm)).toBe(
        true,
      );
      expect(s.connectivity.pgIsReady).toMatchObject({ exitCode: 0, meaning: "accepting" });
      expect(s.dsm.filter((d) => d.ours).length).toBeGreaterThan(0);
      expect(s.dsm.every((d) => !d.removable)).toBe(true);
    }
  });

  it("postmaster stopped without zombies: rung 0, SIGCONT first", () => {
    for (const name of ["postmaster-stopped.pg15", "postmaster-stopped.pg18"]) {
      const s = byName(name);
      expect(s.verdict.code).toBe("postmaster-stopped");
      expect(s.recommendation.rung).toBe(0);
      expect(s.recommendation.reason).toContain(
        `Postmaster ${String(s.postmaster.pid)} is stopped (T, wchan do_signal_stop`,
      );
      expect(s.recommendation.reason).toContain("SIGCONT");
      expect(s.zombies).toEqual([]);
      expect(s.connectivity.pgIsReady.meaning).toBe("no-response");
    }
  });

  it("orphans, one stopped (T) and one busy (R), keep the segment attached: rung 3", () => {
    for (const name of ["orphans-busy.pg15", "orphans-busy.pg18"]) {
      const s = byName(name);
      expect(s.verdict.code).toBe("orphans-attached");
      expect(s.recommendation.rung).toBe(3);
      expect(s.postmaster.state).toBe("absent");
      expect(s.members.map((m) => [m.state, m.role, m.orphan, m.attachedShm, m.ppid])).toEqual([
        ["T", "client backend", true, true, 1],
        ["R", "client backend", true, true, 1],
      ]);
      expect(s.ipc.shm.filter((x) => x.ours).map((x) => x.nattch)).toEqual([2]);
    }
  });

  it("stale pid file after a reboot: nothing left but the file", () => {
    for (const name of ["stale-pidfile-rebooted.pg15", "stale-pidfile-rebooted.pg18"]) {
      const s = byName(name);
      expect(s.verdict.code).toBe("stale-pidfile");
      expect(s.recommendation.rung).toBe(4);
      expect(s.ipc.shm).toEqual([]);
      expect(s.recommendation.cautions).toEqual([]);
    }
  });

  it("pid file removed by hand after a crash: the inode-keyed segment is a likely leftover (shm-leftover)", () => {
    for (const name of ["pidfile-removed.pg15", "pidfile-removed.pg18"]) {
      const s = byName(name);
      expect(s.pidFile.exists).toBe("no");
      expect(s.verdict.code).toBe("shm-leftover");
      expect(s.recommendation.rung).toBe(4);
      expect(s.recommendation.cautions[0]).toContain("Do not ipcrm");
      // Nothing proves it without postmaster.pid, so it is not marked ours.
      expect(s.ipc.shm.map((x) => x.ours)).toEqual([false]);
      expect(s.ipc.shm[0]?.reason).toContain("derives from this data directory's inode");
      // PostgreSQL cleans the DSM files through that segment at start: not for the operator to remove.
      expect(s.dsm.length).toBeGreaterThan(0);
      expect(s.dsm.every((d) => !d.removable && !d.ours && d.mappedBy.length === 0)).toBe(true);
    }
  });

  it("empty and garbage pid files: stale, moved aside before start", () => {
    for (const name of [
      "pidfile-empty.pg15",
      "pidfile-empty.pg18",
      "pidfile-garbage.pg15",
      "pidfile-garbage.pg18",
    ]) {
      const s = byName(name);
      expect(s.verdict.code, name).toBe("stale-pidfile");
      expect(s.recommendation.rung).toBe(4);
      expect(s.recommendation.cautions).toContain(
        "Move postmaster.pid aside before starting (no live postmaster owns it).",
      );
      expect(s.pidFile.errors.length).toBeGreaterThan(0);
    }
  });

  it("PID reused by another user's process: exe and cwd unreadable, start goes ahead", () => {
    const s = byName("pid-reused-other-user.pg15");
    expect(s.verdict.code).toBe("pid-reused");
    expect(s.postmaster).toMatchObject({ pid: 7, uid: 0, genuine: false, exe: null, cwd: null });
    expect(s.recommendation.reason).toContain("belongs to another OS user");
    expect(s.recommendation.cautions).toContain("Never signal PID 7: it is not PostgreSQL's.");
  });

  it("PID reused by the instance's own user: move the pid file aside first", () => {
    const s = byName("pid-reused.pg15");
    expect(s.recommendation.reason).toContain('lock file "postmaster.pid" already exists');
  });

  it("postmaster blocked writing its stderr pipe: unresponsive, with the wait channel explained", () => {
    const s = byName("unresponsive.pg15");
    expect(s.verdict.code).toBe("unresponsive");
    expect(s.recommendation.rung).toBe(1);
    expect(s.postmaster).toMatchObject({ state: "S", wchan: "anon_pipe_write", genuine: true });
    expect(s.recommendation.reason).toContain("blocked writing to a full pipe");
    expect(s.connectivity.pgIsReady.meaning).toBe("no-response");
    expect(s.warnings).toContain(
      "the server log file does not exist (pass the instance's log file)",
    );
  });

  it("German server and environment: same facts, German log tail kept verbatim", () => {
    const s = byName("zombies-locale-de.pg15");
    expect(s.verdict.code).toBe("zombies-unreaped");
    expect(s.zombies).toHaveLength(2);
    expect(s.controlData).toMatchObject({
      source: "pg_controldata",
      clusterState: "in production",
    });
    expect(
      s.log.tail.some((l) => l.includes("Datenbanksystem ist bereit, um Verbindungen anzunehmen")),
    ).toBe(true);
  });

  it("probing as the wrong user gives unknown, never a guess", () => {
    const s = byName("wrong-user.pg15");
    expect(s.verdict.code).toBe("unknown");
    expect(s.recommendation.rung).toBeNull();
    expect(s.recommendation.reason).toBe(
      "The probe ran as uid 65534 and cannot look into PGDATA: run it as the instance owner (uid 101).",
    );
    expect(s.members).toEqual([]);
  });

  it("20-digit key from a data directory inode ≥ 2^31 (real XFS): the segment is still recognised", () => {
    for (const major of [15, 18]) {
      const healthy = byName(`healthy-bigkey.pg${String(major)}`);
      expect(healthy.verdict.code).toBe("healthy");
      expect(healthy.instance.pgdataReal).not.toBe(healthy.instance.pgdata);
      expect(healthy.pidFile.shmKeyRaw).toMatch(/^\d{20}$/);
      expect(healthy.ipc.shm.filter((x) => x.ours).map((x) => x.keyHex)).toEqual([
        healthy.pidFile.shmKeyHex,
      ]);
      expect(healthy.members.every((m) => m.attachedShm)).toBe(true);
      const crashed = byName(`crashed-bigkey.pg${String(major)}`);
      expect(crashed.verdict.code).toBe("stale-pidfile");
      expect(crashed.ipc.shm.filter((x) => x.ours).map((x) => [x.key, x.nattch])).toEqual([
        [crashed.pidFile.shmKey, 0],
      ]);
    }
  });

  it("healthy PostgreSQL 18 reads its cluster state from pg_control without pg_controldata", () => {
    const s = byName("healthy.pg18");
    expect(s.controlData).toMatchObject({
      source: "pg_control",
      clusterState: "in production",
      pgControlVersion: 1800,
    });
  });
});

describe("diagnose on malformed output", () => {
  const clean = byName("zombies.pg15");

  it("output cut inside the process list: unknown, no rung", () => {
    const s = diagnose(MALFORMED.get("truncated-in-procs") ?? "", {
      pgdata: loadFixture("zombies.pg15").meta.pgdata,
    });
    expect(s.verdict.code).toBe("unknown");
    expect(s.recommendation.rung).toBeNull();
    expect(s.verdict.evidence).toContain("section procs is truncated");
    expect(s.verdict.evidence).toContain("section links is missing");
  });

  it("output cut while pg_isready waited: the facts gathered before still decide", () => {
    const s = diagnose(MALFORMED.get("truncated-in-pg-isready") ?? "", {
      pgdata: loadFixture("zombies.pg15").meta.pgdata,
    });
    expect(s.verdict.code).toBe(clean.verdict.code);
    expect(s.connectivity.pgIsReady.meaning).toBe("not-run");
    expect(s.warnings).toContain("output is truncated: the end marker is missing");
  });

  it("login banner, binary junk and CRLF change nothing", () => {
    const s = diagnose(MALFORMED.get("noisy-login-crlf") ?? "", {
      pgdata: loadFixture("zombies.pg15").meta.pgdata,
    });
    expect(s.verdict).toEqual(clean.verdict);
    expect(s.members).toEqual(clean.members);
    expect(s.probe.preambleLines).toBe(4);
  });

  it("never throws and never recommends more than the complete output, wherever the output is cut", () => {
    for (const name of [
      "zombies.pg15",
      "orphan-attached.pg18",
      "legacy-semaphores.pg15",
      "healthy.pg15",
    ]) {
      const fixture = loadFixture(name);
      const full = run(fixture);
      for (let cut = 0; cut < fixture.text.length; cut += 211) {
        const s = diagnose(fixture.text.slice(0, cut), { pgdata: fixture.meta.pgdata });
        expect(() => ZSnapshot.parse(s)).not.toThrow();
        expect([null, full.recommendation.rung], `${name} cut at ${String(cut)}`).toContain(
          s.recommendation.rung,
        );
      }
    }
  });

  it("garbage and empty input: unknown", () => {
    for (const text of ["", "\u0000\u00ff garbage\n", "@@pgrescue:begin v=1\n"]) {
      const s = diagnose(text, { pgdata: "/d" });
      expect(s.verdict.code).toBe("unknown");
      expect(s.recommendation.rung).toBeNull();
    }
  });

  it("output of a probe built for another data directory: unknown", () => {
    const s = diagnose(loadFixture("zombies.pg15").text, { pgdata: "/var/lib/postgresql/15/main" });
    expect(s.verdict.code).toBe("unknown");
    expect(s.recommendation.reason).toContain("the probe ran for");
  });
});

describe("diagnose on real captures edited to states the lab cannot produce (synthetic)", () => {
  const fixture = loadFixture("zombies.pg15");
  const pm = String(fixture.meta.scenario?.postmasterPid);

  function withPostmasterState(state: string, wchan: string): string {
    const line = new RegExp(`^P 101 do_signal_stop ${pm} \\(postgres\\) T `, "m");
    expect(fixture.text).toMatch(line);
    return fixture.text.replace(line, `P 101 ${wchan} ${pm} (postgres) ${state} `);
  }

  it("postmaster in D: no rung, and the DBA is told that SIGKILL waits for the kernel call", () => {
    const s = diagnose(withPostmasterState("D", "rpc_wait_bit_killable"), {
      pgdata: fixture.meta.pgdata,
    });
    expect(s.verdict.code).toBe("zombies-unreaped");
    expect(s.recommendation.rung).toBeNull();
    expect(s.recommendation.reason).toContain("not even SIGKILL");
    expect(s.recommendation.reason).toContain("waiting for an NFS server");
    expect(s.recommendation.cautions[0]).toContain("in uninterruptible sleep (D)");
  });

  it("postmaster running (S) with zombies and no answer: fast stop first", () => {
    const s = diagnose(withPostmasterState("S", "do_epoll_wait"), { pgdata: fixture.meta.pgdata });
    expect(s.verdict.code).toBe("zombies-unreaped");
    expect(s.recommendation.rung).toBe(1);
  });

  it("legacy sets and a log that shows exhausted semaphores: remove only ours (rung 3)", () => {
    const legacy = loadFixture("legacy-semaphores.pg15");
    const text = legacy.text.replace(
      "@@pgrescue:section log\n",
      "@@pgrescue:section log\n|2026-11-23 03:00:00 UTC [99] FATAL:  could not create semaphores: No space left on device\n",
    );
    const s = diagnose(text, { pgdata: legacy.meta.pgdata });
    expect(s.verdict.code).toBe("semaphores-leftover");
    expect(s.recommendation.rung).toBe(3);
    const ours = (legacy.meta.scenario?.semaphores ?? []).filter((x) => x.ours).map((x) => x.semid);
    expect(s.recommendation.reason).toContain(`semid ${ours.join(", ")}`);
  });

  it("DSM files whose SysV segment was removed with ipcrm: removable, since they would leak until reboot", () => {
    const removed = loadFixture("pidfile-removed.pg15");
    const lines = removed.text.split("\n");
    const at = lines.indexOf("@@pgrescue:section sysv_shm");
    // Keep the header, drop the segment row, as `ipcrm -m` would have left the table.
    const text = [...lines.slice(0, at + 2), ...lines.slice(at + 3)].join("\n");
    const s = diagnose(text, { pgdata: removed.meta.pgdata });
    expect(s.ipc.shm).toEqual([]);
    expect(s.verdict.code).toBe("stopped-unclean");
    expect(s.dsm.length).toBeGreaterThan(0);
    expect(s.dsm.every((d) => d.removable && d.reason.includes("leaks until reboot"))).toBe(true);
  });

  it("a start time that disagrees beyond the tolerance: unknown, never pid-reused or a signal", () => {
    const s = diagnose(fixture.text, { pgdata: fixture.meta.pgdata, startTimeToleranceSec: 0 });
    const check = s.postmaster.checks.find((c) => c.name === "start time");
    if (check?.ok === true) return; // started within the same hundredth of a second: nothing to test
    expect(s.verdict.code).toBe("unknown");
    expect(s.recommendation.rung).toBeNull();
  });
});
