import { describe, expect, it } from "vitest";
import {
  ShellValueError,
  quoteAbsolutePath,
  quoteForDisplay,
  requireAbsolutePath,
  requirePid,
  requireUnsignedInt,
  shellQuote,
  validateAbsolutePath,
} from "./quote.ts";

describe("shellQuote", () => {
  it("wraps a plain word in single quotes", () => {
    expect(shellQuote("/var/lib/postgresql/15/main")).toBe("'/var/lib/postgresql/15/main'");
  });

  it("closes, escapes and reopens around a single quote", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("'")).toBe(`''\\'''`);
  });

  it("leaves every other shell metacharacter inert inside the quotes", () => {
    const nasty = '$(rm -rf /) `id` "x" ; | & > < * ? [ ] \\ \n ~';
    expect(shellQuote(nasty)).toBe(`'${nasty}'`);
  });

  it("quotes the empty string as an empty word", () => {
    expect(shellQuote("")).toBe("''");
  });

  it("refuses NUL, which no argument can carry", () => {
    expect(() => shellQuote("a\0b")).toThrow(ShellValueError);
  });
});

describe("validateAbsolutePath", () => {
  it.each([
    "/var/lib/postgresql/15/main",
    "/",
    "/srv/pg data/main",
    "/données/pg_15",
    "/opt/pg-18/data@prod,a=b:c~d+e%f",
  ])("accepts %s", (path) => {
    expect(validateAbsolutePath(path)).toEqual({ ok: true, value: path });
  });

  it.each([
    ["", "is empty"],
    ["relative/dir", "is not an absolute path"],
    ["/a/../etc", "contains a '.' or '..' segment"],
    ["/a/./b", "contains a '.' or '..' segment"],
    ["/a//b", "contains '//'"],
    ["/a/b/", "ends with '/'"],
    ["/a/-rf", "has a segment starting with '-'"],
    ["/a\nb", "contains a line break"],
    ["/a\0b", "contains a NUL byte"],
    ["/a'b", "contains characters outside letters, digits, space and ._/+@%,:=~-"],
    ["/a$(id)", "contains characters outside letters, digits, space and ._/+@%,:=~-"],
    ["/a;b", "contains characters outside letters, digits, space and ._/+@%,:=~-"],
    ["/a*", "contains characters outside letters, digits, space and ._/+@%,:=~-"],
    [`/${"x".repeat(1024)}`, "is longer than 1024 characters"],
  ])("rejects %j: %s", (path, error) => {
    expect(validateAbsolutePath(path)).toEqual({ ok: false, error });
  });

  it("names the parameter in the thrown error", () => {
    expect(() => requireAbsolutePath("data", "pgdata")).toThrow("pgdata: is not an absolute path");
    expect(quoteAbsolutePath("/srv/pg data", "pgdata")).toBe("'/srv/pg data'");
  });
});

describe("numeric arguments", () => {
  it("accepts PIDs within the kernel's limit only", () => {
    expect(requirePid(4242, "pid")).toBe("4242");
    expect(() => requirePid(0, "pid")).toThrow(ShellValueError);
    expect(() => requirePid(-1, "pid")).toThrow(ShellValueError);
    expect(() => requirePid(1.5, "pid")).toThrow(ShellValueError);
    expect(() => requirePid(4_194_305, "pid")).toThrow(ShellValueError);
  });

  it("renders unsigned integers in decimal, bounded", () => {
    expect(requireUnsignedInt(0xffff_ffff, "key")).toBe("4294967295");
    expect(() => requireUnsignedInt(2 ** 32, "key")).toThrow(
      "key: is not an integer in 0..4294967295",
    );
    expect(() => requireUnsignedInt(Number.NaN, "key")).toThrow(ShellValueError);
  });
});

describe("quoteForDisplay", () => {
  it("escapes every control character a terminal could act on, and cuts long values", () => {
    expect(quoteForDisplay("db1")).toBe('"db1"');
    expect(quoteForDisplay("a\u001b[2J\u0000b\u007f\u009b31m")).toBe(
      '"a\\u001b[2J\\u0000b\\u007f\\u009b31m"',
    );
    expect(quoteForDisplay("x".repeat(100))).toBe(`"${"x".repeat(80)}…"`);
  });
});
