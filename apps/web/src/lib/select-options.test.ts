import { describe, expect, it } from "vitest";
import { withCurrentOption } from "./select-options.ts";

describe("withCurrentOption", () => {
  it("adds the URL's value while the known values do not have it (e.g. still loading)", () => {
    expect(withCurrentOption([], "db1")).toEqual(["db1"]);
    expect(withCurrentOption(["db2"], "db1")).toEqual(["db2", "db1"]);
  });

  it("leaves the list alone when the value is known or no filter is set", () => {
    expect(withCurrentOption(["db1", "db2"], "db1")).toEqual(["db1", "db2"]);
    expect(withCurrentOption(["db1"], "")).toEqual(["db1"]);
  });
});
