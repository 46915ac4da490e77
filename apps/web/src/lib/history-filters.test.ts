import { describe, expect, it } from "vitest";
import { readFilters, toListInput, toSearch } from "./history-filters.ts";

describe("history filters", () => {
  it("round-trip through the URL and ignore values the API would refuse", () => {
    const filters = readFilters(
      new URLSearchParams(
        "host=db1&status=CLOSED&outcome=BOGUS&text=%20zombie%20&from=2026-11-01T00:00",
      ),
    );
    expect(filters).toEqual({
      host: "db1",
      instance: "",
      status: "CLOSED",
      outcome: "",
      text: "zombie",
      from: "2026-11-01T00:00",
      to: "",
    });
    expect(toSearch(filters)).toBe("host=db1&status=CLOSED&text=zombie&from=2026-11-01T00%3A00");
  });

  it("become incidents.list input with local times as dates and blanks left out", () => {
    const input = toListInput(
      readFilters(new URLSearchParams("instance=main&from=2026-11-01T08:30")),
      25,
    );
    expect(input).toMatchObject({
      instance: "main",
      host: undefined,
      status: undefined,
      limit: 25,
    });
    expect(input.from?.getTime()).toBe(new Date(2026, 10, 1, 8, 30).getTime());
    expect(input.to).toBeUndefined();
  });
});
