// The step's status and error from real action-script outputs (captured on lab hosts, core's action fixtures).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseActionOutput } from "@pgrescue/core";
import { CommandTimeoutError } from "@pgrescue/remote";
import { describe, expect, it } from "vitest";
import { describeFinishedStep, describeRunFailure, type TActionRunEnd } from "./step-status.ts";

const FIXTURES = fileURLToPath(new URL("../../../core/src/actions/__fixtures__/", import.meta.url));

/** A captured run as the host returned it: the script's exit code and its parsed output. */
function capturedRun(name: string): Extract<TActionRunEnd, { kind: "exited" }> {
  const meta = JSON.parse(readFileSync(`${FIXTURES}${name}.meta.json`, "utf8")) as {
    exitCode: number | null;
  };
  const report = parseActionOutput(readFileSync(`${FIXTURES}${name}.txt`, "utf8"));
  return { kind: "exited", exitCode: meta.exitCode, report };
}

const ALL = readdirSync(FIXTURES)
  .filter((file) => file.endsWith(".meta.json"))
  .map((file) => file.slice(0, -".meta.json".length));

describe("describeFinishedStep", () => {
  it("has every kind of captured run to decide on", () => {
    const exits = new Set(ALL.map((name) => capturedRun(name).exitCode));
    expect([...exits]).toEqual(expect.arrayContaining([0, 2, 3, 4]));
  });

  it.each(ALL.filter((name) => capturedRun(name).exitCode === 0))(
    "%s: exit 0 succeeded, with no error",
    (name) => {
      const run = capturedRun(name);
      expect(describeFinishedStep(run)).toEqual({
        status: "SUCCEEDED",
        exitCode: 0,
        result: run.report,
        error: null,
      });
    },
  );

  it("a refusal by the script's re-verification changed nothing: REFUSED, in the script's own words", () => {
    const finished = describeFinishedStep(capturedRun("refused-backend-exited.pg15"));
    expect(finished).toMatchObject({ status: "REFUSED", exitCode: 3 });
    expect(finished.error).toBe(
      "refused: PID 4443 (client-backend) has exited since the diagnosis (zombie)",
    );
  });

  it("a script that cannot run there changed nothing: REFUSED, saying why", () => {
    expect(describeFinishedStep(capturedRun("unable-wrong-user.pg18"))).toMatchObject({
      status: "REFUSED",
      exitCode: 2,
      error: "cannot run: this step must run as the instance's OS user (uid 101), not uid 61001",
    });
  });

  it.each(["failed-start-port-taken.pg15", "rung1-stopped-postmaster-timeout.pg18"])(
    "%s: an action that failed after acting is FAILED",
    (name) => {
      const finished = describeFinishedStep(capturedRun(name));
      expect(finished).toMatchObject({ status: "FAILED", exitCode: 4 });
      expect(finished.error).not.toBeNull();
    },
  );

  it("a script that died without its end line failed: its exit code, or that it said nothing", () => {
    // A complete report whose exit the host does not confirm (killed by a signal afterwards).
    const complete = capturedRun("rung3-zombies.pg15").report;
    expect(describeFinishedStep({ kind: "exited", exitCode: 137, report: complete })).toMatchObject(
      {
        status: "FAILED",
        error: "exit code 137",
      },
    );
    expect(
      describeFinishedStep({ kind: "exited", exitCode: null, report: parseActionOutput("") }),
    ).toMatchObject({ status: "FAILED", error: "no action output (the script did not start)" });
  });

  it("a run the connection or the executor's timeout ended is FAILED with that reason, and no exit code", () => {
    const failure = describeRunFailure(
      new CommandTimeoutError(75_000, "confirmed", { stdout: "", stderr: "" }),
    );
    expect(failure).toMatch(/^COMMAND_TIMEOUT: The command did not finish within 75 s/);
    const finished = describeFinishedStep({ kind: "failed", failure });
    expect(finished).toMatchObject({ status: "FAILED", exitCode: null, error: failure });
    expect(finished.result.begun).toBe(false);
  });

  it("describes an unexpected error by its message", () => {
    expect(describeRunFailure(new Error("socket hang up"))).toBe("socket hang up");
    expect(describeRunFailure("plain text")).toBe("plain text");
  });
});
