// The Prisma client for pgrescue's store, through the pg driver adapter.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type TDb = PrismaClient;
/** The old name, still imported by packages/api/src/services/steps.ts while another change rewrites it; use TDb. */
// eslint-disable-next-line @typescript-eslint/naming-convention -- kept until steps.ts imports TDb (issue 10)
export type Db = TDb;

export function createDb(databaseUrl: string): TDb {
  const adapter = new PrismaPg({ connectionString: databaseUrl });
  return new PrismaClient({ adapter });
}
