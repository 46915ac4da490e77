import { describe, expect, it } from "vitest";
import { sanitizeOutput } from "./incident-report.ts";

describe("sanitizeOutput", () => {
  it("drops terminal escape sequences and control characters, keeps text, tabs and newlines", () => {
    const raw =
      '\u001b[31mFATAL\u001b[0m:\tlock file "postmaster.pid" already exists\r\n\u0007bell\u0000nul\n';
    expect(sanitizeOutput(raw)).toBe(
      'FATAL:\tlock file "postmaster.pid" already exists\nbellnul\n',
    );
  });

  it("leaves non-ASCII text alone", () => {
    expect(sanitizeOutput("Datenbanksystem ist bereit — ✓\n")).toBe(
      "Datenbanksystem ist bereit — ✓\n",
    );
  });
});
