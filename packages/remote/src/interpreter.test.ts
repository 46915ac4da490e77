import { ACTION_INVOCATION, PROBE_INVOCATION } from "@pgrescue/core";
import { describe, expect, it } from "vitest";
import { InvalidTargetError } from "./errors.ts";
import {
  buildInterpreterCommand,
  DEFAULT_SCRIPT_INTERPRETER,
  SCRIPT_INTERPRETERS,
  type TScriptInterpreter,
} from "./interpreter.ts";

describe("buildInterpreterCommand", () => {
  it("maps the four allowed interpreters to their stdin commands; the default is production's", () => {
    expect(
      Object.keys(SCRIPT_INTERPRETERS).map((name) =>
        buildInterpreterCommand(name as TScriptInterpreter),
      ),
    ).toEqual(["/bin/sh -s", "dash -s", "bash --posix -s", "busybox sh -s"]);
    expect(buildInterpreterCommand()).toBe(PROBE_INVOCATION.command);
    expect(buildInterpreterCommand(DEFAULT_SCRIPT_INTERPRETER)).toBe(ACTION_INVOCATION.command);
  });

  it.each([
    "sh",
    "bash",
    "/bin/bash -c 'rm -rf /'",
    "dash; reboot",
    "busybox sh -s",
    "",
    "constructor",
    "__proto__",
    "toString",
  ])("refuses %j", (name) => {
    // A value from outside the type system (plain JS, a parsed request) must not get through either.
    const call = () => buildInterpreterCommand(name as TScriptInterpreter);
    expect(call).toThrow(InvalidTargetError);
    expect(call).toThrow("Invalid interpreter");
  });
});
