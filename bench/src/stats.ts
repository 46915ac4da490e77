// Pure statistics and Markdown formatting shared by every benchmark: quantiles, summaries, ratios, tables.

export type TSummary = {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
};

/**
 * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between closest ranks (numpy's default,
 * R type 7), so the 0.5-quantile of an even count is the mean of the two middle values.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${String(q)} is not within [0, 1]`);
  const sorted = sortSamples(samples);
  return quantileOfSorted(sorted, q);
}

export function summarize(samples: readonly number[]): TSummary {
  const sorted = sortSamples(samples);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    median: quantileOfSorted(sorted, 0.5),
    p10: quantileOfSorted(sorted, 0.1),
    p90: quantileOfSorted(sorted, 0.9),
    min: at(sorted, 0),
    max: at(sorted, sorted.length - 1),
    mean: sum / sorted.length,
  };
}

/** numerator / denominator; refuses what would print as Infinity or NaN. */
export function ratio(numerator: number, denominator: number): number {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) {
    throw new RangeError(`cannot form the ratio ${String(numerator)} / ${String(denominator)}`);
  }
  return numerator / denominator;
}

/** Element-wise sums of equally long series, e.g. the per-round total of some steps of a sequence. */
export function sumSeries(series: readonly (readonly number[])[]): number[] {
  const first = series[0];
  if (first === undefined) throw new RangeError("no series to sum");
  if (series.some((values) => values.length !== first.length)) {
    throw new RangeError(
      `series of different lengths: ${series.map((values) => values.length).join(", ")}`,
    );
  }
  return first.map((_, index) => series.reduce((total, values) => total + at(values, index), 0));
}

/** Milliseconds for a table: one decimal below 10 ms, whole milliseconds above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a duration: ${String(ms)}`);
  return Math.abs(ms) < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a ratio: ${String(value)}`);
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}×`;
}

export type TColumn = { header: string; align?: "left" | "right" };

/** A GitHub-flavoured Markdown table with padded columns; `|` inside cells is escaped. */
export function formatMarkdownTable(
  columns: readonly TColumn[],
  rows: readonly (readonly string[])[],
): string {
  if (columns.length === 0) throw new RangeError("a table needs at least one column");
  for (const [index, row] of rows.entries()) {
    if (row.length !== columns.length) {
      throw new RangeError(
        `row ${String(index)} has ${String(row.length)} cells, the table has ${String(columns.length)} columns`,
      );
    }
  }
  const escape = (cell: string): string => cell.replaceAll("|", "\\|");
  const cells = rows.map((row) => row.map(escape));
  const headers = columns.map((column) => escape(column.header));
  // At least 3 wide so that the delimiter row stays valid ("---", "--:").
  const widths = headers.map((header, index) =>
    Math.max(3, header.length, ...cells.map((row) => at(row, index).length)),
  );
  const pad = (cell: string, index: number): string => {
    const width = at(widths, index);
    return columns[index]?.align === "right" ? cell.padStart(width) : cell.padEnd(width);
  };
  const line = (row: readonly string[]): string => `| ${row.map(pad).join(" | ")} |`;
  const delimiter = `| ${widths.map((width, index) => (columns[index]?.align === "right" ? `${"-".repeat(width - 1)}:` : "-".repeat(width))).join(" | ")} |`;
  return [line(headers), delimiter, ...cells.map(line)].join("\n");
}

function sortSamples(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError("no samples");
  const bad = samples.find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new RangeError(`not a finite sample: ${String(bad)}`);
  return [...samples].sort((a, b) => a - b);
}

function quantileOfSorted(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const low = at(sorted, lower);
  return low + (position - lower) * (at(sorted, upper) - low);
}

function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined)
    throw new RangeError(`index ${String(index)} out of range (length ${String(values.length)})`);
  return value;
}
