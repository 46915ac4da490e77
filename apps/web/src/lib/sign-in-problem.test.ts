import { describe, expect, it } from "vitest";
import { signInProblem } from "./sign-in-problem";

describe("signInProblem", () => {
  it("says the same for a wrong e-mail and a wrong password", () => {
    expect(
      signInProblem(401, {
        code: "INVALID_EMAIL_OR_PASSWORD",
        message: "Invalid email or password",
      }),
    ).toBe("The e-mail or the password is not correct.");
  });
  it("passes the lockout message on, and explains the per-address limit", () => {
    expect(
      signInProblem(429, {
        code: "ACCOUNT_LOCKED",
        message: "too many failed sign-ins for a@b.c: try again in 15 minutes",
      }),
    ).toMatch(/too many failed sign-ins/);
    expect(signInProblem(429, {})).toMatch(/from this address/);
  });
  it("tells a cross-origin refusal from a disabled account", () => {
    expect(signInProblem(403, { code: "CROSS_ORIGIN" })).toMatch(/own page/);
    expect(signInProblem(403, {})).toMatch(/disabled/);
  });
  it("falls back to the server's message or the status", () => {
    expect(signInProblem(400, { message: "Invalid email" })).toBe("Invalid email");
    expect(signInProblem(502, {})).toBe("sign-in failed (HTTP 502)");
  });
});
