// API tokens for the CLI and scripts (`pgrescue login`, PGRESCUE_TOKEN): created and shown once, stored as
// SHA-256, listed by prefix, revocable by their owner or an admin.
import { createHash, randomBytes } from "node:crypto";
import type { TDb } from "@pgrescue/db";
import { hasRole } from "./actor.ts";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { ServiceError } from "./service-error.ts";

const TOKEN_PATTERN = /^pgr_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generateApiToken(): string {
  return `pgr_${randomBytes(32).toString("base64url")}`;
}

/** The user behind an `Authorization: Bearer pgr_…` header, or null (no header, unknown, revoked, disabled). */
export async function resolveTokenActor(
  db: TDb,
  authorization: string | null | undefined,
  ip?: string,
): Promise<TActor | null> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  if (token === undefined || !TOKEN_PATTERN.test(token)) return null;
  const found = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      revokedAt: true,
      user: { select: { id: true, email: true, role: true, disabledAt: true } },
    },
  });
  if (found === null || found.revokedAt !== null || found.user.disabledAt !== null) return null;
  await db.apiToken.update({
    where: { id: found.id },
    data: { lastUsedAt: new Date() },
    select: { id: true },
  });
  return { id: found.user.id, label: found.user.email, role: found.user.role, ip };
}

/** Stores a token's hash for a user (the token itself is never stored). */
export async function storeApiToken(
  db: Pick<TDb, "apiToken">,
  userId: string,
  name: string,
  token: string,
): Promise<{ id: string; prefix: string }> {
  if (!TOKEN_PATTERN.test(token))
    throw new ServiceError(
      "BAD_REQUEST",
      "an API token must look like pgr_ followed by 43 base64url characters",
    );
  const prefix = token.slice(0, 8);
  const created = await db.apiToken.create({
    data: { userId, name, tokenHash: hashToken(token), prefix },
    select: { id: true },
  });
  return { id: created.id, prefix };
}

/**
 * A new token for the actor themselves, returned once. Tokens are personal, for admins too: a token made for somebody
 * else would let its maker act, approve and be recorded as that person (four-eyes would compare the wrong people).
 */
export async function createApiToken(
  db: TDb,
  actor: TActor,
  input: { userId: string; name: string },
): Promise<{ id: string; token: string; prefix: string }> {
  if (input.userId !== actor.id) {
    await recordAudit(db, actor, {
      action: "token.create-refused",
      targetType: "User",
      targetId: input.userId,
      details: { name: input.name },
    });
    throw new ServiceError(
      "FORBIDDEN",
      "API tokens are personal: only the person who will use a token can create it (sign in as them, or let them run `pgrescue login`)",
    );
  }
  const user = await db.user.findUnique({
    where: { id: input.userId },
    select: { id: true, disabledAt: true },
  });
  if (user === null) throw new ServiceError("NOT_FOUND", `user ${input.userId} does not exist`);
  if (user.disabledAt !== null)
    throw new ServiceError("PRECONDITION_FAILED", "that user is disabled: enable them first");
  const token = generateApiToken();
  const { id, prefix } = await storeApiToken(db, input.userId, input.name, token);
  await recordAudit(db, actor, {
    action: "token.create",
    targetType: "ApiToken",
    targetId: id,
    details: { userId: input.userId, name: input.name, prefix },
  });
  return { id, token, prefix };
}

/** Tokens without their secrets: the actor's own, or everybody's for an admin who asks for all. */
export async function listApiTokens(db: TDb, actor: TActor, input: { all: boolean }) {
  if (input.all && !hasRole(actor, "ADMIN"))
    throw new ServiceError("FORBIDDEN", "only an admin can list everybody's API tokens");
  return db.apiToken.findMany({
    where: input.all ? {} : { userId: actor.id },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      prefix: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
      user: { select: { id: true, email: true } },
    },
  });
}

export async function revokeApiToken(db: TDb, actor: TActor, tokenId: string): Promise<void> {
  const result = await db.apiToken.updateMany({
    // a non-admin can only revoke their own; somebody else's looks the same as one that does not exist
    where: {
      id: tokenId,
      revokedAt: null,
      ...(hasRole(actor, "ADMIN") ? {} : { userId: actor.id }),
    },
    data: { revokedAt: new Date() },
  });
  if (result.count === 0)
    throw new ServiceError(
      "NOT_FOUND",
      `API token ${tokenId} does not exist, is already revoked, or is not yours`,
    );
  await recordAudit(db, actor, {
    action: "token.revoke",
    targetType: "ApiToken",
    targetId: tokenId,
  });
}
