import { describe, expect, it } from "vitest";
import { resolveOnOrigin, safeNextPath } from "./safe-next.ts";

/** Redirect tricks: each would leave the console in some browser, or reads as a path that does. */
const TRICKS = [
  "https://evil.example/",
  "//evil.example/",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "https:evil.example",
  "http:/evil.example",
  "javascript:alert(1)",
  "/\t/evil.example/",
  "/\n/evil.example/",
  "/\r/evil.example/",
  "/\u0000/evil.example/",
  "/ /evil.example/",
  "/\u00a0/evil.example/",
  "/\u200b/evil.example/",
  "/\u2028/evil.example/",
  "/./evil.example/../..//evil.example",
  "/.//evil.example",
  "/%2F/evil.example".replace("%2F", "/"),
  "%2F%2Fevil.example",
  "/%09/evil.example",
  "",
];

describe("safeNextPath", () => {
  it("keeps paths on this console", () => {
    expect(safeNextPath("/incidents/abc?x=1")).toBe("/incidents/abc?x=1");
    expect(safeNextPath("/history?q=a%20b#top")).toBe("/history?q=a%20b#top");
    expect(safeNextPath(undefined)).toBe("/hosts");
    expect(safeNextPath(["/history", "/hosts"])).toBe("/history");
    // an encoded slash stays encoded: a path on this console, not a host
    expect(safeNextPath("/%2F/evil.example")).toBe("/%2F/evil.example");
  });

  it.each(TRICKS)("refuses %j", (trick) => {
    const path = safeNextPath(trick);
    if (trick === "/%09/evil.example") {
      // percent-encoded, the tab is just a character of a path on this console
      expect(path).toBe("/%09/evil.example");
      return;
    }
    expect(path).toBe("/hosts");
  });

  it("never yields anything a browser would send to another host", () => {
    for (const trick of TRICKS) {
      const path = safeNextPath(trick);
      expect(new URL(path, "http://127.0.0.1:3000").origin).toBe("http://127.0.0.1:3000");
      expect(path.startsWith("//")).toBe(false);
    }
  });
});

describe("resolveOnOrigin", () => {
  it("gives an absolute URL on the page's own origin, or null", () => {
    expect(resolveOnOrigin("/history", "http://127.0.0.1:3000")).toBe(
      "http://127.0.0.1:3000/history",
    );
    expect(resolveOnOrigin("//evil.example/", "http://127.0.0.1:3000")).toBeNull();
    expect(resolveOnOrigin("/\t/evil.example/", "http://127.0.0.1:3000")).toBeNull();
  });
});
