import { describe, expect, it } from "vitest";
import {
  convertTicksToEpoch,
  describeProcessState,
  explainWchan,
  parseProcStat,
} from "./proc-stat.ts";

describe("parseProcStat", () => {
  it("parses a real postmaster line (fields 1–22 as the probe emits them)", () => {
    const line = "222 (postgres) T 1 222 222 0 -1 4194560 3107 11034 0 0 2 3 3 2 20 0 1 0 498930";
    expect(parseProcStat(line)).toEqual({
      ok: true,
      value: {
        pid: 222,
        comm: "postgres",
        state: "T",
        ppid: 1,
        pgrp: 222,
        session: 222,
        startTicks: 498930,
      },
    });
  });

  it("parses a full kernel line with all 52 fields", () => {
    const line =
      "7 (postgres) S 1 7 7 0 -1 4194560 1660 0 0 0 0 0 0 0 20 0 1 0 135955 225116160 7083 18446744073709551615 1 1 0 0 0 0 0 16777216 536890881 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";
    const parsed = parseProcStat(line);
    expect(parsed.ok && parsed.value.startTicks).toBe(135955);
  });

  it("takes the fields after the LAST ')' when comm holds spaces and parentheses", () => {
    const parsed = parseProcStat(
      "4242 (evil) S 1 (x)) Z 7 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 999",
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        pid: 4242,
        comm: "evil) S 1 (x)",
        state: "Z",
        ppid: 7,
        pgrp: 4242,
        session: 4242,
        startTicks: 999,
      },
    });
  });

  it("parses comm with spaces (Chrome-style thread names)", () => {
    const parsed = parseProcStat("31 (Web Content) R 1 31 31 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777");
    expect(parsed.ok && parsed.value.comm).toBe("Web Content");
  });

  it.each([
    ["", "no '(comm)' in stat line"],
    ["garbage", "no '(comm)' in stat line"],
    ["x (postgres) S 1 2 3", "bad pid field"],
    ["7 (postgres) S 1 2 3", "only 6 fields"],
    ["7 (postgres) ? 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", "non-numeric fixed fields"],
    ["7 (postgres) S x 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", "non-numeric fixed fields"],
  ])("reports %j as %s", (line, error) => {
    expect(parseProcStat(line)).toEqual({ ok: false, error });
  });
});

describe("process facts", () => {
  it("converts start ticks to epoch seconds with btime and CLK_TCK", () => {
    expect(convertTicksToEpoch(135955, 1795462406, 100)).toBe(1795463765.55);
  });

  it("labels states, including D and T, for the evidence", () => {
    expect(describeProcessState("D")).toBe("uninterruptible sleep");
    expect(describeProcessState("T")).toBe("stopped");
    expect(describeProcessState("t")).toBe("stopped by a tracer");
    expect(describeProcessState("Z")).toBe("zombie");
    expect(describeProcessState("?")).toBe("state ?");
  });

  it("explains the wait channels seen on stuck postmasters", () => {
    expect(explainWchan("anon_pipe_write")).toContain("full pipe");
    expect(explainWchan("do_signal_stop")).toContain("SIGSTOP");
    expect(explainWchan("rpc_wait_bit_killable")).toContain("NFS");
    expect(explainWchan("folio_wait_bit_common")).toContain("disk I/O");
    expect(explainWchan("something_new")).toBeNull();
    expect(explainWchan(null)).toBeNull();
  });
});
