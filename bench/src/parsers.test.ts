import { describe, expect, it } from "vitest";
import { formatParserTables, type TCellResult } from "./parsers.ts";
import { summarize } from "./stats.ts";

const MIB = 1024 * 1024;

function cell(parser: string, input: string, bytes: number, ms: number): TCellResult {
  return {
    parser,
    input,
    bytes,
    callsPerRun: 1,
    summary: summarize([ms]),
    medianMicroseconds: ms * 1000,
    mibPerSecond: bytes / MIB / (ms / 1000),
  };
}

describe("formatParserTables", () => {
  const texts = [
    { id: "spaces", text: "a ".repeat(MIB / 2) },
    { id: "one-line", text: "x".repeat(MIB) },
  ];
  const results = [
    cell("parseA", "captured", 600, 0.012),
    cell("parseA", "spaces", MIB, 250),
    cell("parseA", "one-line", MIB, 5),
    cell("parseB", "captured", 20_000, 0.5),
    cell("parseB", "spaces", MIB, 0.0002),
    cell("parseB", "one-line", MIB, 20),
  ];
  const markdown = formatParserTables(results, texts);

  it("puts each parser's captured input beside its slowest hostile text", () => {
    expect(markdown).toMatch(/\| parseA +\| +600 \| +0\.0120 \| +48 \| spaces /);
    expect(markdown).toMatch(/\| parseA .*\| spaces +\| +250 \| +4\.0 \|/);
    expect(markdown).toMatch(/\| parseB .*\| one-line +\| +20 \| +50 \|/);
  });

  it("shows no rate for a text refused faster than it could be read", () => {
    const rates = markdown.slice(markdown.indexOf("MiB/s per hostile text"));
    expect(rates).toMatch(/\| parseB +\| +— \| +50 \|/);
    expect(rates).toMatch(/\| parseA +\| +4\.0 \| +200 \|/);
  });

  it("refuses results that lack a cell", () => {
    expect(() => formatParserTables(results.slice(1), texts)).toThrow(/no result for parseA/);
  });
});
