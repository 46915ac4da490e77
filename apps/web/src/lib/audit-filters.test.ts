import { describe, expect, it } from "vitest";
import { readAuditFilters, toAuditListInput, toAuditSearch } from "./audit-filters.ts";
import { searchOfPageParams, withSearch } from "./url-filters.ts";

describe("audit filters", () => {
  it("round-trip through the URL, trimmed, with the action in lower case", () => {
    const filters = readAuditFilters(
      new URLSearchParams(
        "action=%20Step.Approve%20&actor=night&incident=cm1x&to=2026-12-01T08:00&bogus=1",
      ),
    );
    expect(filters).toEqual({
      action: "step.approve",
      actor: "night",
      targetType: "",
      targetId: "",
      incident: "cm1x",
      from: "",
      to: "2026-12-01T08:00",
    });
    expect(toAuditSearch(filters)).toBe(
      "action=step.approve&actor=night&incident=cm1x&to=2026-12-01T08%3A00",
    );
    expect(readAuditFilters(new URLSearchParams(toAuditSearch(filters)))).toEqual(filters);
  });

  it("read a submitted form the same way", () => {
    const form = new FormData();
    form.set("targetType", " Step ");
    form.set("targetId", "cm9");
    form.set("actor", "");
    expect(toAuditSearch(readAuditFilters(form))).toBe("targetType=Step&targetId=cm9");
  });

  it("become audit.list input with local times as dates and blanks left out", () => {
    const input = toAuditListInput(
      readAuditFilters(new URLSearchParams("incident=cm1x&from=2026-11-30T23:15")),
      50,
    );
    expect(input).toMatchObject({
      incidentId: "cm1x",
      action: undefined,
      actor: undefined,
      targetType: undefined,
      limit: 50,
    });
    expect(input.from?.getTime()).toBe(new Date(2026, 10, 30, 23, 15).getTime());
    expect(input.to).toBeUndefined();
  });
});

describe("searchOfPageParams", () => {
  it("keeps single values and drops repeated or missing ones", () => {
    expect(
      searchOfPageParams({ action: "step.", actor: "a b", tag: ["x", "y"], none: undefined }),
    ).toBe("action=step.&actor=a+b");
    expect(withSearch("/admin/audit", searchOfPageParams({}))).toBe("/admin/audit");
  });
});
