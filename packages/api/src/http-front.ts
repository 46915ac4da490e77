// The console's front door: the one HTTP server in front of Next.js (and of the test server) decides who the client
// is (the socket's address, or X-Forwarded-For only from proxies named in PGRESCUE_TRUSTED_PROXIES), refuses request
// bodies above a small limit before reading them, and puts the security headers on every response. Route handlers
// trust the forwarded headers only when they carry this process's front secret, so a request that did not pass
// through the front (or forged them) is treated as coming from an unknown address.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BlockList, isIP } from "node:net";
import type { ReadableStreamReadResult } from "node:stream/web";

/** The header by which the front says "I rewrote the X-Forwarded-* headers of this request". */
export const FRONT_SECRET_HEADER = "x-pgrescue-front";

/**
 * Bodies are refused above these sizes (bytes), before any of them is read: sign-in and sign-out carry an e-mail and
 * a password; the largest tRPC input is a host with a 64 KiB private key and its passphrase.
 */
export const BODY_LIMITS = { auth: 16 * 1024, trpc: 256 * 1024, other: 16 * 1024 } as const;

export function bodyLimitFor(pathname: string): number {
  if (pathname.startsWith("/api/auth/")) return BODY_LIMITS.auth;
  if (pathname.startsWith("/api/trpc/")) return BODY_LIMITS.trpc;
  return BODY_LIMITS.other;
}

// ---------------------------------------------------------------------------------------------
// Who the client is.

export type TTrustedProxies = { entries: readonly string[]; blockList: BlockList };

/** An address as a proxy or the socket writes it (`::ffff:1.2.3.4`, `[::1]:443`, `1.2.3.4:5678`), or undefined. */
export function normalizeAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed?.[1] !== undefined) text = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(text))
    text = text.slice(0, text.lastIndexOf(":"));
  if (/^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(text)) text = text.slice(7);
  const family = isIP(text);
  if (family === 0) return undefined;
  return family === 6 ? text.toLowerCase() : text;
}

/**
 * PGRESCUE_TRUSTED_PROXIES: addresses or CIDR ranges, separated by commas or spaces (`127.0.0.1, 10.0.0.0/8, fd00::/8`).
 * Empty or unset: no proxy is trusted and the client is always the socket's peer. Throws on an entry that is not one.
 */
export function parseTrustedProxies(text: string | undefined): TTrustedProxies {
  const entries = (text ?? "")
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const blockList = new BlockList();
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split("/");
    const normalized = normalizeAddress(address);
    const family = normalized === undefined ? 0 : isIP(normalized);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (
      normalized === undefined ||
      rest.length > 0 ||
      (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) ||
      bits > (family === 6 ? 128 : 32)
    ) {
      throw new Error(
        `"${entry}" is not an address or a CIDR range (like 127.0.0.1, 10.0.0.0/8 or fd00::/8)`,
      );
    }
    blockList.addSubnet(normalized, bits, family === 6 ? "ipv6" : "ipv4");
  }
  return { entries, blockList };
}

export function isTrustedProxy(trusted: TTrustedProxies, address: string | undefined): boolean {
  const normalized = normalizeAddress(address);
  if (normalized === undefined || trusted.entries.length === 0) return false;
  return trusted.blockList.check(normalized, isIP(normalized) === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then X-Forwarded-For is read from the
 * right (the hop the proxy itself appended) leftwards, past every trusted proxy, to the first address that is not
 * one. A malformed entry stops the walk at the last hop that can be vouched for, so a client cannot choose its
 * address by sending one.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trusted: TTrustedProxies,
): string | undefined {
  let client = normalizeAddress(socketAddress);
  if (client === undefined || forwardedFor === undefined) return client;
  const hops = forwardedFor.split(",");
  for (let index = hops.length - 1; index >= 0 && isTrustedProxy(trusted, client); index -= 1) {
    const hop = normalizeAddress(hops[index]);
    if (hop === undefined) break;
    client = hop;
  }
  return client;
}

// ---------------------------------------------------------------------------------------------
// Security headers.

/**
 * The headers every response carries. The page's scripts run only with this response's nonce (Next.js puts it on
 * its own scripts when the request carries the same policy); nothing may frame the console.
 */
export function buildSecurityHeaders(options: {
  nonce: string;
  https: boolean;
  dev?: boolean;
}): Record<string, string> {
  const dev = options.dev === true;
  const csp = [
    "default-src 'self'",
    // React's development build evaluates source maps and refreshes modules over a websocket
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...(options.https ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The front itself (a Node request listener around Next.js's handler, or the test server's).

export type TFrontOptions = {
  trustedProxies: TTrustedProxies;
  /** This process's front secret (see {@link createFrontSecret}); route handlers compare it. */
  secret: string;
  dev?: boolean;
};

export function createFrontSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Headers a client may send but only the front (or a trusted proxy, through it) may set. */
const FRONT_OWNED_HEADERS = [
  "forwarded",
  "x-real-ip",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "content-security-policy",
  "content-security-policy-report-only",
  FRONT_SECRET_HEADER,
];

function lastValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(",") : value;
  return text
    ?.split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .at(-1);
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  // the unread body stays in the socket's buffers: close the connection instead of reading it to find the next request
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    connection: "close",
  });
  res.end(JSON.stringify({ code, message }));
}

/**
 * Wraps a request listener: rewrites the forwarded headers from the socket (and trusted proxies), refuses a body
 * above its path's limit before reading any of it (413), or one without a declared length (411), and sets the
 * security headers on the response before the handler writes it.
 */
export function createFrontHandler(
  options: TFrontOptions,
  handle: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const peer = req.socket.remoteAddress;
    const fromProxy = isTrustedProxy(options.trustedProxies, peer);
    const forwardedFor = req.headers["x-forwarded-for"];
    const client = resolveClientAddress(
      peer,
      Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor,
      options.trustedProxies,
    );
    const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
    const https =
      encrypted || (fromProxy && lastValue(req.headers["x-forwarded-proto"]) === "https");
    const proxiedHost = fromProxy ? lastValue(req.headers["x-forwarded-host"]) : undefined;
    for (const name of FRONT_OWNED_HEADERS) Reflect.deleteProperty(req.headers, name);
    if (client !== undefined) req.headers["x-forwarded-for"] = client;
    req.headers["x-forwarded-proto"] = https ? "https" : "http";
    if (proxiedHost !== undefined) req.headers["x-forwarded-host"] = proxiedHost;
    req.headers[FRONT_SECRET_HEADER] = options.secret;

    const nonce = randomBytes(16).toString("base64");
    const headers = buildSecurityHeaders({ nonce, https, dev: options.dev });
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    // Next.js reads the nonce for its own scripts from the request's policy
    req.headers["content-security-policy"] = headers["content-security-policy"];

    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    const limit = bodyLimitFor(pathname);
    if (req.headers["transfer-encoding"] !== undefined) {
      refuse(res, 411, "LENGTH_REQUIRED", "send the request body with a Content-Length");
      return;
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (!Number.isSafeInteger(declared) || declared > limit) {
      refuse(
        res,
        413,
        "PAYLOAD_TOO_LARGE",
        `a request to ${pathname} carries at most ${String(limit)} bytes`,
      );
      return;
    }
    Promise.resolve(handle(req, res)).catch((error: unknown) => {
      console.error("pgrescue: request failed:", error);
      if (!res.headersSent) refuse(res, 500, "INTERNAL", "internal error: see the console's log");
      else res.destroy();
    });
  };
}

// ---------------------------------------------------------------------------------------------
// What route handlers read back.

export type TFrontRequest = {
  /** The client's address as the front resolved it; undefined when the request did not come through the front. */
  clientAddress: string | undefined;
  /** Served over https (directly, or by a trusted proxy that said so). */
  https: boolean;
};

function sameSecret(given: string | null, expected: string | undefined): boolean {
  if (given === null || expected === undefined || expected === "") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The client address and scheme the front wrote into the request, if it carries this process's front secret. */
export function readFrontRequest(headers: Headers, secret: string | undefined): TFrontRequest {
  if (!sameSecret(headers.get(FRONT_SECRET_HEADER), secret))
    return { clientAddress: undefined, https: false };
  return {
    clientAddress: normalizeAddress(headers.get("x-forwarded-for") ?? undefined),
    https: headers.get("x-forwarded-proto") === "https",
  };
}

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`the request body is larger than ${String(limit)} bytes`);
  }
}

/**
 * The body of a request, read only up to `limit` bytes: a declared larger length is refused before reading, a longer
 * stream as soon as it passes the limit (the rest is never read). The second lock behind the front.
 */
export async function readBodyWithin(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= limit)) throw new BodyTooLargeError(limit);
  if (request.body === null) return new Uint8Array(new ArrayBuffer(0));
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next: ReadableStreamReadResult<Uint8Array> = await reader.read();
    if (next.done) break;
    const value = next.value;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export function tooLargeResponse(limit: number): Response {
  return Response.json(
    {
      code: "PAYLOAD_TOO_LARGE",
      message: `a request here carries at most ${String(limit)} bytes`,
    },
    { status: 413, headers: { "cache-control": "no-store", connection: "close" } },
  );
}

/** The same request with its body read within `limit` (so that a handler can read it again), or a 413 response. */
export async function limitRequestBody(
  request: Request,
  limit: number,
): Promise<Request | Response> {
  if (request.method === "GET" || request.method === "HEAD") return request;
  try {
    const body = await readBodyWithin(request, limit);
    return new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: body.byteLength === 0 ? null : body,
      signal: request.signal,
    });
  } catch (error) {
    if (error instanceof BodyTooLargeError) return tooLargeResponse(limit);
    throw error;
  }
}
