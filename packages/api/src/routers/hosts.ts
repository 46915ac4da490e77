// hosts.*: testConnection (the key the host presents), add and update (connection test; host-key pin on explicit
// accept), reviewHostKey and repinHostKey (an admin lifts a host-key mismatch), list; credentials never leave the server.
import { RemoteError } from "@pgrescue/remote";
import { z } from "zod";
import { recordAudit } from "../services/audit.ts";
import { ServiceError } from "../services/service-error.ts";
import { ZId } from "../services/inputs.ts";
import { repinHostKey, reviewHostKey, ZRepinHostKeyInput } from "../services/host-key-repin.ts";
import {
  addHost,
  listHosts,
  testHostConnection,
  updateHost,
  ZAddHostInput,
  ZTestConnectionInput,
  ZUpdateHostInput,
} from "../services/hosts.ts";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "../trpc.ts";
import {
  ZHostKeyReviewSchema,
  ZHostListItemSchema,
  ZHostSchema,
  ZHostUpdateSchema,
  ZPresentedHostKeySchema,
} from "./schemas.ts";

export const hostsRouter = createTRPCRouter({
  testConnection: adminProcedure
    .input(ZTestConnectionInput)
    .output(ZPresentedHostKeySchema)
    .mutation(async ({ ctx, input }) => {
      // a connection test reaches out from the console's network: audited, with what it found
      const target = { address: input.address, port: input.port, sshUser: input.sshUser };
      try {
        const presented = await testHostConnection(ctx.runtime, input);
        await recordAudit(ctx.db, ctx.actor, {
          action: "host.test-connection",
          targetType: "Address",
          targetId: `${input.address}:${String(input.port)}`,
          details: { ...target, outcome: "key presented", fingerprint: presented.fingerprint },
        });
        return presented;
      } catch (error) {
        await recordAudit(ctx.db, ctx.actor, {
          action: "host.test-connection",
          targetType: "Address",
          targetId: `${input.address}:${String(input.port)}`,
          details: {
            ...target,
            outcome: "failed",
            error:
              error instanceof RemoteError || error instanceof ServiceError
                ? error.code
                : "unexpected",
          },
        });
        throw error;
      }
    }),
  add: adminProcedure
    .input(ZAddHostInput)
    .output(ZHostSchema)
    .mutation(({ ctx, input }) => addHost(ctx.db, ctx.runtime, ctx.actor, input)),
  update: adminProcedure
    .input(ZUpdateHostInput)
    .output(ZHostUpdateSchema)
    .mutation(({ ctx, input }) => updateHost(ctx.db, ctx.runtime, ctx.actor, input)),
  reviewHostKey: adminProcedure
    .input(z.object({ hostId: ZId }))
    .output(ZHostKeyReviewSchema)
    .query(({ ctx, input }) => reviewHostKey(ctx.db, ctx.runtime, input.hostId)),
  repinHostKey: adminProcedure
    .input(ZRepinHostKeyInput)
    .output(ZHostSchema)
    .mutation(({ ctx, input }) => repinHostKey(ctx.db, ctx.runtime, ctx.actor, input)),
  list: viewerProcedure.output(z.array(ZHostListItemSchema)).query(({ ctx }) => listHosts(ctx.db)),
});
