// The CLI's environment, read and validated once.
import { z } from "zod";

const ZCliEnv = z.object({
  /** Passphrase of the --identity key, so it never appears in the process list or shell history. */
  PGRESCUE_SSH_PASSPHRASE: z.string().min(1).optional(),
  /** Used when no --identity is given. */
  SSH_AUTH_SOCK: z.string().min(1).optional(),
  /** The console the server commands talk to, e.g. http://localhost:3000 (or --server). */
  PGRESCUE_SERVER: z.string().min(1).optional(),
  /** API token (sent as a bearer token); never a command-line flag, so it stays out of shell history. */
  PGRESCUE_TOKEN: z.string().min(1).optional(),
  /** `pgrescue login` without a terminal (scripts, tests); otherwise it asks without echo. */
  PGRESCUE_PASSWORD: z.string().min(1).optional(),
  /** Where `pgrescue login` keeps its token (default: $XDG_CONFIG_HOME/pgrescue or ~/.config/pgrescue). */
  PGRESCUE_CONFIG_DIR: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  HOME: z.string().min(1).optional(),
});

export type TCliEnv = z.infer<typeof ZCliEnv>;

export function readCliEnv(source: NodeJS.ProcessEnv = process.env): TCliEnv {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  return ZCliEnv.parse(cleaned);
}
