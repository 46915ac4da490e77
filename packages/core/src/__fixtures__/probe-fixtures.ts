// Loads the captured probe outputs (probe/*.txt) and their capture metadata (probe/*.meta.json) for tests.
import { z } from "zod";

const ZScenarioState = z.object({
  scenario: z.string(),
  postmasterPid: z.number().nullable(),
  pidFilePid: z.number().nullable(),
  backendPids: z.array(z.number()),
  zombiePids: z.array(z.number()),
  orphanPids: z.array(z.number()),
  stoppedPids: z.array(z.number()),
  unrelatedPids: z.array(z.number()),
  shm: z
    .object({ key: z.number(), shmid: z.number(), nattch: z.number(), ownerUid: z.number() })
    .nullable(),
  semaphores: z.array(
    z.object({
      semid: z.number(),
      creatorPid: z.number(),
      creatorAlive: z.boolean(),
      kind: z.string(),
      ours: z.boolean(),
    }),
  ),
  twin: z
    .object({ instance: z.object({ pgdata: z.string() }), postmasterPid: z.number() })
    .nullable(),
});

const ZFixtureMeta = z.object({
  fixture: z.string(),
  pgdata: z.string(),
  major: z.number(),
  how: z.string(),
  runtimeMs: z.number(),
  bytes: z.number(),
  hostDiffAfterProbe: z.array(z.string()),
  /** Ground truth from packages/lab (independent of core), for fixtures captured through the lab. */
  scenario: ZScenarioState.nullable(),
});

export type TFixtureMeta = z.infer<typeof ZFixtureMeta>;
export type TProbeFixture = { name: string; text: string; meta: TFixtureMeta };

const texts = import.meta.glob<string>("./probe/*.txt", {
  query: "?raw",
  import: "default",
  eager: true,
});
const metas = import.meta.glob("./probe/*.meta.json", { import: "default", eager: true });

function baseName(file: string, suffix: string): string {
  return file.slice(file.lastIndexOf("/") + 1, -suffix.length);
}

/** Every captured fixture by name, e.g. "zombies.pg15". */
export const PROBE_FIXTURES: ReadonlyMap<string, TProbeFixture> = new Map(
  Object.entries(metas).map(([file, raw]) => {
    const name = baseName(file, ".meta.json");
    const text = texts[`./probe/${name}.txt`];
    if (text === undefined) throw new Error(`fixture ${name}.txt is missing`);
    return [name, { name, text, meta: ZFixtureMeta.parse(raw) }];
  }),
);

/** A fixture by name; throws when it does not exist (a typo must fail the test, not skip it). */
export function loadFixture(name: string): TProbeFixture {
  const fixture = PROBE_FIXTURES.get(name);
  if (!fixture)
    throw new Error(`no probe fixture ${name}; have ${[...PROBE_FIXTURES.keys()].join(", ")}`);
  return fixture;
}

/** Raw malformed inputs (malformed/*.txt), derived from real captures. */
export const MALFORMED: ReadonlyMap<string, string> = new Map(
  Object.entries(
    import.meta.glob<string>("./malformed/*.txt", {
      query: "?raw",
      import: "default",
      eager: true,
    }),
  ).map(([file, text]) => [baseName(file, ".txt"), text]),
);
