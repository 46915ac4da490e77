// The results document every benchmark writes: a header with date, machine and rounds, then the benchmark's own tables.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TMachineFacts } from "./machine.ts";

export type TResultsHeader = {
  benchmark: string;
  title: string;
  /** ISO 8601, UTC. */
  date: string;
  rounds: number;
  warmUpRounds: number;
  machine: TMachineFacts;
};

export function formatResultsMarkdown(header: TResultsHeader, body: string): string {
  const m = header.machine;
  const load =
    m.loadAverage.end === null
      ? String(m.loadAverage.start)
      : `${String(m.loadAverage.start)} → ${String(m.loadAverage.end)}`;
  return [
    `# Benchmark: ${header.title}`,
    "",
    `- Date: ${header.date}`,
    `- Rounds: ${String(header.rounds)} counted, after ${String(header.warmUpRounds)} warm-up rounds; interleaved, rotating order`,
    `- Machine: ${m.os}, ${m.kernel}, ${String(m.cpus)} CPUs (${m.cpuModel}), ${String(m.memoryGiB)} GiB`,
    `- Node ${m.node}; ${m.openssh}`,
    `- 1-min load average (start → end): ${load}`,
    "",
    body.trimEnd(),
    "",
  ].join("\n");
}

/** Writes `<dir>/<benchmark>.md` and `.json`, replacing the previous results. */
export async function writeResults(
  dir: string,
  header: TResultsHeader,
  markdown: string,
  data: object,
): Promise<{ markdownFile: string; jsonFile: string }> {
  await mkdir(dir, { recursive: true });
  const markdownFile = path.join(dir, `${header.benchmark}.md`);
  const jsonFile = path.join(dir, `${header.benchmark}.json`);
  await writeFile(markdownFile, formatResultsMarkdown(header, markdown));
  await writeFile(jsonFile, formatResultsJson(header, data));
  return { markdownFile, jsonFile };
}

/** Header and data as one JSON document; durations keep microseconds (3 decimals), not float noise. */
export function formatResultsJson(header: TResultsHeader, data: object): string {
  const roundFloat = (_key: string, value: unknown): unknown =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
  return `${JSON.stringify({ ...header, ...data }, roundFloat, 2)}\n`;
}
