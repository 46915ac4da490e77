import { describe, expect, it } from "vitest";
import { classifySocketError, mapHandshakeError } from "./connect.ts";
import {
  AuthFailedError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  UnreachableError,
} from "./errors.ts";

const endpoint = { host: "db1", port: 22, username: "postgres" };
const presented = { algorithm: "ssh-ed25519", fingerprint: "SHA256:presented", base64: "AAAA" };
const sshError = (message: string, level: string): Error =>
  Object.assign(new Error(message), { level });

describe("classifySocketError", () => {
  it("maps socket codes to reasons", () => {
    expect(classifySocketError("ECONNREFUSED")).toBe("refused");
    expect(classifySocketError("EHOSTUNREACH")).toBe("no-route");
    expect(classifySocketError("ENOTFOUND")).toBe("dns");
    expect(classifySocketError("EAI_AGAIN")).toBe("dns");
    expect(classifySocketError("ETIMEDOUT")).toBe("connect-timeout");
    expect(classifySocketError("ECONNRESET")).toBe("network");
  });
});

describe("mapHandshakeError", () => {
  it("reports a host-key mismatch with both fingerprints, whatever ssh2 said", () => {
    const error = mapHandshakeError(sshError("Host denied (verification failed)", "handshake"), {
      endpoint,
      method: "key",
      presented,
      verdict: { kind: "mismatch", expected: ["SHA256:pinned"] },
    });
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect(error.message).toContain("SHA256:pinned");
    expect(error.message).toContain("SHA256:presented");
  });

  it("carries the presented key of an unknown host", () => {
    const error = mapHandshakeError(sshError("Host denied (verification failed)", "handshake"), {
      endpoint,
      method: "key",
      presented,
      verdict: { kind: "unknown" },
    });
    expect(error).toBeInstanceOf(HostKeyUnknownError);
    expect(error).toMatchObject({
      presentedFingerprint: "SHA256:presented",
      presentedKeyBase64: "AAAA",
      code: "HOST_KEY_UNKNOWN",
    });
  });

  it("maps authentication, timeouts and socket errors", () => {
    const context = {
      endpoint,
      method: "password" as const,
      presented,
      verdict: { kind: "pinned" as const },
    };
    expect(
      mapHandshakeError(
        sshError("All configured authentication methods failed", "client-authentication"),
        context,
      ),
    ).toBeInstanceOf(AuthFailedError);
    const timeout = mapHandshakeError(
      sshError("Timed out while waiting for handshake", "client-timeout"),
      context,
    );
    expect(timeout).toMatchObject({ code: "UNREACHABLE", reason: "handshake-timeout" });
    const reset = mapHandshakeError(
      Object.assign(sshError("read ECONNRESET", "client-socket"), { code: "ECONNRESET" }),
      context,
    );
    expect(reset).toBeInstanceOf(UnreachableError);
    expect(reset.message).toContain("postgres@db1:22");
  });
});
