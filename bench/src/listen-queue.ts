// How full a Unix listening socket's accept queue is, read from `ss -xlnH` (iproute2).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export type TListenQueue = {
  path: string;
  /** Connections waiting to be accepted. */
  queued: number;
  /** The listen backlog; a Unix socket refuses new connections once `queued` exceeds it. */
  backlog: number;
};

const LISTEN_LINE = /^u_(?:str|seq)\s+LISTEN\s+(\d+)\s+(\d+)\s+(.+?)\s+\d+\s+\*\s+\d+\s*$/;

/** The listening socket at `path` in `ss -xlnH` output, or null when nothing listens there. */
export function parseUnixListenQueue(ssOutput: string, path: string): TListenQueue | null {
  for (const line of ssOutput.split("\n")) {
    const match = LISTEN_LINE.exec(line.trim());
    if (match?.[3] === path) {
      return { path, queued: Number(match[1]), backlog: Number(match[2]) };
    }
  }
  return null;
}

/** Reads the queue on this machine; lab hosts share the machine's network namespace, so their sockets show here. */
export async function readUnixListenQueue(path: string): Promise<TListenQueue | null> {
  const { stdout } = await promisify(execFile)("ss", ["-xlnH"], { encoding: "utf8" });
  return parseUnixListenQueue(stdout, path);
}
