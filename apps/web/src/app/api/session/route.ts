// POST /api/session {token}: checks the API token against the store and keeps it in an httpOnly cookie;
// DELETE /api/session signs out. The token is never sent back to the browser.
import { resolveTokenActor } from "@pgrescue/api";
import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "~/server/deps";
import {
  clientIp,
  isSameOrigin,
  isSecureRequest,
  SESSION_COOKIE,
  sessionCookieOptions,
} from "~/server/session";

export const dynamic = "force-dynamic";

const ZSignIn = z.object({ token: z.string().trim().min(1, "paste your API token").max(200) });

function problem(status: number, message: string) {
  return NextResponse.json(
    { error: message },
    { status, headers: { "cache-control": "no-store" } },
  );
}

export async function POST(req: Request) {
  if (!isSameOrigin(req)) return problem(403, "sign in from the console's own page");
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return problem(400, 'send the token as JSON: {"token": "pgr_…"}');
  }
  const parsed = ZSignIn.safeParse(body);
  if (!parsed.success) return problem(400, parsed.error.issues[0]?.message ?? "invalid request");
  const token = parsed.data.token;
  if (!/^pgr_[A-Za-z0-9_-]{43}$/.test(token)) {
    return problem(400, "that is not an API token: it starts with pgr_ followed by 43 characters");
  }
  const actor = await resolveTokenActor(getDb(), `Bearer ${token}`, clientIp(req));
  if (actor === null) {
    return problem(401, "this token is unknown or revoked, or its user is disabled");
  }
  const response = NextResponse.json(
    { label: actor.label, role: actor.role },
    { headers: { "cache-control": "no-store" } },
  );
  response.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(isSecureRequest(req)));
  return response;
}

export function DELETE(req: Request) {
  if (!isSameOrigin(req)) return problem(403, "sign out from the console's own page");
  const response = new NextResponse(null, {
    status: 204,
    headers: { "cache-control": "no-store" },
  });
  response.cookies.set(SESSION_COOKIE, "", {
    ...sessionCookieOptions(isSecureRequest(req)),
    maxAge: 0,
  });
  return response;
}
