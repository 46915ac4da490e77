import { describe, expect, it } from "vitest";
import { buildActionScript, type TActionSpec } from "../actions/action-script.ts";
import { buildProbeScript } from "../probe/probe-script.ts";
import { ShellValueError } from "../shell/quote.ts";
import { scanShellForStateChanges } from "../shell/scan-read-only.ts";
import {
  ACTION_SH,
  ACTION_SUPERVISOR_SH,
  HOST_SCRIPT_FILES,
  LIB_SH,
  PROBE_SH,
  PROBE_SUPERVISOR_SH,
  SUPERVISOR_SH,
} from "./generated/host-scripts.ts";
import { renderPrelude } from "./prelude.ts";

// The files themselves, as vitest reads them (no node:fs in core, not even in its tests).
const FILES = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>("./*.sh", { query: "?raw", import: "default", eager: true }),
  ).map(([path, text]) => [path.slice("./".length), text]),
);

const SPEC: TActionSpec = {
  rung: 3,
  pgdata: "/srv/pg/main",
  pgdataReal: "/srv/pg/main",
  instanceUid: 101,
  requireInstanceUser: true,
  tools: ["ipcs"],
  checks: [],
  operations: [],
};

/** The PGR_ parameters a text reads (`$PGR_X`, `"${PGR_X}"`). */
function readParameters(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{?(PGR_[A-Z0-9_]+)/g)) if (m[1] !== undefined) names.add(m[1]);
  return [...names].sort();
}

/** The PGR_ parameters a prelude sets (`PGR_X=` at the start of a line). */
function setParameters(script: string): string[] {
  return [...script.matchAll(/^(PGR_[A-Z0-9_]+)=/gm)].map((m) => m[1] ?? "").sort();
}

/** Lines outside any function: not indented, not a comment, not a function's first or last line. */
function topLevelLines(text: string): string[] {
  return text
    .split("\n")
    .filter(
      (l) =>
        l !== "" &&
        !l.startsWith(" ") &&
        !l.startsWith("#") &&
        l !== "}" &&
        !/^pgr_\w+\(\) \{( .*; \})?$/.test(l),
    );
}

describe("the generated constants", () => {
  it("equal the .sh files byte for byte (run `pnpm --filter @pgrescue/core run generate` after editing one)", () => {
    expect(Object.keys(HOST_SCRIPT_FILES).sort()).toEqual(Object.keys(FILES).sort());
    expect(Object.keys(FILES).sort()).toEqual([
      "action-supervisor.sh",
      "action.sh",
      "lib.sh",
      "probe-supervisor.sh",
      "probe.sh",
      "supervisor.sh",
    ]);
    for (const [file, text] of Object.entries(FILES)) {
      expect(HOST_SCRIPT_FILES[file], file).toBe(text);
    }
    expect([LIB_SH, PROBE_SH, ACTION_SH]).toEqual([
      FILES["lib.sh"],
      FILES["probe.sh"],
      FILES["action.sh"],
    ]);
  });

  it("are printable ASCII ending with a newline, so string and bytes are the same thing", () => {
    for (const [file, text] of Object.entries(HOST_SCRIPT_FILES)) {
      expect(/^[\n\x20-\x7e]*\n$/.test(text), file).toBe(true);
    }
  });
});

describe("the host scripts", () => {
  it("define functions only; probe.sh and action.sh end by calling pgr_main with stdin from /dev/null", () => {
    expect(topLevelLines(LIB_SH)).toEqual([]);
    for (const text of [SUPERVISOR_SH, PROBE_SUPERVISOR_SH, ACTION_SUPERVISOR_SH])
      expect(topLevelLines(text)).toEqual([]);
    expect(topLevelLines(PROBE_SH)).toEqual(["pgr_main </dev/null"]);
    expect(topLevelLines(ACTION_SH)).toEqual(["pgr_main </dev/null"]);
    expect(PROBE_SH.endsWith("\npgr_main </dev/null\n")).toBe(true);
    expect(ACTION_SH.endsWith("\npgr_main </dev/null\n")).toBe(true);
  });

  it("define each routine once: no function of lib.sh is defined again in probe.sh or action.sh", () => {
    const defined = (text: string) => [...text.matchAll(/^(pgr_\w+)\(\)/gm)].map((m) => m[1]);
    const lib = defined(LIB_SH);
    expect(lib).toEqual(
      expect.arrayContaining(["pgr_emit", "pgr_quote", "pgr_bounded", "pgr_read_pidfile"]),
    );
    for (const body of [
      PROBE_SH,
      ACTION_SH,
      SUPERVISOR_SH,
      PROBE_SUPERVISOR_SH,
      ACTION_SUPERVISOR_SH,
    ]) {
      expect(defined(body).filter((name) => lib.includes(name))).toEqual([]);
    }
    // Nothing is defined twice across the files of one script either.
    const probeNames = [LIB_SH, SUPERVISOR_SH, PROBE_SUPERVISOR_SH, PROBE_SH].flatMap(defined);
    expect(new Set(probeNames).size).toBe(probeNames.length);
    const actionNames = [LIB_SH, SUPERVISOR_SH, ACTION_SUPERVISOR_SH, ACTION_SH].flatMap(defined);
    expect(new Set(actionNames).size).toBe(actionNames.length);
    // The pid-file fields and the connect target are read in lib.sh only.
    expect(PROBE_SH).not.toMatch(/read -r pgr_l4/);
    expect(ACTION_SH).not.toMatch(/read -r pgr_l4/);
  });

  it("lib.sh and the probe's files pass the read-only scan on their own", () => {
    expect(scanShellForStateChanges(LIB_SH)).toEqual([]);
    expect(scanShellForStateChanges(PROBE_SH)).toEqual([]);
    expect(scanShellForStateChanges(SUPERVISOR_SH)).toEqual([]);
    expect(scanShellForStateChanges(PROBE_SUPERVISOR_SH)).toEqual([]);
    // action-supervisor.sh only reads too: its state-changing commands are pgr_do lines of the plan.
    expect(scanShellForStateChanges(ACTION_SUPERVISOR_SH)).toEqual([]);
  });

  it("read exactly the parameters the renderers set (shellcheck cannot see that uppercase ones are set)", () => {
    const probe = buildProbeScript({ pgdata: "/x" });
    expect(readParameters(`${LIB_SH}${SUPERVISOR_SH}${PROBE_SUPERVISOR_SH}${PROBE_SH}`)).toEqual(
      setParameters(probe),
    );
    const action = buildActionScript(SPEC).script;
    expect(readParameters(`${LIB_SH}${ACTION_SH}`)).toEqual(setParameters(action));
    const supervised = buildActionScript({
      ...SPEC,
      operations: [{ op: "verify-unit", unit: "postgresql@15-main.service" }],
    }).script;
    expect(readParameters(`${LIB_SH}${SUPERVISOR_SH}${ACTION_SUPERVISOR_SH}${ACTION_SH}`)).toEqual(
      setParameters(supervised),
    );
  });
});

describe("renderPrelude", () => {
  it("writes numbers in decimal and every string single-quoted", () => {
    expect(
      renderPrelude([
        ["PGR_A", 0],
        ["PGR_B", "/srv/pg data/it's"],
        ["PGR_C", ""],
      ]),
    ).toEqual(["PGR_A=0", "PGR_B='/srv/pg data/it'\\''s'", "PGR_C=''"]);
  });

  it.each([
    [[["pgr_a", 1]], "is not a PGR_ parameter name"],
    [[["PGR_A; rm -rf /", 1]], "is not a PGR_ parameter name"],
    [[["PATH", "/tmp"]], "is not a PGR_ parameter name"],
    [
      [
        ["PGR_A", 1],
        ["PGR_A", 2],
      ],
      "PGR_A is set twice",
    ],
    [[["PGR_A", -1]], "PGR_A: is not an integer"],
    [[["PGR_A", 1.5]], "PGR_A: is not an integer"],
    [[["PGR_A", "a\0b"]], "contains a NUL byte"],
  ] as const)("refuses %j", (entries, message) => {
    expect(() => renderPrelude(entries)).toThrow(ShellValueError);
    expect(() => renderPrelude(entries)).toThrow(message);
  });
});
