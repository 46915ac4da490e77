// hosts.*: testConnection (the key the host presents), add (connection test + host-key pin on explicit accept), list;
// credentials never leave the server.
import { z } from "zod";
import {
  addHost,
  listHosts,
  testHostConnection,
  ZAddHostInput,
  ZTestConnectionInput,
} from "../services/hosts.ts";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "../trpc.ts";

export const ZHostSchema = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  sshUser: z.string(),
  becomeUser: z.string().nullable(),
  authMethod: z.enum(["KEY", "PASSWORD", "AGENT"]),
  hostKeyAlgorithm: z.string().nullable(),
  hostKeyFingerprint: z.string().nullable(),
  hostKeyPinnedAt: z.date().nullable(),
  hostKeyMismatchAt: z.date().nullable(),
  hostKeyMismatchFingerprint: z.string().nullable(),
  createdAt: z.date(),
});

export const ZHostListItemSchema = ZHostSchema.extend({
  instances: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      dataDir: z.string(),
      snapshots: z.array(z.object({ verdict: z.string(), takenAt: z.date() })),
    }),
  ),
});

export const ZPresentedHostKeySchema = z.object({ algorithm: z.string(), fingerprint: z.string() });

export const hostsRouter = createTRPCRouter({
  testConnection: adminProcedure
    .input(ZTestConnectionInput)
    .output(ZPresentedHostKeySchema)
    .mutation(({ ctx, input }) => testHostConnection(ctx.runtime, input)),
  add: adminProcedure
    .input(ZAddHostInput)
    .output(ZHostSchema)
    .mutation(({ ctx, input }) => addHost(ctx.db, ctx.runtime, ctx.actor, input)),
  list: viewerProcedure.output(z.array(ZHostListItemSchema)).query(({ ctx }) => listHosts(ctx.db)),
});
