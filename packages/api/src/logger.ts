// The console's structured log (pino): JSON lines in production, readable lines in development, credentials redacted
// wherever they sit in a logged object, and the id of the tRPC call in progress on every line logged while it runs.
import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type TLogger = Logger;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type TLogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["json", "pretty"] as const;
export type TLogFormat = (typeof LOG_FORMATS)[number];

export type TLoggerOptions = {
  level: TLogLevel;
  /** json: one JSON object a line (production); pretty: one readable line (development). */
  format: TLogFormat;
  /** Where lines go (default: standard output); tests pass a stream they read. */
  destination?: DestinationStream;
};

/** Field names whose values never reach a log line: secrets, sealed credentials, session and API credentials. */
const SECRET_KEYS = [
  "password",
  "newPassword",
  "currentPassword",
  "passphrase",
  "privateKey",
  "token",
  "accessToken",
  "refreshToken",
  "idToken",
  "secret",
  "clientSecret",
  "secretKey",
  "apiKey",
  "sealed",
  "authorization",
  "cookie",
  "set-cookie",
  "connectionString",
  "DATABASE_URL",
  "PGRESCUE_SECRET_KEY",
  "PGRESCUE_NEW_SECRET_KEY",
  "PGRESCUE_ADMIN_PASSWORD",
  "PGRESCUE_BOOTSTRAP_TOKEN",
] as const;

/** How deep below the logged object a secret is still found (err.cause.auth.password is three levels down). */
const REDACT_DEPTH = 3;

const accessor = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);

export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: REDACT_DEPTH + 1 }, (_, depth) => {
    const name = accessor(key);
    if (depth === 0) return name;
    const prefix = Array.from({ length: depth }, () => "*").join(".");
    return name.startsWith("[") ? `${prefix}${name}` : `${prefix}.${name}`;
  }),
);

export const REDACTED = "[redacted]";

const callScope = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `work` as the call `requestId`: every line any logger writes meanwhile (services, step runs) carries the id. */
export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return callScope.run({ requestId }, work);
}

export function createLogger(options: TLoggerOptions): TLogger {
  // pino-pretty as an in-process stream, not a transport: transports run in worker threads, which a bundled
  // Next.js server cannot always locate; a synchronous stream also never loses the last lines before an exit.
  const destination =
    options.format === "pretty"
      ? pretty({
          sync: true,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname",
          destination: options.destination ?? 1,
        })
      : (options.destination ?? pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const scope = callScope.getStore();
        return scope === undefined ? {} : { requestId: scope.requestId };
      },
    },
    destination,
  );
}
