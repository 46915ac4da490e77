// The CLI's environment, read and validated once.
import { z } from "zod";

const ZCliEnv = z.object({
  /** Passphrase of the --identity key, so it never appears in the process list or shell history. */
  PGRESCUE_SSH_PASSPHRASE: z.string().min(1).optional(),
  /** Used when no --identity is given. */
  SSH_AUTH_SOCK: z.string().min(1).optional(),
  NO_COLOR: z.string().optional(),
});

export type TCliEnv = z.infer<typeof ZCliEnv>;

export function readCliEnv(source: NodeJS.ProcessEnv = process.env): TCliEnv {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  return ZCliEnv.parse(cleaned);
}
