import { describe, expect, it } from "vitest";
import { ShellValueError } from "../shell/quote.ts";
import { scanShellForStateChanges } from "../shell/scan-read-only.ts";
import {
  LIB_SH,
  PROBE_SH,
  PROBE_SUPERVISOR_SH,
  SUPERVISOR_SH,
} from "../scripts/generated/host-scripts.ts";
import {
  PROBE_MARKER,
  PROBE_SCRIPT_BODY,
  PROBE_VERSION,
  buildProbeScript,
} from "./probe-script.ts";

const PARAMS = [
  { pgdata: "/var/lib/postgresql/15/main" },
  {
    pgdata: "/srv/pg data/main",
    pgBin: "/usr/lib/postgresql/15/bin",
    logFile: "/var/log/postgresql/postgresql-15-main.log",
  },
  { pgdata: "/données/pg", pgBin: "/opt/pg-18/bin" },
];

describe("buildProbeScript", () => {
  it.each(PARAMS)("is read-only for %j: the denylist scan finds nothing", (params) => {
    expect(scanShellForStateChanges(buildProbeScript(params))).toEqual([]);
  });

  it("interpolates only single-quoted, validated values; the body is constant", () => {
    const a = buildProbeScript({ pgdata: "/a" });
    const b = buildProbeScript({ pgdata: "/srv/pg data/main", pgBin: "/b", logFile: "/c.log" });
    expect(a).toContain("PGR_PGDATA='/a'\nPGR_PGBIN=''\nPGR_LOGFILE=''\n");
    expect(b).toContain("PGR_PGDATA='/srv/pg data/main'\nPGR_PGBIN='/b'\nPGR_LOGFILE='/c.log'\n");
    const body = (script: string): string =>
      script.slice(script.indexOf(`PGR_VERSION=${PROBE_VERSION}`));
    expect(body(a)).toBe(body(b));
    expect(a.endsWith(`\n\n${PROBE_SCRIPT_BODY}`)).toBe(true);
    expect(PROBE_SCRIPT_BODY).toBe(`${LIB_SH}${SUPERVISOR_SH}${PROBE_SUPERVISOR_SH}${PROBE_SH}`);
  });

  it.each([
    [{ pgdata: "relative" }, "pgdata: is not an absolute path"],
    [{ pgdata: "/x'; kill -9 1; echo '" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x$(reboot)" }, "pgdata: contains characters outside"],
    [{ pgdata: "/x\nkill 1" }, "pgdata: contains a line break"],
    [{ pgdata: "/x", pgBin: "bin" }, "pgBin: is not an absolute path"],
    [{ pgdata: "/x", logFile: "/a/../../etc/shadow" }, "logFile: contains a '.' or '..' segment"],
  ])("refuses %j", (params, message) => {
    expect(() => buildProbeScript(params)).toThrow(ShellValueError);
    expect(() => buildProbeScript(params)).toThrow(message);
  });

  it("is POSIX sh: none of bash's extensions", () => {
    // Comments may say anything; the code may not (shellcheck -s sh checks more: test/host-scripts.test.ts).
    const script = buildProbeScript({ pgdata: "/x" })
      .split("\n")
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
    ]) {
      expect(script, bashism).not.toContain(bashism);
    }
  });

  it("defines everything in a function and runs it with stdin from /dev/null", () => {
    const script = buildProbeScript({ pgdata: "/x" });
    // sh -s reads the script from stdin: no command may consume it, and a truncated delivery runs nothing.
    expect(script.trimEnd().split("\n").at(-1)).toBe("pgr_main </dev/null");
  });

  it("forces the C locale and writes versioned markers", () => {
    const script = buildProbeScript({ pgdata: "/x" });
    expect(script).toContain("LC_ALL=C");
    expect(script).toContain(`PGR_VERSION=${PROBE_VERSION}\n`);
    expect(script).toContain("PGR_M='@@pgrescue:'\n");
    expect(script).toContain('pgr_emit "begin v=$PGR_VERSION"');
    expect(PROBE_MARKER).toBe("@@pgrescue:");
  });

  it("bounds every slow or large read, with limits from the prelude", () => {
    const script = buildProbeScript({ pgdata: "/x" });
    expect(script).toContain(
      "PGR_TOOL_TIMEOUT=10\nPGR_ISREADY_TIMEOUT=3\nPGR_LOG_TAIL_BYTES=16384\nPGR_LOG_TAIL_LINES=50\nPGR_MAX_PROCS=4000\nPGR_MAX_SEMSETS=1024\n",
    );
    expect(script).toContain('-t "$PGR_ISREADY_TIMEOUT"');
    expect(script).toContain('timeout "$PGR_TOOL_TIMEOUT" "$@"');
    expect(script).toContain("head -c 4096");
    expect(script).toContain('tail -c "$PGR_LOG_TAIL_BYTES"');
    expect(script).toContain('tail -n "$PGR_LOG_TAIL_LINES"');
    expect(script).toContain('head -n "$PGR_MAX_SEMSETS"');
    expect(script).toContain('-v max="$PGR_MAX_PROCS"');
  });

  it("never prints pg_controldata's mock authentication nonce", () => {
    expect(buildProbeScript({ pgdata: "/x" })).toContain("!/^Mock authentication nonce/");
  });
});
