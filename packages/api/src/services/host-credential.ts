// A host's credential: the login shapes an admin enters, sealed into the store under the vault's key, and opened again
// (only on the server) to build an SSH login.
import type { AuthMethod, Prisma } from "@pgrescue/db";
import type { TSshAuth } from "@pgrescue/remote";
import { z } from "zod";
import { ServiceError } from "./service-error.ts";
import type { TVault } from "./vault.ts";

export const ZKeyAuth = z.object({
  kind: z.literal("key"),
  privateKey: z.string().min(1).max(65_536),
  passphrase: z.string().min(1).max(1024).optional(),
});
export const ZPasswordAuth = z.object({
  kind: z.literal("password"),
  password: z.string().min(1).max(1024),
});
export const ZAgentAuth = z.object({ kind: z.literal("agent") });

export const ZHostAuthInput = z.discriminatedUnion("kind", [ZKeyAuth, ZPasswordAuth, ZAgentAuth]);
export type THostAuthInput = z.infer<typeof ZHostAuthInput>;

export const AUTH_METHOD = { key: "KEY", password: "PASSWORD", agent: "AGENT" } as const;

export function toSshAuth(auth: THostAuthInput): TSshAuth {
  switch (auth.kind) {
    case "key":
      return { kind: "key", privateKey: auth.privateKey, passphrase: auth.passphrase };
    case "password":
      return { kind: "password", password: auth.password };
    case "agent":
      return { kind: "agent" };
  }
}

/** Seals the credential under the vault's current key; the agent needs none. */
export async function createCredential(
  tx: Prisma.TransactionClient,
  vault: TVault,
  auth: THostAuthInput,
): Promise<string | null> {
  if (auth.kind === "agent") return null;
  const credential = await tx.credential.create({
    data: {
      kind: AUTH_METHOD[auth.kind],
      keyId: vault.keyId,
      sealed: vault.seal(JSON.stringify(auth)),
    },
    select: { id: true },
  });
  return credential.id;
}

export function openStoredAuth(
  vault: TVault,
  host: { name: string; authMethod: AuthMethod; credential: { sealed: Uint8Array } | null },
): THostAuthInput {
  if (host.authMethod === "AGENT") return { kind: "agent" };
  if (host.credential === null)
    throw new ServiceError("PRECONDITION_FAILED", `${host.name} has no stored credential`);
  return ZHostAuthInput.parse(JSON.parse(vault.open(host.credential.sealed)));
}
