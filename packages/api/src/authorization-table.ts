// Who may call what: every procedure of appRouter with the least role that passes its gate, and a small input of
// the right shape. authorization.integration.test.ts calls each one as nobody and as every role; a procedure
// missing here (or an entry for one that is gone) fails the typecheck and that test.
import type { AnyProcedure, inferProcedureInput } from "@trpc/server";
import type { TAppRouter } from "./root.ts";

/** "public": anybody, signed in or not; "signed-in": any user (protectedProcedure); then the role procedures. */
export type TMinimumRole = "public" | "signed-in" | "viewer" | "operator" | "approver" | "admin";

export type TGateFixture = {
  /** a loopback port nothing listens on: SSH attempts fail fast as unreachable, never as an auth failure */
  closedPort: number;
  /** different on every call, for names that must be unique */
  unique: string;
};

/** Every procedure as { path, input }, from the router's nested record. */
type TProcedureEntries<TRecord, TPrefix extends string = ""> = {
  [K in keyof TRecord & string]: TRecord[K] extends AnyProcedure
    ? { path: `${TPrefix}${K}`; input: inferProcedureInput<TRecord[K]> }
    : TProcedureEntries<TRecord[K], `${TPrefix}${K}.`>;
}[keyof TRecord & string];

type TEntry = TProcedureEntries<TAppRouter["_def"]["record"]>;

/** Input may be left out only where the procedure takes none (or all of it is optional). */
type TGate<TInput> = undefined extends TInput
  ? { minimum: TMinimumRole; input?: (fixture: TGateFixture) => TInput }
  : { minimum: TMinimumRole; input: (fixture: TGateFixture) => TInput };

export type TGateTable = { [E in TEntry as E["path"]]: TGate<E["input"]> };

const NO_SUCH_ID = "authz-no-such-id";
const PASSWORD = "authz-correct-horse-battery";
const FINGERPRINT = `SHA256:${"A".repeat(43)}`;

const sshTarget = ({ closedPort }: TGateFixture) => ({
  address: "127.0.0.1",
  port: closedPort,
  sshUser: "postgres",
  auth: { kind: "password" as const, password: "authz" },
});

export const PROCEDURE_GATES = {
  "system.health": { minimum: "public" },

  "hosts.testConnection": { minimum: "admin", input: sshTarget },
  "hosts.add": {
    minimum: "admin",
    input: (fixture) => ({
      ...sshTarget(fixture),
      name: `authz-${fixture.unique}`,
      hostKey: { acceptNew: true },
    }),
  },
  "hosts.update": { minimum: "admin", input: () => ({ hostId: NO_SUCH_ID }) },
  "hosts.reviewHostKey": { minimum: "admin", input: () => ({ hostId: NO_SUCH_ID }) },
  "hosts.repinHostKey": {
    minimum: "admin",
    input: () => ({ hostId: NO_SUCH_ID, fingerprint: FINGERPRINT, confirm: "authz" }),
  },
  "hosts.list": { minimum: "viewer" },

  "instances.add": {
    minimum: "admin",
    input: () => ({ host: NO_SUCH_ID, pgdata: "/srv/authz/main" }),
  },
  "instances.list": { minimum: "viewer" },
  "instances.history": { minimum: "viewer", input: () => ({ instanceId: NO_SUCH_ID }) },
  "instances.changes": { minimum: "viewer", input: () => ({ snapshotId: NO_SUCH_ID }) },
  "instances.snapshot": { minimum: "viewer", input: () => ({ snapshotId: NO_SUCH_ID }) },
  "instances.diagnose": { minimum: "operator", input: () => ({ instanceId: NO_SUCH_ID }) },

  "incidents.open": { minimum: "operator", input: () => ({ instanceId: NO_SUCH_ID }) },
  "incidents.diagnose": { minimum: "operator", input: () => ({ incidentId: NO_SUCH_ID }) },
  "incidents.close": {
    minimum: "operator",
    input: () => ({ incidentId: NO_SUCH_ID, outcome: "RECOVERED" as const, summary: "authz" }),
  },
  "incidents.list": { minimum: "viewer", input: () => ({}) },
  "incidents.get": { minimum: "viewer", input: () => ({ incidentId: NO_SUCH_ID }) },
  "incidents.export": {
    minimum: "viewer",
    input: () => ({ incidentId: NO_SUCH_ID, format: "md" as const }),
  },
  "incidents.events": { minimum: "viewer", input: () => ({ incidentId: NO_SUCH_ID }) },

  "steps.propose": { minimum: "operator", input: () => ({ incidentId: NO_SUCH_ID }) },
  "steps.approve": { minimum: "approver", input: () => ({ stepId: NO_SUCH_ID }) },
  "steps.run": { minimum: "operator", input: () => ({ stepId: NO_SUCH_ID }) },
  "steps.skip": { minimum: "operator", input: () => ({ stepId: NO_SUCH_ID, reason: "authz" }) },

  "users.me": { minimum: "signed-in" },
  "users.list": { minimum: "admin" },
  "users.create": {
    minimum: "admin",
    input: ({ unique }) => ({
      email: `authz-${unique}@example.com`,
      name: "Authz",
      role: "VIEWER" as const,
      password: PASSWORD,
    }),
  },
  "users.setRole": {
    minimum: "admin",
    input: () => ({ userId: NO_SUCH_ID, role: "VIEWER" as const }),
  },
  "users.setDisabled": { minimum: "admin", input: () => ({ userId: NO_SUCH_ID, disabled: true }) },
  "users.resetPassword": {
    minimum: "admin",
    input: () => ({ userId: NO_SUCH_ID, password: PASSWORD }),
  },
  "users.changePassword": {
    minimum: "signed-in",
    input: () => ({ currentPassword: "not-the-password", newPassword: PASSWORD }),
  },

  "tokens.list": { minimum: "signed-in", input: () => ({ all: false }) },
  "tokens.create": { minimum: "signed-in", input: () => ({ name: "authz" }) },
  "tokens.revoke": { minimum: "signed-in", input: () => ({ tokenId: NO_SUCH_ID }) },

  "policy.get": { minimum: "viewer" },
  "policy.update": {
    minimum: "admin",
    input: () => ({ fourEyesRungs: [], approvalTtlMinutes: null }),
  },

  "audit.list": { minimum: "admin", input: () => ({}) },

  "demo.status": { minimum: "viewer" },
  "demo.createLabHost": { minimum: "admin" },
  "demo.breakAgain": { minimum: "admin" },
  "demo.remove": { minimum: "admin" },

  "setup.status": { minimum: "public" },
  "setup.complete": {
    minimum: "public",
    input: ({ unique }) => ({
      token: "A".repeat(43),
      email: `authz-setup-${unique}@example.com`,
      name: "Authz",
      password: PASSWORD,
    }),
  },
} satisfies TGateTable;
