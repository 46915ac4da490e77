// The application router: one sub-router per area.
import { policyRouter, setupRouter, tokensRouter, usersRouter } from "./routers/admin.ts";
import { auditRouter } from "./routers/audit.ts";
import { demoRouter } from "./routers/demo.ts";
import { hostsRouter } from "./routers/hosts.ts";
import { incidentsRouter } from "./routers/incidents.ts";
import { instancesRouter } from "./routers/instances.ts";
import { stepsRouter } from "./routers/steps.ts";
import { systemRouter } from "./routers/system.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  system: systemRouter,
  hosts: hostsRouter,
  instances: instancesRouter,
  incidents: incidentsRouter,
  steps: stepsRouter,
  users: usersRouter,
  tokens: tokensRouter,
  policy: policyRouter,
  audit: auditRouter,
  demo: demoRouter,
  setup: setupRouter,
});

export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
