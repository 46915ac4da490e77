// Reading a lab host's process table and IPC through its Perl helper, run inside the host.
import path from "node:path";
import { parseHostState, parseProcessList } from "./capture.ts";
import type { THostContext } from "./context.ts";
import { quote, quoteAll } from "./shell.ts";
import type { TInstanceRecord } from "./state-file.ts";
import type { THostProcess, THostState } from "./types.ts";

export class LabHelperError extends Error {
  override name = "LabHelperError";
}

/** The user that can see everything on the host: root in root mode, the invoking user otherwise. */
export function adminUser(ctx: THostContext): string {
  return ctx.mode === "root" ? "root" : ctx.users.postgres.name;
}

export async function runHelper(
  ctx: THostContext,
  args: readonly (string | number)[],
  opts: { user?: string; timeoutMs?: number } = {},
): Promise<string> {
  const result = await ctx.exec(`exec perl ${quote(ctx.helper)} ${quoteAll(args)}`, {
    user: opts.user ?? adminUser(ctx),
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  if (result.code !== 0)
    throw new LabHelperError(
      `lab helper ${String(args[0])} failed (exit ${String(result.code)}): ${result.stderr.trim()}`,
    );
  return result.stdout;
}

export async function listProcesses(ctx: THostContext): Promise<THostProcess[]> {
  return parseProcessList(await runHelper(ctx, ["procs"]));
}

export function pidFilePath(instance: { pgdata: string }): string {
  return path.join(instance.pgdata, "postmaster.pid");
}

export async function captureHostState(
  ctx: THostContext,
  instances: readonly TInstanceRecord[],
): Promise<THostState> {
  return parseHostState(
    await runHelper(ctx, [
      "capture",
      ...instances.map((instance) => `${instance.name}=${pidFilePath(instance)}`),
    ]),
  );
}
