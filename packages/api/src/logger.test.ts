import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, runWithRequestId, type TLogFormat } from "./logger.ts";

function captured(format: TLogFormat) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: "info", format, destination }), lines };
}

const SECRETS = {
  password: "hunter2-password",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----secret-key-body",
  passphrase: "correct-horse-passphrase",
  token: "pgr_secret-api-token",
  cookie: "better-auth.session_token=secret-session",
  authorization: "Bearer pgr_secret-bearer",
};

describe("the console's log", () => {
  it("never writes a credential of a logged error, at any depth, in JSON or readable form", () => {
    for (const format of ["json", "pretty"] as const) {
      const { logger, lines } = captured(format);
      const error = Object.assign(new Error("could not log in to db1"), {
        password: SECRETS.password,
        auth: { kind: "key", privateKey: SECRETS.privateKey, passphrase: SECRETS.passphrase },
      });
      logger.error(
        {
          err: error,
          input: { auth: { kind: "password", password: SECRETS.password } },
          token: SECRETS.token,
          req: { headers: { cookie: SECRETS.cookie, authorization: SECRETS.authorization } },
          response: { headers: { "set-cookie": SECRETS.cookie } },
        },
        "call failed",
      );
      const text = lines.join("\n");
      expect(text).toContain("could not log in to db1");
      expect(text).toContain(REDACTED);
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    }
  });

  it("writes one JSON object a line with the level, the time and the message", () => {
    const { logger, lines } = captured("json");
    logger.info({ stepId: "step-1" }, "step finished");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: "step finished", stepId: "step-1" });
    expect(typeof line.time).toBe("string");
  });

  it("adds the call's request id to every line written while the call runs, also by child loggers", async () => {
    const { logger, lines } = captured("json");
    await runWithRequestId("req-1", async () => {
      logger.info("in the call");
      await Promise.resolve();
      logger.child({ stepId: "step-1" }).warn("in a step of the call");
    });
    logger.info("after the call");
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => line.requestId)).toEqual(["req-1", "req-1", undefined]);
    expect(parsed[1]).toMatchObject({ stepId: "step-1" });
  });

  it("writes nothing below its level", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "warn",
      format: "json",
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.info("routine");
    logger.warn("worth a look");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      "worth a look",
    ]);
  });
});
