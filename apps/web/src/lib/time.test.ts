import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, formatUtc } from "./time.ts";

describe("time formatting", () => {
  const now = new Date("2026-11-23T21:00:00Z");
  it("says how old something is", () => {
    expect(formatAge(new Date("2026-11-23T20:59:58Z"), now)).toBe("just now");
    expect(formatAge(new Date("2026-11-23T20:59:18Z"), now)).toBe("42 s ago");
    expect(formatAge(new Date("2026-11-23T20:55:00Z"), now)).toBe("5 min ago");
    expect(formatAge(new Date("2026-11-23T18:00:00Z"), now)).toBe("3 h ago");
    expect(formatAge(new Date("2026-11-21T20:00:00Z"), now)).toBe("2 d ago");
    expect(formatAge(new Date("2026-11-23T21:10:00Z"), now)).toBe("in 10 min");
  });
  it("gives UTC for the hover text and short durations", () => {
    expect(formatUtc(new Date("2026-11-23T20:57:22.123Z"))).toBe("2026-11-23 20:57:22 UTC");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(3169.3)).toBe("3.2 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
  });
});
