// The token `pgrescue login` saved: one file, mode 0600, in the user's config directory; never a flag, never printed.
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { TCliEnv } from "./env.ts";
import { UsageError } from "./ssh-spec.ts";

const ZSavedLogin = z.object({
  server: z.string(),
  email: z.string(),
  tokenId: z.string(),
  token: z.string().regex(/^pgr_[A-Za-z0-9_-]{43}$/),
});
export type TSavedLogin = z.infer<typeof ZSavedLogin>;

export function savedLoginFile(env: TCliEnv): string {
  const dir =
    env.PGRESCUE_CONFIG_DIR ??
    path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? "/root", ".config"), "pgrescue");
  return path.join(dir, "credentials.json");
}

/** The saved login, or null when there is none; a damaged file is an error the user can act on. */
export function readSavedLogin(env: TCliEnv): TSavedLogin | null {
  const file = savedLoginFile(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return null;
    throw error;
  }
  try {
    return ZSavedLogin.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`${file} is damaged: delete it and run pgrescue login again`);
  }
}

export function writeSavedLogin(env: TCliEnv, login: TSavedLogin): string {
  const file = savedLoginFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function removeSavedLogin(env: TCliEnv): void {
  rmSync(savedLoginFile(env), { force: true });
}
