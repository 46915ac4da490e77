// Public entry of @pgrescue/db: the client factory, store health and the generated types.
import "server-only";

export { createDb, type Db, type TDb } from "./client.ts";
export { checkStoreHealth, type TStoreHealth } from "./health.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/models.ts";
export * from "./generated/prisma/enums.ts";
