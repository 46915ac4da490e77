import { describe, expect, it } from "vitest";
import { InvalidTargetError } from "./errors.ts";
import { buildKillCommand, findStartMarker, wrapCommand } from "./wrap-command.ts";

const nonce = "0123456789abcdef";

describe("wrapCommand", () => {
  it("forces LC_ALL=C, reports its process group and runs the command under a remote timeout", () => {
    // Checked by running it in dash: prints the marker, then pg_ctl's own output.
    expect(
      wrapCommand({ command: "pg_ctl status -D '/srv/pg data'", remoteTimeoutSeconds: 31, nonce }),
    ).toBe(
      "exec env LC_ALL=C /bin/sh -c 'read -r s </proc/$$/stat; s=${s##*) }; set -- $s; printf '\\''\\036pgrescue 0123456789abcdef %s %s\\036\\n'\\'' \"$$\" \"${20}\" >&2; exec timeout -k 2 31 /bin/sh -c '\\''pg_ctl status -D '\\''\\'\\'''\\''/srv/pg data'\\''\\'\\'''\\'''\\'''",
    );
  });

  it("puts sudo first and sets LC_ALL again after it, because sudo resets the environment", () => {
    const wrapped = wrapCommand({
      command: "id",
      become: "postgres",
      remoteTimeoutSeconds: 5,
      nonce,
    });
    expect(wrapped).toMatch(
      /^exec env LC_ALL=C sudo -n -u 'postgres' -- env LC_ALL=C \/bin\/sh -c '/,
    );
  });

  it("validates every interpolated value", () => {
    expect(() =>
      wrapCommand({ command: "id", become: "root; id", remoteTimeoutSeconds: 5, nonce }),
    ).toThrow(/Invalid become/);
    expect(() =>
      wrapCommand({ command: "id", become: "-s", remoteTimeoutSeconds: 5, nonce }),
    ).toThrow(/Invalid become/);
    expect(() => wrapCommand({ command: "id", remoteTimeoutSeconds: 0, nonce })).toThrow(
      /remote timeout/,
    );
    expect(() => wrapCommand({ command: "id", remoteTimeoutSeconds: 1.5, nonce })).toThrow(
      /remote timeout/,
    );
    expect(() => wrapCommand({ command: "id", remoteTimeoutSeconds: 5, nonce: "x'; id" })).toThrow(
      /nonce/,
    );
    expect(() => wrapCommand({ command: "", remoteTimeoutSeconds: 5, nonce })).toThrow(/command/);
    expect(() => wrapCommand({ command: "echo \0", remoteTimeoutSeconds: 5, nonce })).toThrow(
      /NUL/,
    );
  });
});

describe("buildKillCommand", () => {
  it("kills the recorded group as the same user, guarded by the leader's start time", () => {
    const command = buildKillCommand({ pgid: 4242, startTime: "981234", become: "postgres" });
    expect(command).toMatch(
      /^exec env LC_ALL=C sudo -n -u 'postgres' -- env LC_ALL=C \/bin\/sh -c '/,
    );
    expect(command).toContain("g=4242; t=981234; n=0");
    expect(command).toContain("kill -s KILL -- -$g");
  });

  it("refuses anything but numbers from the (untrusted) marker", () => {
    expect(() => buildKillCommand({ pgid: 0, startTime: "1" })).toThrow(InvalidTargetError);
    expect(() => buildKillCommand({ pgid: -5, startTime: "1" })).toThrow(InvalidTargetError);
    expect(() => buildKillCommand({ pgid: 5, startTime: "1; reboot" })).toThrow(InvalidTargetError);
  });
});

describe("findStartMarker", () => {
  const marker = `\x1epgrescue ${nonce} 4242 981234\x1e\n`;

  it("finds this run's marker after login-shell noise", () => {
    const text = `motd noise\n${marker}real stderr`;
    const found = findStartMarker(text, nonce);
    expect(found?.marker).toEqual({ pgid: 4242, startTime: "981234" });
    expect(text.slice(0, found?.start)).toBe("motd noise\n");
    expect(text.slice(found?.end)).toBe("real stderr");
  });

  it("ignores markers with another nonce or malformed numbers", () => {
    expect(findStartMarker(`\x1epgrescue ffffffffffffffff 1 2\x1e\n`, nonce)).toBeUndefined();
    expect(findStartMarker(`\x1epgrescue ${nonce} 1 \x1e\n`, nonce)).toBeUndefined();
    expect(findStartMarker(`\x1epgrescue ${nonce} 1 2`, nonce)).toBeUndefined();
  });
});
