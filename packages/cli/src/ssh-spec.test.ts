import { describe, expect, it } from "vitest";
import { parseSshSpec, UsageError } from "./ssh-spec.ts";

describe("parseSshSpec", () => {
  it.each([
    ["postgres@db1", { username: "postgres", host: "db1", port: 22 }],
    [
      "postgres@db1.example.com:2222",
      { username: "postgres", host: "db1.example.com", port: 2222 },
    ],
    ["admin@10.0.0.5:22", { username: "admin", host: "10.0.0.5", port: 22 }],
    ["admin@[::1]:2200", { username: "admin", host: "::1", port: 2200 }],
    ["admin@::1", { username: "admin", host: "::1", port: 22 }],
  ])("%s", (input, expected) => {
    expect(parseSshSpec(input)).toEqual(expected);
  });

  it.each([
    ["db1", /USER@HOST/],
    ["@db1", /USER@HOST/],
    ["postgres@db1:0", /port/],
    ["postgres@db1:65536", /port/],
    ["postgres@db1:22x", /port/],
    ["postgres@db1;rm -rf /", /host/i],
    ["postgres@$(reboot)", /host/i],
    ["post gres@db1", /user/i],
    ["postgres@db1\n", /host/i],
    ["-oProxyCommand=x@db1", /user/i],
  ])("refuses %j", (input, message) => {
    expect(() => parseSshSpec(input)).toThrow(UsageError);
    expect(() => parseSshSpec(input)).toThrow(message);
  });
});
