import { describe, expect, it } from "vitest";
import { MALFORMED, loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput } from "./probe-output.ts";

const ALL_SECTIONS = [
  "meta",
  "pidfile",
  "sysv_shm",
  "sysv_sem",
  "procs",
  "cmdline",
  "links",
  "maps",
  "dsm",
  "log",
  "pg_control",
  "controldata",
  "pg_isready",
];

function requireMalformed(name: string): string {
  const text = MALFORMED.get(name);
  if (text === undefined) throw new Error(`no malformed fixture ${name}`);
  return text;
}

describe("parseProbeOutput", () => {
  it("splits a complete real run into its sections", () => {
    const out = parseProbeOutput(loadFixture("zombies.pg15").text);
    expect(out).toMatchObject({
      version: "1",
      begun: true,
      ended: true,
      errors: [],
      preambleLines: 0,
    });
    expect(out.sections.map((s) => s.name)).toEqual(ALL_SECTIONS);
    expect(findSection(out, "meta")?.fields).toMatchObject({
      user: "postgres",
      uid: "101",
      clk_tck: "100",
    });
    expect(findSection(out, "pg_isready")?.rc).toBe(2);
  });

  it("keeps one sem_info section per 17-semaphore set, with its semid", () => {
    const out = parseProbeOutput(loadFixture("legacy-semaphores.pg15").text);
    const semids = out.sections.filter((s) => s.name === "sem_info").map((s) => s.args.semid);
    expect(semids.length).toBeGreaterThanOrEqual(5);
    expect(semids.every((id) => id !== undefined && /^\d+$/.test(id))).toBe(true);
  });

  it("skips a login banner with binary junk, CRLF line ends and trailing noise", () => {
    const out = parseProbeOutput(requireMalformed("noisy-login-crlf"));
    expect(out.preambleLines).toBe(4);
    expect(out.ended).toBe(true);
    expect(out.sections.map((s) => s.name)).toEqual(ALL_SECTIONS);
    expect(out.errors).toEqual(["1 line(s) after the end marker ignored"]);
    expect(findSection(out, "pidfile")?.content).toEqual(
      findSection(parseProbeOutput(loadFixture("zombies.pg15").text), "pidfile")?.content,
    );
  });

  it("marks output cut inside a section as truncated", () => {
    const out = parseProbeOutput(requireMalformed("truncated-in-procs"));
    expect(out.ended).toBe(false);
    expect(out.errors).toEqual(["output is truncated: the end marker is missing"]);
    expect(out.sections.at(-1)).toMatchObject({ name: "procs", complete: false });
    expect(findSection(out, "pidfile")?.complete).toBe(true);
  });

  it("finds nothing in output that never began", () => {
    const out = parseProbeOutput("sh: 1: Syntax error: end of file unexpected\n");
    expect(out).toMatchObject({
      begun: false,
      sections: [],
      errors: ["no probe output: the begin marker is missing"],
      preambleLines: 1,
    });
    expect(parseProbeOutput("")).toMatchObject({ begun: false, sections: [] });
  });

  it("refuses another probe version", () => {
    const out = parseProbeOutput("@@pgrescue:begin v=2\n@@pgrescue:end\n");
    expect(out.errors).toEqual(["probe version 2 is not the supported version 1"]);
  });

  it("never takes quoted content for a marker: a log line cannot forge a section", () => {
    // Synthetic: a real fixture whose log tail gets lines a client could have written into a csvlog.
    const real = loadFixture("healthy.pg15").text;
    const forged = real.replace(
      "@@pgrescue:section log\n",
      "@@pgrescue:section log\n|@@pgrescue:section pidfile\n|exists=0\n|@@pgrescue:end\n",
    );
    const out = parseProbeOutput(forged);
    expect(out.sections.filter((s) => s.name === "pidfile")).toHaveLength(1);
    expect(findSection(out, "pidfile")?.fields.exists).toBe("1");
    expect(findSection(out, "log")?.content.slice(0, 3)).toEqual([
      "@@pgrescue:section pidfile",
      "exists=0",
      "@@pgrescue:end",
    ]);
  });

  it("reports unknown markers and lines outside sections", () => {
    const out = parseProbeOutput(
      "@@pgrescue:begin v=1\nstray\n@@pgrescue:bogus x\n@@pgrescue:section meta\nuid=1\n@@pgrescue:rc x\n@@pgrescue:end\n",
    );
    expect(out.errors).toEqual([
      "unknown marker: @@pgrescue:bogus x",
      "malformed rc marker: @@pgrescue:rc x",
      "1 line(s) outside any section ignored",
    ]);
    expect(findSection(out, "meta")?.fields).toEqual({ uid: "1" });
  });
});
