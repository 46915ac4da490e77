import { describe, expect, it } from "vitest";
import { classifyFinishedCommand, detectSudoProblem, findMissingCommand } from "./classify.ts";
import { CommandMissingError, SudoError } from "./errors.ts";
import type { TRunResult } from "./types.ts";

// Messages captured from Debian 12 (dash, bash 5.2, coreutils 9.1, sudo 1.9.13) with LC_ALL=C.
describe("findMissingCommand", () => {
  it.each([
    ["sh: 1: nosuchcmd: not found", "nosuchcmd"],
    ["/bin/sh: 1: pg_ctl: not found", "pg_ctl"],
    ["sh: 1: exec: timeout: not found", "timeout"],
    ["bash: nosuchcmd: command not found", "nosuchcmd"],
    ["bash: line 1: nosuchcmd: command not found", "nosuchcmd"],
    ["env: 'nosuchcmd': No such file or directory", "nosuchcmd"],
    ["timeout: failed to run command 'nosuchcmd': No such file or directory", "nosuchcmd"],
    ["sudo: nosuchcmd: command not found", "nosuchcmd"],
    ["zsh:1: command not found: nosuchcmd", "nosuchcmd"],
  ])("reads %j", (stderr, name) => {
    expect(findMissingCommand(`${stderr}\n`)).toBe(name);
  });

  it("reports the last missing command and nothing for unrelated output", () => {
    expect(findMissingCommand("sh: 1: a: not found\nsh: 2: b: not found\n")).toBe("b");
    expect(findMissingCommand("ERROR: relation not found\n")).toBe("");
  });
});

describe("detectSudoProblem", () => {
  it("recognises sudo's refusals", () => {
    expect(detectSudoProblem("sudo: a password is required\n")).toBe("password-required");
    expect(
      detectSudoProblem(
        "Sorry, user admin is not allowed to execute '/usr/bin/env LC_ALL=C /bin/sh -c id' as root on db1.\n",
      ),
    ).toBe("not-allowed");
    expect(detectSudoProblem("admin is not in the sudoers file.\n")).toBe("not-allowed");
    expect(
      detectSudoProblem(
        "sudo: unknown user nosuchuser\nsudo: error initializing audit plugin sudoers_audit\n",
      ),
    ).toBe("unknown-user");
    expect(detectSudoProblem("sudo: some future message\n")).toBe("other");
    expect(detectSudoProblem("permission denied\n")).toBeUndefined();
  });
});

describe("classifyFinishedCommand", () => {
  const endpoint = { host: "db1", port: 22, username: "admin" };
  const result = (exitCode: number, stderr: string): TRunResult => ({
    stdout: "",
    stderr,
    exitCode,
    signal: null,
    durationMs: 5,
    truncated: { stdout: false, stderr: false },
    bytes: { stdout: 0, stderr: stderr.length },
    wrappedCommand: "",
    hostKey: { algorithm: "ssh-ed25519", fingerprint: "SHA256:x", base64: "" },
    hostKeyStatus: "pinned",
  });

  it("turns a sudo refusal before the wrapper started into a SudoError", () => {
    const error = classifyFinishedCommand(result(1, "sudo: a password is required\n"), {
      endpoint,
      become: "postgres",
      markerSeen: false,
    });
    expect(error).toBeInstanceOf(SudoError);
    expect(error?.message).toContain("admin ALL=(postgres) NOPASSWD: ALL");
  });

  it("does not blame sudo once the command itself ran", () => {
    expect(
      classifyFinishedCommand(result(1, "sudo: a password is required\n"), {
        endpoint,
        become: "postgres",
        markerSeen: true,
      }),
    ).toBeUndefined();
    expect(
      classifyFinishedCommand(result(1, "sudo: a password is required\n"), {
        endpoint,
        become: undefined,
        markerSeen: false,
      }),
    ).toBeUndefined();
  });

  it("turns exit 127 into CommandMissingError naming the command", () => {
    const error = classifyFinishedCommand(result(127, "sh: 1: pg_ctl: not found\n"), {
      endpoint,
      become: undefined,
      markerSeen: true,
    });
    expect(error).toBeInstanceOf(CommandMissingError);
    expect(error?.message).toContain("`pg_ctl`");
  });

  it("leaves ordinary failures to the caller", () => {
    expect(
      classifyFinishedCommand(result(3, "pg_ctl: no server running\n"), {
        endpoint,
        become: undefined,
        markerSeen: true,
      }),
    ).toBeUndefined();
  });
});
