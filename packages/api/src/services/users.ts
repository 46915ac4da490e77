// People: the first admin (from the environment or a one-time setup link), users created and managed by
// admins, passwords (better-auth's memory-hard scrypt, in the credential account) and their sessions.
import { createHash, randomBytes } from "node:crypto";
import type { TDb, Role } from "@pgrescue/db";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { isAccountLocked, LOCKED_MESSAGE } from "./auth.ts";
import { requireStrongPassword } from "./password-strength.ts";
import { ServiceError } from "./service-error.ts";
import { storeApiToken } from "./tokens.ts";

type TTx = Parameters<Parameters<TDb["$transaction"]>[0]>[0];

const CREDENTIAL_PROVIDER = "credential";
const SETUP_IDENTIFIER = "first-admin-setup";
/** The setup link printed at first start stays valid this long (a new start prints a new one). */
export const SETUP_LINK_TTL_MS = 24 * 60 * 60_000;
const SYSTEM: TActor = { id: "", label: "system", role: "ADMIN" };

export type TNewUser = { email: string; name: string; role: Role; password: string };

export const ZUserSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabledAt: true,
  createdAt: true,
} as const;

function newId(): string {
  return randomBytes(16).toString("base64url");
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Serialises first-admin creation across console processes sharing one store. */
async function lockFirstAdmin(tx: TTx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('pgrescue:first-admin'))`;
}

/** A new user's password must be hard to guess; checked before any transaction opens (it takes up to ~0.5 s). */
function requireStrongNewUserPassword(input: Pick<TNewUser, "email" | "name" | "password">): void {
  requireStrongPassword("password", input.password, {
    email: input.email.trim().toLowerCase(),
    name: input.name,
  });
}

async function insertUser(tx: TTx, input: TNewUser): Promise<{ id: string; email: string }> {
  const email = input.email.trim().toLowerCase();
  const existing = await tx.user.findUnique({ where: { email }, select: { id: true } });
  if (existing !== null)
    throw new ServiceError("CONFLICT", `a user with the email ${email} exists already`);
  const user = await tx.user.create({
    data: { email, name: input.name, role: input.role },
    select: { id: true, email: true },
  });
  await tx.account.create({
    data: {
      id: newId(),
      accountId: user.id,
      providerId: CREDENTIAL_PROVIDER,
      userId: user.id,
      password: await hashPassword(input.password),
    },
    select: { id: true },
  });
  return user;
}

export async function createUser(db: TDb, actor: TActor, input: TNewUser): Promise<{ id: string }> {
  requireStrongNewUserPassword(input);
  return db.$transaction(async (tx) => {
    const user = await insertUser(tx, input);
    await recordAudit(tx, actor, {
      action: "user.create",
      targetType: "User",
      targetId: user.id,
      details: { email: user.email, role: input.role },
    });
    return { id: user.id };
  });
}

export async function listUsers(db: TDb) {
  const users = await db.user.findMany({
    orderBy: { email: "asc" },
    select: {
      ...ZUserSelect,
      _count: { select: { sessions: { where: { expiresAt: { gt: new Date() } } } } },
      apiTokens: { where: { revokedAt: null }, select: { id: true } },
    },
  });
  return users.map(({ _count, apiTokens, ...user }) => ({
    ...user,
    activeSessions: _count.sessions,
    activeTokens: apiTokens.length,
  }));
}

async function requireOtherActiveAdmin(tx: TTx, userId: string, what: string): Promise<void> {
  const others = await tx.user.count({
    where: { role: "ADMIN", disabledAt: null, id: { not: userId } },
  });
  if (others === 0)
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `${what} would leave the console without an active admin: make someone else admin first`,
    );
}

async function loadUser(tx: TTx | TDb, userId: string) {
  const user = await tx.user.findUnique({ where: { id: userId }, select: ZUserSelect });
  if (user === null) throw new ServiceError("NOT_FOUND", `user ${userId} does not exist`);
  return user;
}

export async function setUserRole(
  db: TDb,
  actor: TActor,
  input: { userId: string; role: Role },
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockFirstAdmin(tx);
    const user = await loadUser(tx, input.userId);
    if (user.role === input.role) return;
    if (user.role === "ADMIN")
      await requireOtherActiveAdmin(
        tx,
        user.id,
        `making ${user.email} ${input.role.toLowerCase()}`,
      );
    await tx.user.update({
      where: { id: user.id },
      data: { role: input.role },
      select: { id: true },
    });
    await recordAudit(tx, actor, {
      action: "user.role",
      targetType: "User",
      targetId: user.id,
      details: { email: user.email, from: user.role, to: input.role },
    });
  });
}

/** Disabling signs the user out everywhere at once: sessions deleted, tokens refused while disabled. */
export async function setUserDisabled(
  db: TDb,
  actor: TActor,
  input: { userId: string; disabled: boolean },
): Promise<void> {
  if (input.disabled && input.userId === actor.id)
    throw new ServiceError("PRECONDITION_FAILED", "you cannot disable your own account");
  await db.$transaction(async (tx) => {
    await lockFirstAdmin(tx);
    const user = await loadUser(tx, input.userId);
    if ((user.disabledAt !== null) === input.disabled) return;
    if (input.disabled && user.role === "ADMIN")
      await requireOtherActiveAdmin(tx, user.id, `disabling ${user.email}`);
    await tx.user.update({
      where: { id: user.id },
      data: { disabledAt: input.disabled ? new Date() : null },
      select: { id: true },
    });
    if (input.disabled) await tx.session.deleteMany({ where: { userId: user.id } });
    await recordAudit(tx, actor, {
      action: input.disabled ? "user.disable" : "user.enable",
      targetType: "User",
      targetId: user.id,
      details: { email: user.email },
    });
  });
}

async function writePassword(tx: TTx, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  const updated = await tx.account.updateMany({
    where: { userId, providerId: CREDENTIAL_PROVIDER },
    data: { password: hash },
  });
  if (updated.count === 0) {
    await tx.account.create({
      data: {
        id: newId(),
        accountId: userId,
        providerId: CREDENTIAL_PROVIDER,
        userId,
        password: hash,
      },
      select: { id: true },
    });
  }
}

/** Revokes every live API token of the user; returns how many. */
async function revokeAllTokens(tx: TTx, userId: string): Promise<number> {
  const revoked = await tx.apiToken.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return revoked.count;
}

/**
 * An admin sets a new password for someone (who forgot theirs, or whose password leaked): their sessions end and
 * their API tokens are revoked — whoever knew the old password may have made one.
 */
export async function resetUserPassword(
  db: TDb,
  actor: TActor,
  input: { userId: string; password: string },
): Promise<void> {
  requireStrongPassword("password", input.password, await loadUser(db, input.userId));
  await db.$transaction(async (tx) => {
    const user = await loadUser(tx, input.userId);
    await writePassword(tx, user.id, input.password);
    const sessions = await tx.session.deleteMany({ where: { userId: user.id } });
    const tokens = await revokeAllTokens(tx, user.id);
    await recordAudit(tx, actor, {
      action: "user.password.reset",
      targetType: "User",
      targetId: user.id,
      details: { email: user.email, sessionsEnded: sessions.count, tokensRevoked: tokens },
    });
  });
}

/**
 * The signed-in user changes their own password, proving the current one. Wrong current passwords count towards the
 * same lockout as failed sign-ins and are audited; a change ends every other session of the user and revokes all
 * their API tokens (the page says so beforehand): whoever knew the old password is out.
 */
export async function changeOwnPassword(
  db: TDb,
  actor: TActor,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await loadUser(db, actor.id);
  const account = { email: user.email, userId: user.id };
  if (await isAccountLocked(db, account)) {
    await recordAudit(db, actor, {
      action: "user.password.change-locked",
      targetType: "User",
      targetId: actor.id,
    });
    throw new ServiceError("TOO_MANY_REQUESTS", LOCKED_MESSAGE(user.email));
  }
  const credential = await db.account.findFirst({
    where: { userId: actor.id, providerId: CREDENTIAL_PROVIDER },
    select: { password: true },
  });
  const valid =
    credential?.password != null &&
    (await verifyPassword({ hash: credential.password, password: input.currentPassword }));
  if (!valid) {
    await recordAudit(db, actor, {
      action: "user.password.change-failed",
      targetType: "User",
      targetId: actor.id,
    });
    throw new ServiceError("BAD_REQUEST", "the current password is not correct");
  }
  requireStrongPassword("newPassword", input.newPassword, user);
  await db.$transaction(async (tx) => {
    await writePassword(tx, actor.id, input.newPassword);
    const sessions = await tx.session.deleteMany({
      where: {
        userId: actor.id,
        ...(actor.sessionId === undefined ? {} : { id: { not: actor.sessionId } }),
      },
    });
    const tokens = await revokeAllTokens(tx, actor.id);
    await recordAudit(tx, actor, {
      action: "user.password.change",
      targetType: "User",
      targetId: actor.id,
      details: { sessionsEnded: sessions.count, tokensRevoked: tokens },
    });
  });
}

/**
 * First start with PGRESCUE_ADMIN_EMAIL and PGRESCUE_ADMIN_PASSWORD: that admin (and, with a preset token,
 * an API token for automation). Null when users exist already.
 */
export async function bootstrapFirstAdmin(
  db: TDb,
  input: { email: string; password: string; name?: string; token?: string | undefined },
): Promise<{ id: string; email: string } | null> {
  if ((await db.user.count()) > 0) return null;
  requireStrongNewUserPassword({ ...input, name: input.name ?? "First admin" });
  return db.$transaction(async (tx) => {
    await lockFirstAdmin(tx);
    if ((await tx.user.count()) > 0) return null;
    const user = await insertUser(tx, {
      email: input.email,
      name: input.name ?? "First admin",
      role: "ADMIN",
      password: input.password,
    });
    if (input.token !== undefined) await storeApiToken(tx, user.id, "bootstrap", input.token);
    await recordAudit(
      tx,
      { ...SYSTEM, id: user.id },
      {
        action: "user.bootstrap",
        targetType: "User",
        targetId: user.id,
        details: { email: user.email, via: "environment" },
      },
    );
    return user;
  });
}

/** First start without users: a one-time setup token (only its hash is stored), or null when users exist. */
export async function issueSetupToken(db: TDb, now = new Date()): Promise<string | null> {
  return db.$transaction(async (tx) => {
    await lockFirstAdmin(tx);
    if ((await tx.user.count()) > 0) return null;
    const token = randomBytes(32).toString("base64url");
    await tx.verification.deleteMany({ where: { identifier: SETUP_IDENTIFIER } });
    await tx.verification.create({
      data: {
        id: newId(),
        identifier: SETUP_IDENTIFIER,
        value: sha256(token),
        expiresAt: new Date(now.getTime() + SETUP_LINK_TTL_MS),
      },
      select: { id: true },
    });
    return token;
  });
}

/** Whether the console still waits for its first admin (the setup page says so, or sends people to sign in). */
export async function needsFirstAdmin(db: TDb): Promise<boolean> {
  return (await db.user.count()) === 0;
}

/** The setup link's form: the token must match and be unexpired, and no user may exist yet; it is used up. */
export async function completeFirstAdminSetup(
  db: TDb,
  input: { token: string; email: string; name: string; password: string },
  ip?: string,
): Promise<{ email: string }> {
  // the token first (cheap, and only its holder gets the password judged), then the password, then the transaction
  const link = await db.verification.findFirst({
    where: { identifier: SETUP_IDENTIFIER, value: sha256(input.token) },
    select: { id: true },
  });
  if (link !== null) requireStrongNewUserPassword(input);
  return db.$transaction(async (tx) => {
    await lockFirstAdmin(tx);
    if ((await tx.user.count()) > 0)
      throw new ServiceError(
        "PRECONDITION_FAILED",
        "the console has its first admin already: sign in instead",
      );
    const found = await tx.verification.findFirst({
      where: { identifier: SETUP_IDENTIFIER, value: sha256(input.token) },
      select: { id: true, expiresAt: true },
    });
    if (found === null || found.expiresAt <= new Date())
      throw new ServiceError(
        "UNAUTHORIZED",
        "this setup link is not valid (mistyped, used, or expired): restart the console to print a new one",
      );
    const user = await insertUser(tx, {
      email: input.email,
      name: input.name,
      role: "ADMIN",
      password: input.password,
    });
    await tx.verification.deleteMany({ where: { identifier: SETUP_IDENTIFIER } });
    // the person who used the setup link is the new admin: the event names them
    await recordAudit(
      tx,
      { id: user.id, label: user.email, role: "ADMIN", ip },
      {
        action: "user.bootstrap",
        targetType: "User",
        targetId: user.id,
        details: { email: user.email, via: "setup link" },
      },
    );
    return { email: user.email };
  });
}
