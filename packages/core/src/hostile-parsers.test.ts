// Every parser of packages/core fed hostile output: garbage, truncation, NUL, non-UTF-8, CRLF, 10 MB, malformed pid
// files and numbers written as text, hex or 20 digits. None may throw; each says it could not read the input (an
// error, a null, `unknown`); and no mutation of a real capture may yield a process, IPC object or file to act on that
// the capture itself did not prove. Only results are asserted: how long each parser takes on these inputs is measured
// by `pnpm bench parsers` (the parsers are linear, so the whole file runs in seconds even on a loaded machine).
import { describe, expect, it } from "vitest";
import { PROBE_FIXTURES, loadFixture, type TProbeFixture } from "./__fixtures__/probe-fixtures.ts";
import { ACTION_FIXTURES } from "./actions/__fixtures__/action-fixtures.ts";
import { decodeActionValue, parseActionOutput } from "./actions/action-output.ts";
import { diagnose } from "./diagnosis/diagnose.ts";
import type { TLadderPlan } from "./ladder/ladder-schema.ts";
import { planLadder } from "./ladder/plan-ladder.ts";
import { parseControlData, parsePgControlHead } from "./parsers/control-data.ts";
import { interpretPgIsReady } from "./parsers/pg-isready.ts";
import { normalizeShmKey, parsePidFile } from "./parsers/pid-file.ts";
import {
  parseCmdlines,
  parseDsmFiles,
  parseProcLinks,
  parseProcMaps,
  parseProcRecords,
} from "./parsers/proc-records.ts";
import * as core from "./index.ts";
import { explainWchan, parsePidText, parseProcStat } from "./parsers/proc-stat.ts";
import { classifyProcessTitle } from "./parsers/process-title.ts";
import { parseIpcsSemInfo, parseSysvSem, parseSysvShm } from "./parsers/sysv-ipc.ts";
import { parseProbeOutput } from "./probe/probe-output.ts";
import {
  BINARY_NOISE,
  HOSTILE_NUMBERS,
  NON_UTF8_SEQUENCES,
  buildHostileTexts,
  buildHostileValues,
  canaryPathFor,
  decodeAsLatin1,
  decodeLikeRemoteOutput,
} from "./testing/hostile-values.ts";

const CANARY = canaryPathFor("parsers0");
const TEN_MB = 10 * 1024 * 1024;

/** Split once per text: every parser of the table reads the same lines, and a 10 MB text is slow to split. */
const splitTexts = new Map<string, readonly string[]>();

function lines(text: string): readonly string[] {
  const known = splitTexts.get(text);
  if (known !== undefined) return known;
  const split = text.split("\n");
  splitTexts.set(text, split);
  return split;
}

// ---------------------------------------------------------------------------------------------
// Garbage: what any parser may be handed when a host, a tool or the transport misbehaves.

function tenMegabytes(unit: string): string {
  return unit.repeat(Math.ceil(TEN_MB / unit.length));
}

const GARBAGE: readonly { id: string; text: string }[] = [
  ...buildHostileValues("", CANARY).map((v) => ({ id: v.id, text: v.value })),
  ...NON_UTF8_SEQUENCES.flatMap((s) => [
    { id: `non-utf8-${s.id}`, text: decodeLikeRemoteOutput(s.bytes) },
    { id: `latin1-${s.id}`, text: decodeAsLatin1(s.bytes) },
  ]),
  ...buildHostileTexts(),
];
const SHORT_GARBAGE = GARBAGE.filter((garbage) => garbage.text.length < 65_536);
const LARGE_GARBAGE = GARBAGE.filter((garbage) => garbage.text.length >= 65_536);

/** Each parser, run on a text, and whether its result says "I cannot tell" (an error, a null, nothing found). */
const PARSERS: readonly { name: string; readsAsUnknown: (text: string) => boolean }[] = [
  {
    name: "parsePidFile",
    readsAsUnknown: (t) => {
      const r = parsePidFile(lines(t));
      return r.pid === null && r.shmKey === null && r.errors.length > 0;
    },
  },
  { name: "normalizeShmKey", readsAsUnknown: (t) => normalizeShmKey(t) === null },
  { name: "parseProcStat", readsAsUnknown: (t) => !parseProcStat(t).ok },
  { name: "parsePidText", readsAsUnknown: (t) => parsePidText(t) === null },
  {
    name: "parseProcRecords",
    readsAsUnknown: (t) => {
      const r = parseProcRecords(lines(t), { total: t, selected: t });
      return r.records.length === 0 && r.total === null && r.selected === null;
    },
  },
  { name: "parseCmdlines", readsAsUnknown: (t) => parseCmdlines(lines(t)).size === 0 },
  { name: "parseProcLinks", readsAsUnknown: (t) => parseProcLinks(lines(t)).size === 0 },
  { name: "parseProcMaps", readsAsUnknown: (t) => parseProcMaps(lines(t)).size === 0 },
  { name: "parseDsmFiles", readsAsUnknown: (t) => parseDsmFiles(lines(t)).length === 0 },
  {
    name: "classifyProcessTitle",
    readsAsUnknown: (t) => classifyProcessTitle(t).role === "unknown",
  },
  { name: "explainWchan", readsAsUnknown: (t) => explainWchan(t) === null },
  {
    name: "parseSysvShm",
    readsAsUnknown: (t) => {
      const r = parseSysvShm(lines(t));
      return r.rows.length === 0 && r.errors.length > 0;
    },
  },
  {
    name: "parseSysvSem",
    readsAsUnknown: (t) => {
      const r = parseSysvSem(lines(t));
      return r.rows.length === 0 && r.errors.length > 0;
    },
  },
  {
    name: "parseIpcsSemInfo",
    readsAsUnknown: (t) => {
      const r = parseIpcsSemInfo(t);
      return r.semid === null && r.semaphores.length === 0 && r.errors.length > 0;
    },
  },
  {
    name: "parseControlData",
    readsAsUnknown: (t) => {
      const r = parseControlData(lines(t));
      return r.clusterState === null && r.errors.length > 0;
    },
  },
  { name: "parsePgControlHead", readsAsUnknown: (t) => parsePgControlHead(lines(t)) === null },
  {
    name: "parseProbeOutput",
    readsAsUnknown: (t) => {
      const r = parseProbeOutput(t);
      return !r.begun && r.errors.length > 0;
    },
  },
  {
    name: "diagnose",
    readsAsUnknown: (t) => {
      const r = diagnose(t, { pgdata: "/var/lib/postgresql/15/main" });
      return r.verdict.code === "unknown" && r.recommendation.rung === null;
    },
  },
  {
    name: "parseActionOutput",
    readsAsUnknown: (t) => {
      const r = parseActionOutput(t);
      return !r.begun && !r.changedNothing && r.exitCode === null && r.errors.length > 0;
    },
  },
];

describe("every parser, fed garbage, says it cannot tell — without throwing", () => {
  it("the table has every parse* function core exports", () => {
    const exported = Object.keys(core).filter((name) => /^parse[A-Z]/.test(name));
    expect(exported.filter((name) => !PARSERS.some((parser) => parser.name === name))).toEqual([]);
  });

  it.each(PARSERS.map((p) => [p.name, p] as const))(
    "%s, on every payload and short text",
    (_name, parser) => {
      const understood = SHORT_GARBAGE.filter((garbage) => !parser.readsAsUnknown(garbage.text));
      expect(understood.map((garbage) => garbage.id)).toEqual([]);
    },
  );

  // One test per parser and large text: each is one parse of up to 10 MB, never several in one test.
  it.each(
    PARSERS.flatMap((p) =>
      LARGE_GARBAGE.map((garbage) => [p.name, garbage.id, p, garbage] as const),
    ),
  )("%s, on %s", (_name, _id, parser, garbage) => {
    expect(parser.readsAsUnknown(garbage.text)).toBe(true);
  });

  it("decodeActionValue passes garbage through without inventing characters", () => {
    for (const garbage of GARBAGE) {
      const decoded = decodeActionValue(garbage.text);
      expect(decoded.length).toBeLessThanOrEqual(garbage.text.length);
    }
  });

  it("interpretPgIsReady calls any exit code it does not know an error", () => {
    for (const number of HOSTILE_NUMBERS) {
      expect(interpretPgIsReady(Number(number.value)), number.id).toBe("error");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Numbers where the parsers expect PIDs, keys and ids: only plain decimals in range count.

describe("numbers written as text, hex, exponents or 20 digits are never read as PIDs, keys or ids", () => {
  const stat = (pid: string) =>
    `${pid} (postgres) S 1 100 100 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0`;

  it.each([
    "0x7f",
    "1e2",
    "+127",
    "127.0",
    "-127",
    "0",
    "4194305",
    "99999999999999999999",
    "１２７",
    "",
  ])("parseProcStat refuses PID %j", (pid) => {
    expect(parseProcStat(stat(pid)).ok).toBe(false);
  });

  it("parseProcStat reads the same line with a plain PID", () => {
    expect(parseProcStat(stat("127"))).toMatchObject({
      ok: true,
      value: { pid: 127, startTicks: 5000 },
    });
  });

  it.each(["0x7f", "1e2", "99999999999999999999", "-5", "１２７"])(
    "the per-PID sections ignore a line for PID %j",
    (pid) => {
      expect(parseCmdlines([`/proc/${pid}/cmdline:postgres: checkpointer`]).size).toBe(0);
      expect(
        parseProcLinks([
          `lrwxrwxrwx 1 postgres postgres 0 Nov 30 03:00 /proc/${pid}/cwd -> /srv/pg`,
        ]).size,
      ).toBe(0);
      expect(
        parseProcMaps([`/proc/${pid}/maps:7f00-7f01 rw-s 00000000 00:01 5 /SYSV0051ed77 (deleted)`])
          .size,
      ).toBe(0);
    },
  );

  it.each(["0x5", "1e1", "99999999999999999999", "-5"])(
    "parseProcMaps ignores shmid %j",
    (shmid) => {
      const maps = parseProcMaps([
        `/proc/127/maps:7f00-7f01 rw-s 00000000 00:01 ${shmid} /SYSV0051ed77 (deleted)`,
      ]);
      expect(maps.get(127)?.sysv ?? []).toEqual([]);
    },
  );

  it.each(["99999999999999999999999", "0x10", "1e3"])(
    "parseIpcsSemInfo reports semid, uid and table cells of %j as unreadable",
    (number) => {
      const info = parseIpcsSemInfo(
        [
          `Semaphore Array semid=${number}`,
          `uid=${number}\t gid=101\t cuid=101\t cgid=101`,
          "mode=0600, access_perms=0600",
          `nsems = ${number}`,
          "semnum     value      ncount     zcount     pid",
          `0          1          0          0          ${number}`,
        ].join("\n"),
      );
      expect({
        semid: info.semid,
        uid: info.uid,
        nsems: info.nsems,
        semaphores: info.semaphores,
      }).toEqual({
        semid: null,
        uid: null,
        nsems: null,
        semaphores: [],
      });
      expect(info.errors.length).toBeGreaterThan(0);
    },
  );

  it.each(["", " ", "0x0", "1e0", "abc", "99999"])(
    "an rc marker of %j is malformed, not an exit code",
    (rc) => {
      const out = parseProbeOutput(
        [
          "@@pgrescue:begin v=1",
          "@@pgrescue:section pg_isready",
          `@@pgrescue:rc ${rc}`,
          "@@pgrescue:end",
        ].join("\n"),
      );
      expect(out.sections[0]?.rc).toBeNull();
      expect(out.errors).toContain(`malformed rc marker: @@pgrescue:rc ${rc}`);
    },
  );

  it("normalizeShmKey reads sign-extended 20-digit keys modulo 2^32 and nothing longer or odder", () => {
    expect(normalizeShmKey("18446744071562067968")).toBe(2 ** 31);
    expect(normalizeShmKey("-2147483648")).toBe(2 ** 31);
    for (const raw of [
      "184467440715620679680",
      "18446744073709551616",
      "-2147483649",
      "0x10",
      "1e3",
      "+5",
      "5 5",
      "",
    ]) {
      expect(normalizeShmKey(raw), raw).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed pid files: every line the parser trusts, broken in every way a disk, an editor or an attacker could.

describe("malformed postmaster.pid files", () => {
  const good = lines(loadFixture("zombies.pg15").text)
    .filter((l) => l.startsWith("|"))
    .slice(0, 8)
    .map((l) => l.slice(1));
  const pidLine = good[0] ?? "";

  it("the base is a real pid file of 8 lines", () => {
    expect(parsePidFile(good)).toMatchObject({ errors: [], lineCount: 8, status: "ready" });
  });

  const withLine = (index: number, text: string): string[] =>
    good.map((l, i) => (i === index ? text : l));

  it.each([
    ["missing", []],
    ["only a blank line", [""]],
    ["negative huge", withLine(0, "-99999999999")],
    ["zero", withLine(0, "0")],
    ["above the kernel's PID limit", withLine(0, "4194305")],
    ["20 digits", withLine(0, "18446744073709551615")],
    ["text", withLine(0, "postmaster")],
    ["hex", withLine(0, "0x7f")],
    ["exponent", withLine(0, "1e2")],
    ["two numbers", withLine(0, `${pidLine} ${pidLine}`)],
    ["NUL inside", withLine(0, `${pidLine}\u0000`)],
    ["full-width digits", withLine(0, "１２７")],
    ["a shell payload", withLine(0, `${pidLine}; touch ${CANARY}`)],
  ])("line 1 %s: no PID", (_label, pidFile) => {
    const parsed = parsePidFile(pidFile);
    expect(parsed.pid).toBeNull();
    expect(parsed.errors.length).toBeGreaterThan(0);
  });

  it.each([
    ["21 digits", "184467440715620679680 5"],
    ["text", "key shmid"],
    ["hex", "0x51ed77 5"],
    ["one number", "5368839"],
    ["negative id", "5368839 -5"],
    ["a shell payload", `5368839 5; touch ${CANARY}`],
    ["20-digit id", "5368839 18446744073709551615"],
  ])("line 7 %s: no key and no shmid", (_label, line) => {
    const parsed = parsePidFile(withLine(6, line));
    expect({ key: parsed.shmKey, id: parsed.shmId }).toEqual({ key: null, id: null });
    expect(parsed.errors.some((e) => e.startsWith("line 7"))).toBe(true);
  });

  it("CRLF line ends are read like LF (a pid file copied through Windows)", () => {
    const crlf = good.map((l) => `${l}\r`);
    const parsed = parsePidFile(crlf);
    expect(parsed.pid).toBe(parsePidFile(good).pid);
    expect(parsed.shmKey).toBe(parsePidFile(good).shmKey);
  });

  it("a truncated file keeps only what is there", () => {
    for (let count = 1; count < good.length; count += 1) {
      const parsed = parsePidFile(good.slice(0, count));
      expect(parsed.lineCount).toBe(count);
      if (count < 7) expect(parsed.shmKey).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Mutated real captures: garbage can only take certainty away, never add something to act on.

const ALL_CLEANUP = { semaphores: true, sharedMemory: true, dsmFiles: true } as const;

function planFor(text: string, fixture: TProbeFixture): TLadderPlan {
  const snapshot = diagnose(text, { pgdata: fixture.meta.pgdata });
  return planLadder(snapshot, { pgdata: fixture.meta.pgdata, pgBin: null, cleanup: ALL_CLEANUP });
}

/**
 * The processes (PID and start time) and IPC objects any applicable step would act on. Files are left out: their
 * paths come from PGDATA, not from the probe's output (a pid file the mutation made unreadable is rightly moved
 * aside once its processes are gone).
 */
function targetsOf(plan: TLadderPlan): Set<string> {
  return new Set(
    plan.steps
      .filter((step) => step.applicable)
      .flatMap((step) => [
        ...step.targets.processes.map((p) => `process ${String(p.pid)}@${String(p.startTicks)}`),
        ...step.targets.ipc.map((t) => `${t.kind} ${String(t.id ?? t.path)}`),
      ]),
  );
}

type TMutation = { id: string; mutate: (text: string) => string; framingBroken: boolean };

function everyNth(text: string, step: number, insert: string): string {
  let out = "";
  for (let at = 0; at < text.length; at += step) out += `${text.slice(at, at + step)}${insert}`;
  return out;
}

const PID_FIELD = /^(P \S+ \S+ )(\d+)/gm;

const MUTATIONS: readonly TMutation[] = [
  ...[0.1, 0.25, 0.5, 0.75, 0.99].map((fraction) => ({
    id: `truncated-at-${String(fraction * 100)}%`,
    mutate: (t: string) => t.slice(0, Math.floor(t.length * fraction)),
    framingBroken: true,
  })),
  {
    id: "end-marker-dropped",
    mutate: (t) => t.replace(/@@pgrescue:end\s*$/, ""),
    framingBroken: true,
  },
  {
    id: "meta-section-dropped",
    mutate: (t) => t.replace("@@pgrescue:section meta\n", ""),
    framingBroken: true,
  },
  { id: "crlf", mutate: (t) => t.replaceAll("\n", "\r\n"), framingBroken: false },
  { id: "nul-every-97", mutate: (t) => everyNth(t, 97, "\u0000"), framingBroken: false },
  {
    id: "non-utf8-every-89",
    mutate: (t) => everyNth(t, 89, BINARY_NOISE.slice(0, 3)),
    framingBroken: false,
  },
  {
    id: "lines-doubled",
    mutate: (t) =>
      lines(t)
        .flatMap((l) => [l, l])
        .join("\n"),
    framingBroken: false,
  },
  {
    id: "begin-repeated",
    mutate: (t) => t.replace("@@pgrescue:section", "@@pgrescue:begin v=1\n@@pgrescue:section"),
    framingBroken: false,
  },
  {
    id: "pids-as-hex",
    mutate: (t) =>
      t.replace(
        PID_FIELD,
        (_m, head: string, pid: string) => `${head}0x${Number(pid).toString(16)}`,
      ),
    framingBroken: false,
  },
  {
    id: "pids-as-exponent",
    mutate: (t) => t.replace(PID_FIELD, (_m, head: string, pid: string) => `${head}${pid}e0`),
    framingBroken: false,
  },
  {
    id: "pids-20-digits",
    mutate: (t) =>
      t.replace(PID_FIELD, (_m, head: string, pid: string) => `${head}${pid.padStart(20, "9")}`),
    framingBroken: false,
  },
  {
    id: "digits-to-text",
    mutate: (t) => t.replace(/(?<=^[|P].*?)\d/gm, "x"),
    framingBroken: false,
  },
  {
    id: "pidfile-line1-text",
    mutate: (t) =>
      t.replace(/(@@pgrescue:section pidfile\n(?:[^|\n].*\n)*)\|.*\n/, "$1|postmaster\n"),
    framingBroken: false,
  },
  {
    id: "pidfile-key-21-digits",
    mutate: (t) => t.replace(/^\|\s*(-?\d+)\s+(\d+)\s*$/m, "|184467440715620679680 $2"),
    framingBroken: false,
  },
];

const BIG_MUTATIONS: readonly TMutation[] = [
  {
    id: "10mb-login-banner",
    mutate: (t) => `${tenMegabytes(`Welcome\u0000${BINARY_NOISE.slice(0, 40)}\n`)}${t}`,
    framingBroken: false,
  },
  {
    id: "10mb-log-tail",
    mutate: (t) =>
      t.replace(
        "@@pgrescue:section log\n",
        `@@pgrescue:section log\n${tenMegabytes("|FATAL: x\u0000\n")}`,
      ),
    framingBroken: false,
  },
  {
    id: "10mb-single-line",
    mutate: (t) => `${t.slice(0, t.length >> 1)}${tenMegabytes("A")}${t.slice(t.length >> 1)}`,
    framingBroken: false,
  },
  {
    // Well-formed, but more than any host has: once paired by searching lists, these took minutes to diagnose.
    id: "8000-foreign-segments-mappings-and-files",
    mutate: (t) => withForeignObjects(t, 8000),
    framingBroken: false,
  },
];

/**
 * The capture plus `count` SysV segments, DSM files and mappings of both by processes the capture does not list,
 * all of another user (uid 61001): nothing in them is this instance's to act on.
 */
function withForeignObjects(text: string, count: number): string {
  const ids = Array.from({ length: count }, (_, i) => i);
  const pid = (i: number) => 3_000_000 + i;
  const key = (i: number) => 70_000_000 + i;
  const segments = ids.map(
    (i) =>
      `|${String(key(i)).padStart(10)} ${String(100_000 + i).padStart(10)}   600   56 ${pid(i)} ${pid(i)}      1 61001 61001 61001 61001 1 1 1 4096`,
  );
  const mappings = ids.flatMap((i) => [
    `|/proc/${pid(i)}/maps:7f00-7f01 rw-s 00000000 00:01 ${100_000 + i}  /SYSV${key(i).toString(16).padStart(8, "0")} (deleted)`,
    `|/proc/${pid(i)}/maps:7f00-7f04 rw-s 00000000 00:23 5  /dev/shm/PostgreSQL.${900_000 + i}`,
  ]);
  const files = ids.map((i) => `|61001 1048576 1 /dev/shm/PostgreSQL.${900_000 + i}`);
  const after = (t: string, marker: RegExp, lines: string[]) =>
    t.replace(marker, (head) => `${head}${lines.join("\n")}\n`);
  return [
    (t: string) => after(t, /@@pgrescue:section sysv_shm\n(?:[^|\n].*\n)*\|.*\n/, segments),
    (t: string) => after(t, /@@pgrescue:section maps\n/, mappings),
    (t: string) => after(t, /@@pgrescue:section dsm\n/, files),
  ].reduce((t, add) => add(t), text);
}

const probeFixtures = [...PROBE_FIXTURES.values()];

describe("mutated real probe captures never yield a target the capture did not prove", () => {
  describe.each(probeFixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    const original = targetsOf(planFor(fixture.text, fixture));

    it.each(MUTATIONS.map((m) => [m.id, m] as const))("%s", (_id, mutation) => {
      const plan = planFor(mutation.mutate(fixture.text), fixture);
      const added = [...targetsOf(plan)].filter((target) => !original.has(target));
      expect(added).toEqual([]);
      // Output cut short or without its frame: the verdict may stand on the sections that arrived, nothing runs.
      if (mutation.framingBroken) expect(plan.steps.filter((step) => step.applicable)).toEqual([]);
    });
  });

  it.each(
    BIG_MUTATIONS.flatMap((m) =>
      ["zombies.pg15", "orphan-attached.pg18", "legacy-semaphores.pg15"].map(
        (name) => [m.id, name, m] as const,
      ),
    ),
  )("%s, on %s", (_id, name, mutation) => {
    const fixture = loadFixture(name);
    const original = targetsOf(planFor(fixture.text, fixture));
    const plan = planFor(mutation.mutate(fixture.text), fixture);
    expect([...targetsOf(plan)].filter((target) => !original.has(target))).toEqual([]);
  });

  it("lists 8000 foreign segments and DSM files, each with its one mapping process, none ours", () => {
    const fixture = loadFixture("zombies.pg15");
    const snapshot = diagnose(withForeignObjects(fixture.text, 8000), {
      pgdata: fixture.meta.pgdata,
    });
    const shm = snapshot.ipc.shm.filter((segment) => segment.ownerUid === 61001);
    const dsm = snapshot.dsm.filter((file) => file.ownerUid === 61001);
    expect([shm.length, dsm.length]).toEqual([8000, 8000]);
    expect(shm.filter((segment) => segment.ours || segment.attachedPids.length !== 1)).toEqual([]);
    expect(dsm.filter((file) => file.ours || file.removable || file.mappedBy.length !== 1)).toEqual(
      [],
    );
  });

  it("CRLF and a login banner change nothing: same verdict, same targets", () => {
    for (const fixture of probeFixtures) {
      const original = planFor(fixture.text, fixture);
      for (const text of [
        fixture.text.replaceAll("\n", "\r\n"),
        `Welcome\r\n\u0000junk\r\n${fixture.text}`,
      ]) {
        const plan = planFor(text, fixture);
        expect(plan.verdict, fixture.name).toBe(original.verdict);
        expect([...targetsOf(plan)], fixture.name).toEqual([...targetsOf(original)]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Action-script output: garbage must never turn into "nothing was changed" or into a status the script did not print.

describe("mutated real action-script output", () => {
  const actionFixtures = [...ACTION_FIXTURES.values()];

  it.each(actionFixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    const original = parseActionOutput(fixture.text);
    const variants = [
      ...[0.1, 0.5, 0.9].map((fraction) =>
        fixture.text.slice(0, Math.floor(fixture.text.length * fraction)),
      ),
      everyNth(fixture.text, 61, "\u0000"),
      everyNth(fixture.text, 53, BINARY_NOISE.slice(0, 3)),
      fixture.text.replaceAll("\n", "\r\n"),
      `${tenMegabytes("banner\u0000\n")}${fixture.text}`,
      fixture.text.replace(/\bpid=(\d+)/g, "pid=0x$1"),
      fixture.text.replace(/\bexit=(\d+)/g, "exit=$1e0"),
    ];
    for (const text of variants) {
      const result = parseActionOutput(text);
      // Only a complete output that says so proves nothing changed.
      if (result.changedNothing) {
        expect(result.ended).toBe(true);
        expect(original.changedNothing).toBe(true);
      }
      if (!result.ended) expect(result.errors.length).toBeGreaterThan(0);
      if (result.status !== null) expect(result.status).toBe(original.status);
      for (const wait of result.waits) expect(original.waits.map((w) => w.pid)).toContain(wait.pid);
    }
  });

  it("output cut before the end line does not claim that nothing changed", () => {
    const out = parseActionOutput(
      ["@@pgrescue:begin action v=1 rung=3", "@@pgrescue:check pid=127 start=5000"].join("\n"),
    );
    expect(out.changedNothing).toBe(false);
    expect(out.errors).toEqual(["the output ends before the end line (cut off or killed)"]);
  });
});
