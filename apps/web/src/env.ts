// The web app's environment, read and validated in this one place.
import path from "node:path";
import { parseTrustedProxies } from "@pgrescue/api/front";
import { LOG_FORMATS, LOG_LEVELS, type TLogFormat, type TLogLevel } from "@pgrescue/api/logger";
import { z } from "zod";

const emptyIsUnset = (v: unknown) => (v === "" ? undefined : v);

/** The console's log: LOG_LEVEL (default info) and LOG_FORMAT (default JSON in production, readable otherwise). */
const ZLogEnv = z.object({
  LOG_LEVEL: z.preprocess(
    emptyIsUnset,
    z
      .enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` })
      .default("info"),
  ),
  LOG_FORMAT: z.preprocess(
    emptyIsUnset,
    z.enum(LOG_FORMATS, { message: `LOG_FORMAT must be ${LOG_FORMATS.join(" or ")}` }).optional(),
  ),
  NODE_ENV: z.preprocess(emptyIsUnset, z.string().optional()),
});

const ZServerEnv = ZLogEnv.extend({
  DATABASE_URL: z.url({ message: "DATABASE_URL must be a postgresql:// URL" }),
  PGRESCUE_MIGRATIONS_DIR: z.string().min(1).optional(),
  PGRESCUE_EMBEDDED_STORE: z.enum(["0", "1"]).default("0"),
  PGRESCUE_DATA_DIR: z.string().min(1).optional(),
  /** base64 of 32 bytes; otherwise a generated 0600 key file in the data dir */
  PGRESCUE_SECRET_KEY: z.preprocess(emptyIsUnset, z.string().min(1).optional()),
  SSH_AUTH_SOCK: z.preprocess(emptyIsUnset, z.string().min(1).optional()),
  /** password sign-in attempts per client address and minute */
  PGRESCUE_SIGN_IN_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** set by the launcher's front for this process: forwarded headers carrying it were written by the front */
  PGRESCUE_FRONT_SECRET: z.preprocess(emptyIsUnset, z.string().min(32).optional()),
  /** the console's fixed public URL (behind a TLS proxy: https://… makes the session cookie Secure) */
  PGRESCUE_PUBLIC_URL: z.preprocess(
    emptyIsUnset,
    z
      .url({ message: "PGRESCUE_PUBLIC_URL must be a URL like https://pgrescue.example.com" })
      .optional(),
  ),
});

/** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For / -Proto / -Host the console believes. */
const ZTrustedProxies = z
  .string()
  .default("")
  .transform((text, ctx) => {
    try {
      return parseTrustedProxies(text);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `PGRESCUE_TRUSTED_PROXIES: ${error instanceof Error ? error.message : String(error)}`,
      });
      return z.NEVER;
    }
  });

// The launcher checks the log settings too, so that a wrong one stops `npm start` at once instead of the first request.
const ZLauncherEnv = ZLogEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  // empty means unset: use the embedded store
  DATABASE_URL: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.url({ message: "DATABASE_URL must be a postgresql:// URL" }).optional(),
  ),
  /**
   * With DATABASE_URL: the role that owns the schema and runs the migrations; the console then connects as
   * DATABASE_URL's role, which is granted only the DML it needs. Unset: DATABASE_URL's role does both.
   */
  PGRESCUE_MIGRATION_DATABASE_URL: z.preprocess(
    emptyIsUnset,
    z.url({ message: "PGRESCUE_MIGRATION_DATABASE_URL must be a postgresql:// URL" }).optional(),
  ),
  PGRESCUE_TRUSTED_PROXIES: ZTrustedProxies,
  PGRESCUE_DATA_DIR: z.string().min(1).optional(),
  PGRESCUE_STORE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Next.js build directory under apps/web (next.config.ts reads the same variable) */
  PGRESCUE_DIST_DIR: z
    .string()
    .regex(/^\.next(-[A-Za-z0-9_-]+)?$/, "PGRESCUE_DIST_DIR must be .next or .next-<name>")
    .default(".next"),
  /** the first admin's API token on first start (otherwise one is generated and printed once) */
  PGRESCUE_BOOTSTRAP_TOKEN: z.preprocess(emptyIsUnset, z.string().min(1).optional()),
  /** the first admin on first start, for unattended installs (otherwise a one-time setup link is printed) */
  PGRESCUE_ADMIN_EMAIL: z.preprocess(
    emptyIsUnset,
    z.email({ message: "PGRESCUE_ADMIN_EMAIL must be an e-mail address" }).optional(),
  ),
  PGRESCUE_ADMIN_PASSWORD: z.preprocess(
    emptyIsUnset,
    z.string().min(12, "PGRESCUE_ADMIN_PASSWORD needs at least 12 characters").max(256).optional(),
  ),
  PGRESCUE_PUBLIC_URL: z.preprocess(emptyIsUnset, z.url().optional()),
});

/** `pnpm rotate-key`: the store as the launcher opens it, the current key and optionally the new one. */
const ZRotateKeyEnv = ZLauncherEnv.pick({
  DATABASE_URL: true,
  PGRESCUE_MIGRATION_DATABASE_URL: true,
  PGRESCUE_DATA_DIR: true,
  PGRESCUE_STORE_PORT: true,
}).extend({
  PGRESCUE_SECRET_KEY: ZServerEnv.shape.PGRESCUE_SECRET_KEY,
  /** base64 of 32 bytes to rotate to; otherwise one is generated */
  PGRESCUE_NEW_SECRET_KEY: z.preprocess(emptyIsUnset, z.string().min(1).optional()),
});

export type TServerEnv = z.infer<typeof ZServerEnv> & {
  migrationsDir: string;
  dataDir: string;
  log: { level: TLogLevel; format: TLogFormat };
};
export type TLauncherEnv = z.infer<typeof ZLauncherEnv>;
export type TRotateKeyEnv = z.infer<typeof ZRotateKeyEnv>;

function parse<T extends z.ZodType>(schema: T, source: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** Where prisma/migrations lives when the server runs from apps/web (next start). */
export function defaultMigrationsDir(appDir: string): string {
  return path.resolve(appDir, "../../prisma/migrations");
}

export function readServerEnv(source: NodeJS.ProcessEnv = process.env): TServerEnv {
  const env = parse(ZServerEnv, source);
  return {
    ...env,
    migrationsDir: env.PGRESCUE_MIGRATIONS_DIR ?? defaultMigrationsDir(process.cwd()),
    dataDir: env.PGRESCUE_DATA_DIR ?? path.resolve(process.cwd(), "../../.data"),
    log: {
      level: env.LOG_LEVEL,
      format: env.LOG_FORMAT ?? (env.NODE_ENV === "production" ? "json" : "pretty"),
    },
  };
}

export function readLauncherEnv(source: NodeJS.ProcessEnv = process.env): TLauncherEnv {
  return parse(ZLauncherEnv, source);
}

export function readRotateKeyEnv(source: NodeJS.ProcessEnv = process.env): TRotateKeyEnv {
  return parse(ZRotateKeyEnv, source);
}
