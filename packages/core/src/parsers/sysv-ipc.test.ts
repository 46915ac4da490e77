import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput, type TProbeOutput } from "../probe/probe-output.ts";
import { parseIpcsSemInfo, parseSysvSem, parseSysvShm } from "./sysv-ipc.ts";

function output(name: string): TProbeOutput {
  return parseProbeOutput(loadFixture(name).text);
}

function content(out: TProbeOutput, name: string, semid?: number): string[] {
  const section =
    semid === undefined
      ? findSection(out, name)
      : out.sections.find((s) => s.name === name && s.args.semid === String(semid));
  if (!section) throw new Error(`no section ${name}`);
  return section.content;
}

describe("parseSysvShm", () => {
  it("reads the real table with the instance's segment as the lab saw it", () => {
    const fixture = loadFixture("orphan-attached.pg15");
    const table = parseSysvShm(content(output("orphan-attached.pg15"), "sysv_shm"));
    expect(table.errors).toEqual([]);
    const shm = fixture.meta.scenario?.shm;
    expect(table.rows.find((r) => r.shmid === shm?.shmid)).toMatchObject({
      key: shm?.key,
      nattch: 1,
      uid: shm?.ownerUid,
      size: 56,
    });
  });

  it("turns the kernel's negative key of an inode ≥ 2^31 into the unsigned key", () => {
    const table = parseSysvShm(content(output("healthy-bigkey.pg15"), "sysv_shm"));
    expect(table.rows).toEqual([
      expect.objectContaining({ key: 2147614848, shmid: 0, nattch: 7, cpid: 7 }),
    ]);
  });

  it("locates columns by the header, so kernels without rss/swap columns work", () => {
    const old = [
      "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime",
      "   5432001     163840   600         56  4242  4250     12    26    26    26    26 1700000000 1700000000 1700000000",
    ];
    expect(parseSysvShm(old).rows).toEqual([
      expect.objectContaining({ key: 5432001, shmid: 163840, nattch: 12, uid: 26 }),
    ]);
  });

  it("reports bad rows and headers instead of throwing", () => {
    expect(parseSysvShm(["nonsense header"]).errors).toEqual([
      "/proc/sysvipc/shm: header lacks key, shmid, perms, size, cpid, lpid, nattch, uid",
    ]);
    expect(parseSysvShm([]).errors).toEqual(["/proc/sysvipc/shm: empty"]);
    const bad = parseSysvShm([content(output("healthy.pg15"), "sysv_shm")[0] ?? "", "1 2 x"]);
    expect(bad.rows).toEqual([]);
    expect(bad.errors).toEqual(['/proc/sysvipc/shm: unparsable row "1 2 x"']);
  });
});

describe("parseSysvSem", () => {
  it("reads every set of the real legacy-semaphores host", () => {
    const fixture = loadFixture("legacy-semaphores.pg15");
    const table = parseSysvSem(content(output("legacy-semaphores.pg15"), "sysv_sem"));
    expect(table.errors).toEqual([]);
    expect(table.rows.map((r) => r.semid).sort((a, b) => a - b)).toEqual(
      (fixture.meta.scenario?.semaphores ?? []).map((s) => s.semid).sort((a, b) => a - b),
    );
    expect(table.rows[0]).toMatchObject({ key: 34221001, semid: 0, nsems: 17, uid: 101 });
  });
});

describe("parseIpcsSemInfo", () => {
  it("reads the magic 537 and the creator's sempid of a real PostgreSQL-shaped set", () => {
    const fixture = loadFixture("legacy-semaphores.pg15");
    const ours = fixture.meta.scenario?.semaphores.find((s) => s.kind === "ours");
    const info = parseIpcsSemInfo(
      content(output("legacy-semaphores.pg15"), "sem_info", ours?.semid).join("\n"),
    );
    expect(info.errors).toEqual([]);
    expect(info).toMatchObject({ semid: ours?.semid, uid: 101, nsems: 17 });
    expect(info.semaphores).toHaveLength(17);
    expect(info.semaphores[16]).toEqual({
      semnum: 16,
      value: 537,
      ncount: 0,
      zcount: 0,
      pid: ours?.creatorPid,
    });
  });

  it("reports a set the probing user may not read (real ipcs error)", () => {
    const fixture = loadFixture("legacy-semaphores.pg15");
    const foreign = fixture.meta.scenario?.semaphores.find(
      (s) => s.kind === "other-user-live-creator",
    );
    const info = parseIpcsSemInfo(
      content(output("legacy-semaphores.pg15"), "sem_info", foreign?.semid).join("\n"),
    );
    expect(info.semaphores).toEqual([]);
    expect(info.errors).toEqual([
      "no semaphore table: ipcs: semctl(GETVAL) failed: Permission denied",
    ]);
  });

  it("reports unexpected table lines", () => {
    const info = parseIpcsSemInfo("semnum value ncount zcount pid\n0 1 0 0 42\nwhat?\n");
    expect(info.semaphores).toEqual([{ semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 42 }]);
    expect(info.errors).toEqual(['unexpected line in semaphore table: "what?"']);
  });
});
