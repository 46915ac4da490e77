import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isClientError, isSessionMissing, readError } from "./errors.ts";

/** What the browser receives from tRPC for a failed call (TRPCClientError carries message and data). */
function clientError(message: string, data: Record<string, unknown>) {
  return Object.assign(new Error(message), { data });
}

describe("readError", () => {
  it("turns the server's zod tree into messages per field path", () => {
    const ZForm = z.object({
      name: z.string().regex(/^[a-z]+$/, "a host name is letters"),
      auth: z.object({ kind: z.literal("key"), privateKey: z.string().min(1, "paste the key") }),
    });
    const result = ZForm.safeParse({ name: "DB 1", auth: { kind: "key", privateKey: "" } });
    if (result.success) throw new Error("expected a failure");
    const info = readError(
      clientError(result.error.message, {
        code: "BAD_REQUEST",
        httpStatus: 400,
        zodError: z.treeifyError(result.error),
        remoteCode: null,
      }),
    );
    expect(info.fieldErrors).toEqual({
      name: ["a host name is letters"],
      "auth.privateKey": ["paste the key"],
    });
    expect(info.message).toBe("Some fields need attention (see below).");
    expect(info.code).toBe("BAD_REQUEST");
  });

  it("keeps the service's message and names the SSH failure", () => {
    const info = readError(
      clientError("The SSH server of postgres@db1:22 refused the login", {
        code: "UNAUTHORIZED",
        httpStatus: 401,
        zodError: null,
        remoteCode: "AUTH_FAILED",
      }),
    );
    expect(info.message).toBe("AUTH_FAILED: The SSH server of postgres@db1:22 refused the login");
    expect(isSessionMissing(info)).toBe(false);
  });

  it("tells a missing session from an SSH login failure, and 4xx from the rest", () => {
    const noSession = clientError("sign in first", {
      code: "UNAUTHORIZED",
      httpStatus: 401,
      zodError: null,
      remoteCode: null,
    });
    const sshLogin = clientError("refused", {
      code: "UNAUTHORIZED",
      httpStatus: 401,
      zodError: null,
      remoteCode: "AUTH_FAILED",
    });
    expect(isSessionMissing(noSession)).toBe(true);
    expect(isSessionMissing(sshLogin)).toBe(false);
    expect(isClientError(noSession)).toBe(true);
    expect(
      isClientError(clientError("boom", { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 })),
    ).toBe(false);
    expect(readError(new TypeError("Failed to fetch")).message).toMatch(/did not answer/);
  });
});
