// API tokens for the CLI and scripts: created once and shown once, stored as SHA-256, revocable; the first admin on first start.
import { createHash, randomBytes } from "node:crypto";
import type { Db, Role } from "@pgrescue/db";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { ServiceError } from "./service-error.ts";

const TOKEN_PATTERN = /^pgr_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken(): string {
  return `pgr_${randomBytes(32).toString("base64url")}`;
}

/** The user behind an `Authorization: Bearer pgr_…` header, or null (no header, unknown, revoked, disabled). */
export async function resolveTokenActor(
  db: Db,
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

export async function createApiToken(
  db: Db,
  actor: TActor,
  input: { userId: string; name: string },
): Promise<{ id: string; token: string; prefix: string }> {
  const token = newToken();
  const prefix = token.slice(0, 8);
  const created = await db.apiToken.create({
    data: { userId: input.userId, name: input.name, tokenHash: hashToken(token), prefix },
    select: { id: true },
  });
  await recordAudit(db, actor, {
    action: "token.create",
    targetType: "ApiToken",
    targetId: created.id,
    details: { userId: input.userId, name: input.name, prefix },
  });
  return { id: created.id, token, prefix };
}

export async function revokeApiToken(db: Db, actor: TActor, tokenId: string): Promise<void> {
  const result = await db.apiToken.updateMany({
    where: { id: tokenId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count === 0)
    throw new ServiceError(
      "NOT_FOUND",
      `API token ${tokenId} does not exist or is already revoked`,
    );
  await recordAudit(db, actor, {
    action: "token.revoke",
    targetType: "ApiToken",
    targetId: tokenId,
  });
}

export async function createUser(
  db: Db,
  actor: TActor,
  input: { email: string; name: string; role: Role },
): Promise<{ id: string }> {
  const existing = await db.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  if (existing !== null)
    throw new ServiceError("CONFLICT", `a user with the email ${input.email} exists already`);
  const user = await db.user.create({ data: input, select: { id: true } });
  await recordAudit(db, actor, {
    action: "user.create",
    targetType: "User",
    targetId: user.id,
    details: { email: input.email, role: input.role },
  });
  return user;
}

const SYSTEM_ACTOR: TActor = { id: "", label: "system", role: "ADMIN" };

/**
 * On first start (no user at all): an admin and a token for it. The token comes from `presetToken`
 * (PGRESCUE_BOOTSTRAP_TOKEN) when given, else it is generated and returned once for the log.
 */
export async function bootstrapFirstAdmin(
  db: Db,
  presetToken?: string,
): Promise<{ email: string; token: string | null } | null> {
  if ((await db.user.count()) > 0) return null;
  if (presetToken !== undefined && !TOKEN_PATTERN.test(presetToken)) {
    throw new ServiceError(
      "BAD_REQUEST",
      "PGRESCUE_BOOTSTRAP_TOKEN must look like pgr_ followed by 43 base64url characters",
    );
  }
  const token = presetToken ?? newToken();
  const email = "admin@localhost";
  const user = await db.user.create({
    data: { email, name: "First admin", role: "ADMIN" },
    select: { id: true },
  });
  await db.apiToken.create({
    data: {
      userId: user.id,
      name: "bootstrap",
      tokenHash: hashToken(token),
      prefix: token.slice(0, 8),
    },
    select: { id: true },
  });
  await recordAudit(
    db,
    { ...SYSTEM_ACTOR, id: user.id },
    { action: "user.bootstrap", targetType: "User", targetId: user.id, details: { email } },
  );
  return { email, token: presetToken === undefined ? token : null };
}

export { newToken as generateApiToken };
