// Unit tests for the lab's shell quoting.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { quote, quoteAll } from "./shell.ts";

describe("quote", () => {
  it("leaves plain words alone and single-quotes everything else", () => {
    expect(quote("/usr/lib/postgresql/15/bin/pg_ctl")).toBe("/usr/lib/postgresql/15/bin/pg_ctl");
    expect(quote(5432)).toBe("5432");
    expect(quote("select pg_sleep(3600)")).toBe("'select pg_sleep(3600)'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote("")).toBe("''");
  });

  it("round-trips hostile text through a real sh", () => {
    const nasty = `a'b "c" $HOME \`id\` $(id) ; | & > * \\ \n\t~root`;
    expect(execFileSync("/bin/sh", ["-c", `printf '%s' ${quoteAll([nasty])}`]).toString()).toBe(
      nasty,
    );
  });
});
