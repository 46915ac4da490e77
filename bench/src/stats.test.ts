import { describe, expect, it } from "vitest";
import {
  formatMarkdownTable,
  formatMs,
  formatRatio,
  quantile,
  ratio,
  sumSeries,
  summarize,
} from "./stats.ts";

describe("quantile", () => {
  it("interpolates linearly between closest ranks (numpy's default)", () => {
    const samples = [40, 15, 50, 35, 20];
    expect(quantile(samples, 0.5)).toBe(35);
    expect(quantile(samples, 0.1)).toBeCloseTo(17, 10);
    expect(quantile(samples, 0.9)).toBeCloseTo(46, 10);
    expect(quantile(samples, 0)).toBe(15);
    expect(quantile(samples, 1)).toBe(50);
  });

  it("takes the mean of the two middle values for an even count", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    quantile(samples, 0.5);
    expect(samples).toEqual([3, 1, 2]);
  });

  it("refuses empty input, non-finite samples and q outside [0, 1]", () => {
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
    expect(() => quantile([1, Number.NaN], 0.5)).toThrow(/finite/);
    expect(() => quantile([1, Number.POSITIVE_INFINITY], 0.5)).toThrow(/finite/);
    expect(() => quantile([1], 1.5)).toThrow(/within/);
    expect(() => quantile([1], Number.NaN)).toThrow(/within/);
  });
});

describe("summarize", () => {
  it("gives n, median, p10, p90, min, max and mean", () => {
    const summary = summarize([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(summary.n).toBe(10);
    expect(summary.median).toBe(5.5);
    expect(summary.p10).toBeCloseTo(1.9, 10);
    expect(summary.p90).toBeCloseTo(9.1, 10);
    expect(summary.min).toBe(1);
    expect(summary.max).toBe(10);
    expect(summary.mean).toBe(5.5);
  });

  it("collapses to the value for a single sample", () => {
    expect(summarize([42])).toEqual({
      n: 1,
      median: 42,
      p10: 42,
      p90: 42,
      min: 42,
      max: 42,
      mean: 42,
    });
  });

  it("is robust to one outlier where the mean is not", () => {
    const summary = summarize([100, 101, 99, 100, 5000]);
    expect(summary.median).toBe(100);
    expect(summary.mean).toBe(1080);
  });
});

describe("ratio", () => {
  it("divides", () => {
    expect(ratio(3300, 300)).toBeCloseTo(11, 10);
  });

  it("refuses zero, negative and non-finite denominators", () => {
    expect(() => ratio(1, 0)).toThrow(RangeError);
    expect(() => ratio(1, -2)).toThrow(RangeError);
    expect(() => ratio(Number.NaN, 2)).toThrow(RangeError);
  });
});

describe("sumSeries", () => {
  it("adds equally long series element-wise", () => {
    expect(
      sumSeries([
        [1, 2, 3],
        [10, 20, 30],
        [100, 200, 300],
      ]),
    ).toEqual([111, 222, 333]);
  });

  it("refuses series of different lengths and no series at all", () => {
    expect(() => sumSeries([[1, 2], [1]])).toThrow(/different lengths/);
    expect(() => sumSeries([])).toThrow(/no series/);
  });
});

describe("formatting", () => {
  it("prints one decimal below 10 ms and whole milliseconds above", () => {
    expect(formatMs(4.56)).toBe("4.6");
    expect(formatMs(0.04)).toBe("0.0");
    expect(formatMs(3245.49)).toBe("3245");
    expect(formatMs(10)).toBe("10");
    expect(() => formatMs(Number.NaN)).toThrow(RangeError);
  });

  it("prints ratios with a multiplication sign", () => {
    expect(formatRatio(1.2345)).toBe("1.23×");
    expect(formatRatio(11.26)).toBe("11.3×");
  });

  it("builds an aligned Markdown table and escapes pipes", () => {
    const table = formatMarkdownTable(
      [{ header: "Variant" }, { header: "median ms", align: "right" }],
      [
        ["ssh host true", "290"],
        ["a | b", "3245"],
      ],
    );
    expect(table).toBe(
      [
        "| Variant       | median ms |",
        "| ------------- | --------: |",
        "| ssh host true |       290 |",
        "| a \\| b        |      3245 |",
      ].join("\n"),
    );
  });

  it("keeps the delimiter row valid for one-letter headers", () => {
    expect(formatMarkdownTable([{ header: "n", align: "right" }], [["1"]])).toBe(
      ["|   n |", "| --: |", "|   1 |"].join("\n"),
    );
  });

  it("refuses rows that do not fit the columns", () => {
    expect(() => formatMarkdownTable([{ header: "a" }, { header: "b" }], [["only one"]])).toThrow(
      /row 0 has 1 cells/,
    );
  });
});
