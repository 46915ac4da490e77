import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput, type TProbeOutput } from "../probe/probe-output.ts";
import { interpretPgIsReady } from "./pg-isready.ts";
import {
  parseCmdlines,
  parseDsmFiles,
  parseProcLinks,
  parseProcMaps,
  parseProcRecords,
} from "./proc-records.ts";

function output(name: string): TProbeOutput {
  return parseProbeOutput(loadFixture(name).text);
}

describe("parseProcRecords", () => {
  it("reads the real candidates of the zombies scenario, zombies included", () => {
    const fixture = loadFixture("zombies.pg15");
    const section = findSection(output("zombies.pg15"), "procs");
    const table = parseProcRecords(section?.records ?? [], section?.fields ?? {});
    expect(table.errors).toEqual([]);
    expect(table.selected).toBe(table.records.length);
    expect(table.total).toBeGreaterThan(table.records.length);
    const pm = fixture.meta.scenario?.postmasterPid;
    expect(table.records.find((r) => r.pid === pm)).toMatchObject({
      state: "T",
      wchan: "do_signal_stop",
      uid: 101,
      comm: "postgres",
    });
    for (const zombie of fixture.meta.scenario?.zombiePids ?? []) {
      expect(table.records.find((r) => r.pid === zombie)).toMatchObject({
        state: "Z",
        ppid: pm,
        wchan: null,
      });
    }
  });

  it("reports malformed records", () => {
    const table = parseProcRecords(["P 101 - 7 (postgres) S 1", "Q nonsense"], { total: "x" });
    expect(table.records).toEqual([]);
    expect(table.total).toBeNull();
    expect(table.errors).toHaveLength(2);
  });
});

describe("parseCmdlines", () => {
  it("trims PostgreSQL's NUL padding and joins argv", () => {
    const section = findSection(output("healthy.pg15"), "cmdline");
    const cmdlines = parseCmdlines(section?.content ?? []);
    const pm = loadFixture("healthy.pg15").meta.scenario?.postmasterPid ?? 0;
    expect(cmdlines.get(pm)).toMatch(/^\/usr\/lib\/postgresql\/15\/bin\/postgres -D \S+$/);
    expect([...cmdlines.values()]).toContain("postgres: checkpointer");
  });

  it("joins a command line that contained newlines (several grep lines, same file)", () => {
    const cmdlines = parseCmdlines([
      '/proc/9/cmdline:postgres: "evil',
      '/proc/9/cmdline:role" db [local] idle   ',
      "/proc/10/cmdline:x",
    ]);
    expect(cmdlines.get(9)).toBe('postgres: "evil role" db [local] idle');
    expect(cmdlines.get(10)).toBe("x");
  });
});

describe("parseProcLinks", () => {
  it("reads cwd and exe, and null where the link could not be read (zombie)", () => {
    const fixture = loadFixture("zombies.pg15");
    const links = parseProcLinks(findSection(output("zombies.pg15"), "links")?.content ?? []);
    const pm = fixture.meta.scenario?.postmasterPid ?? 0;
    expect(links.get(pm)).toEqual({
      cwd: fixture.meta.pgdata,
      exe: "/usr/lib/postgresql/15/bin/postgres",
    });
    for (const zombie of fixture.meta.scenario?.zombiePids ?? []) {
      expect(links.get(zombie)).toEqual({ cwd: null, exe: null });
    }
  });

  it("reads nothing for another user's process (real: a root sleep holding the pid-file PID)", () => {
    const links = parseProcLinks(
      findSection(output("pid-reused-other-user.pg15"), "links")?.content ?? [],
    );
    expect(links.get(7)).toEqual({ cwd: null, exe: null });
  });

  it("reads a link only after the line's last CR, line or paragraph separator (a target cannot span one)", () => {
    const real = findSection(output("zombies.pg15"), "links")?.content[0] ?? "";
    const [, pid, kind, target] = / \/proc\/(\d+)\/(cwd|exe) -> (.*)$/.exec(real) ?? [];
    expect(target).toBeDefined();
    for (const separator of ["\r", "\u2028", "\u2029"]) {
      // Noise before the separator does not hide the link; a separator inside the target voids it.
      expect(parseProcLinks([`junk ${real}${separator}${real}`]).get(Number(pid))).toMatchObject({
        [kind ?? ""]: target,
      });
      expect(parseProcLinks([`${real}${separator}tail`]).size).toBe(0);
    }
  });
});

describe("parseProcMaps", () => {
  it("reads key and shmid (the inode column) of attached SysV segments and the DSM files", () => {
    const fixture = loadFixture("healthy.pg15");
    const maps = parseProcMaps(findSection(output("healthy.pg15"), "maps")?.content ?? []);
    const pm = maps.get(fixture.meta.scenario?.postmasterPid ?? 0);
    const shm = fixture.meta.scenario?.shm;
    expect(pm?.sysv).toEqual([
      {
        key: shm?.key,
        keyHex: `0x${(shm?.key ?? 0).toString(16).padStart(8, "0")}`,
        shmid: shm?.shmid,
        deleted: true,
      },
    ]);
    expect(pm?.dsm.every((name) => /^PostgreSQL\.\d+$/.test(name))).toBe(true);
  });

  it("reads a key with bit 31 set", () => {
    const maps = parseProcMaps(findSection(output("healthy-bigkey.pg15"), "maps")?.content ?? []);
    expect(maps.get(7)?.sysv).toEqual([
      { key: 2147614848, keyHex: "0x80020080", shmid: 0, deleted: true },
    ]);
  });
});

describe("parseDsmFiles", () => {
  it("reads owner, size and mtime of /dev/shm/PostgreSQL.*", () => {
    const files = parseDsmFiles(findSection(output("healthy.pg15"), "dsm")?.content ?? []);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file).toMatchObject({ uid: 101, path: `/dev/shm/${file.name}` });
      expect(file.size).toBeGreaterThan(0);
    }
  });
});

describe("interpretPgIsReady", () => {
  it.each([
    [0, "accepting"],
    [1, "rejecting"],
    [2, "no-response"],
    [3, "no-attempt"],
    [124, "timed-out"],
    [127, "tool-missing"],
    [9, "error"],
    [null, "not-run"],
  ] as const)("%s → %s", (code, meaning) => {
    expect(interpretPgIsReady(code)).toBe(meaning);
  });
});
