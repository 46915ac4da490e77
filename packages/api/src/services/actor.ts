// Who is acting: the signed-in user (through an API token until sign-in arrives) as services see them.
import type { Role } from "@pgrescue/db";

export type TActor = {
  id: string;
  label: string;
  role: Role;
  ip?: string | undefined;
  /** The browser session the request came with (a password change keeps this one and ends the others). */
  sessionId?: string | undefined;
};

const RANK: Record<Role, number> = { VIEWER: 0, OPERATOR: 1, APPROVER: 2, ADMIN: 3 };

/** Roles are ordered: an approver may also operate, an admin may do everything. */
export function hasRole(actor: Pick<TActor, "role">, needed: Role): boolean {
  return RANK[actor.role] >= RANK[needed];
}
