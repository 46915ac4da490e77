import { describe, expect, it } from "vitest";
import {
  BODY_LIMITS,
  bodyLimitFor,
  buildSecurityHeaders,
  limitRequestBody,
  normalizeAddress,
  parseTrustedProxies,
  readBodyWithin,
  readFrontRequest,
  resolveClientAddress,
  FRONT_SECRET_HEADER,
} from "./http-front.ts";

const NONE = parseTrustedProxies(undefined);
const LOOPBACK = parseTrustedProxies("127.0.0.1, ::1");
const CHAIN = parseTrustedProxies("127.0.0.1 10.0.0.0/8 fd00::/8");

describe("parseTrustedProxies", () => {
  it("reads addresses and CIDR ranges, IPv4 and IPv6, separated by commas or spaces", () => {
    expect(CHAIN.entries).toEqual(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
    expect(parseTrustedProxies("").entries).toEqual([]);
  });

  it.each(["localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/8/8", "1.2.3", "10.0.0.0/x", "*"])(
    "refuses %j",
    (entry) => {
      expect(() => parseTrustedProxies(entry)).toThrow(/is not an address or a CIDR range/);
    },
  );
});

describe("resolveClientAddress", () => {
  it("is the socket's peer when no proxy is trusted, whatever the client sends", () => {
    for (const header of ["198.51.100.7", "198.51.100.7, 127.0.0.1", "::1", "", "garbage"])
      expect(resolveClientAddress("127.0.0.1", header, NONE)).toBe("127.0.0.1");
    expect(resolveClientAddress("::ffff:127.0.0.1", "198.51.100.7", NONE)).toBe("127.0.0.1");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(resolveClientAddress("203.0.113.9", "198.51.100.7", LOOPBACK)).toBe("203.0.113.9");
  });

  it("walks X-Forwarded-For from the right past trusted proxies only", () => {
    expect(resolveClientAddress("127.0.0.1", "198.51.100.7", LOOPBACK)).toBe("198.51.100.7");
    // the leftmost entries are whatever the client wrote: only the hop the proxy appended counts
    expect(resolveClientAddress("127.0.0.1", "1.1.1.1, 198.51.100.7", LOOPBACK)).toBe(
      "198.51.100.7",
    );
    expect(resolveClientAddress("127.0.0.1", "1.1.1.1, 198.51.100.7, 10.1.2.3", CHAIN)).toBe(
      "198.51.100.7",
    );
    expect(resolveClientAddress("::1", "[2001:db8::7]:4711", LOOPBACK)).toBe("2001:db8::7");
    expect(resolveClientAddress("127.0.0.1", "198.51.100.7:4711", LOOPBACK)).toBe("198.51.100.7");
  });

  it("stops at the last hop it can vouch for when an entry is malformed", () => {
    expect(resolveClientAddress("127.0.0.1", "198.51.100.7, not-an-ip", LOOPBACK)).toBe(
      "127.0.0.1",
    );
    expect(resolveClientAddress("127.0.0.1", "198.51.100.7, not-an-ip, 10.0.0.1", CHAIN)).toBe(
      "10.0.0.1",
    );
  });

  it("normalizes what sockets and proxies write", () => {
    expect(normalizeAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(normalizeAddress("unknown")).toBeUndefined();
    expect(normalizeAddress("1.2.3.4.5")).toBeUndefined();
  });
});

describe("readFrontRequest", () => {
  const secret = "s".repeat(43);
  it("believes the forwarded headers only with this process's front secret", () => {
    const forged = new Headers({ "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" });
    expect(readFrontRequest(forged, secret)).toEqual({ clientAddress: undefined, https: false });
    forged.set(FRONT_SECRET_HEADER, "t".repeat(43));
    expect(readFrontRequest(forged, secret)).toEqual({ clientAddress: undefined, https: false });
    forged.set(FRONT_SECRET_HEADER, secret);
    expect(readFrontRequest(forged, secret)).toEqual({
      clientAddress: "198.51.100.7",
      https: true,
    });
    expect(readFrontRequest(forged, undefined)).toEqual({ clientAddress: undefined, https: false });
  });
});

describe("buildSecurityHeaders", () => {
  it("forbids framing, sniffing and referrers, and lets scripts run only with the nonce", () => {
    const headers = buildSecurityHeaders({ nonce: "abc123", https: false });
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).toContain("script-src 'self' 'nonce-abc123'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-eval");
    expect(headers["strict-transport-security"]).toBeUndefined();
    expect(buildSecurityHeaders({ nonce: "n", https: true })["strict-transport-security"]).toMatch(
      /max-age=\d+/,
    );
  });
});

/** A body of `size` bytes in `chunk`-byte pieces that counts how much of it was pulled. */
function countedStream(size: number, chunk: number) {
  const seen = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= size) {
        controller.close();
        return;
      }
      const piece = new Uint8Array(Math.min(chunk, size - seen.pulled));
      seen.pulled += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  return { stream, seen };
}

describe("reading a body within its limit", () => {
  it("gives the limits by path", () => {
    expect(bodyLimitFor("/api/auth/sign-in/email")).toBe(BODY_LIMITS.auth);
    expect(bodyLimitFor("/api/trpc/setup.complete")).toBe(BODY_LIMITS.trpc);
    expect(bodyLimitFor("/hosts")).toBe(BODY_LIMITS.other);
  });

  it("refuses a declared length above the limit without reading a byte", async () => {
    const { stream, seen } = countedStream(10 * 1024 * 1024, 4096);
    const request = new Request("http://console.test/api/trpc/setup.complete", {
      method: "POST",
      headers: { "content-length": String(300 * 1024 * 1024) },
      body: stream,
      duplex: "half",
    });
    const limited = await limitRequestBody(request, BODY_LIMITS.trpc);
    expect(limited instanceof Response && limited.status).toBe(413);
    expect(seen.pulled).toBeLessThanOrEqual(4096 * 2);
  });

  it("stops reading an undeclared stream as soon as it passes the limit", async () => {
    const { stream, seen } = countedStream(100 * 1024 * 1024, 4096);
    const request = new Request("http://console.test/api/trpc/setup.complete", {
      method: "POST",
      body: stream,
      duplex: "half",
    });
    const limited = await limitRequestBody(request, BODY_LIMITS.trpc);
    expect(limited instanceof Response && limited.status).toBe(413);
    expect(seen.pulled).toBeLessThan(BODY_LIMITS.trpc + 4 * 4096);
  });

  it("passes a body within the limit on, readable again", async () => {
    const body = JSON.stringify({ json: { name: "x".repeat(1000) } });
    const request = new Request("http://console.test/api/trpc/tokens.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const limited = await limitRequestBody(request, BODY_LIMITS.trpc);
    expect(limited).toBeInstanceOf(Request);
    if (limited instanceof Request) expect(await limited.text()).toBe(body);
    await expect(
      readBodyWithin(new Request("http://x/", { method: "POST", body: "abc" }), 2),
    ).rejects.toThrow(/larger than 2 bytes/);
  });
});
