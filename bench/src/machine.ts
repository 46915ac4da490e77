// Facts about the machine a benchmark ran on, recorded next to its numbers.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";

export type TMachineFacts = {
  node: string;
  cpus: number;
  cpuModel: string;
  kernel: string;
  os: string;
  memoryGiB: number;
  openssh: string;
  /** 1-minute load average when the benchmark started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number | null };
};

export async function collectMachineFacts(): Promise<TMachineFacts> {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: await readOsName(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    openssh: await readOpenSshVersion(),
    loadAverage: { start: roundLoad(os.loadavg()[0]), end: null },
  };
}

export function finishMachineFacts(facts: TMachineFacts): TMachineFacts {
  return {
    ...facts,
    loadAverage: { start: facts.loadAverage.start, end: roundLoad(os.loadavg()[0]) },
  };
}

async function readOsName(): Promise<string> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return pretty?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function readOpenSshVersion(): Promise<string> {
  // `ssh -V` prints its version on stderr.
  const { stderr } = await promisify(execFile)("ssh", ["-V"], { encoding: "utf8" });
  return stderr.trim();
}

function roundLoad(value: number | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}
