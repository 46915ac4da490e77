import { describe, expect, it } from "vitest";
import { readPlan } from "./plan-view.ts";

describe("readPlan", () => {
  it("reads targets and checks from a stored rung-0 plan", () => {
    const plan = readPlan({
      rung: 0,
      cautions: [],
      checks: ["PID 222 (postmaster): still started at tick 503585"],
      expectedToFail: false,
      destructive: false,
      targets: {
        processes: [
          {
            pid: 222,
            role: "postmaster",
            state: "T",
            wchan: "do_signal_stop",
            orphan: false,
            signals: ["SIGCONT"],
            uid: 101,
          },
        ],
        ipc: [],
        files: [],
        zombies: [{ pid: 242, ppid: 222, startTicks: 1 }],
      },
      untargeted: [],
    });
    expect(plan?.targets.processes[0]).toMatchObject({ pid: 222, signals: ["SIGCONT"] });
    expect(plan?.targets.zombies).toEqual([{ pid: 242, ppid: 222 }]);
  });
  it("leaves out what it cannot read instead of failing", () => {
    expect(readPlan({ targets: "garbage", checks: 3 })).toMatchObject({
      checks: [],
      targets: { processes: [] },
    });
    expect(readPlan(null)).toBeNull();
  });
});
