import { describe, expect, it } from "vitest";
import { readLauncherEnv, readServerEnv } from "./env.ts";

const SERVER = {
  DATABASE_URL: "postgresql://pgrescue@127.0.0.1:5432/pgrescue",
  NODE_ENV: "test",
} as const;

describe("the log settings", () => {
  it("default to info, JSON in production and readable lines otherwise", () => {
    expect(readServerEnv({ ...SERVER, NODE_ENV: "production" }).log).toEqual({
      level: "info",
      format: "json",
    });
    expect(readServerEnv({ ...SERVER, NODE_ENV: "development" }).log).toEqual({
      level: "info",
      format: "pretty",
    });
    expect(readServerEnv(SERVER).log.format).toBe("pretty");
  });

  it("take LOG_LEVEL and LOG_FORMAT when set", () => {
    expect(
      readServerEnv({ ...SERVER, NODE_ENV: "production", LOG_LEVEL: "debug", LOG_FORMAT: "pretty" })
        .log,
    ).toEqual({ level: "debug", format: "pretty" });
    expect(readServerEnv({ ...SERVER, LOG_LEVEL: "" }).log.level).toBe("info");
  });

  it("refuse an unknown level or format, naming the ones that exist, already in the launcher", () => {
    expect(() => readServerEnv({ ...SERVER, LOG_LEVEL: "verbose" })).toThrow(
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    );
    expect(() => readLauncherEnv({ NODE_ENV: "test", LOG_FORMAT: "xml" })).toThrow(
      /LOG_FORMAT must be json or pretty/,
    );
  });
});
