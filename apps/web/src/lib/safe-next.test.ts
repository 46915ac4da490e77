import { describe, expect, it } from "vitest";
import { safeNextPath } from "./safe-next.ts";

describe("safeNextPath", () => {
  it("keeps paths on this console and refuses other origins", () => {
    expect(safeNextPath("/incidents/abc?x=1")).toBe("/incidents/abc?x=1");
    expect(safeNextPath(undefined)).toBe("/hosts");
    expect(safeNextPath("https://evil.example/")).toBe("/hosts");
    expect(safeNextPath("//evil.example/")).toBe("/hosts");
    expect(safeNextPath("/\\evil.example")).toBe("/hosts");
    expect(safeNextPath(["/history", "/hosts"])).toBe("/history");
  });
});
