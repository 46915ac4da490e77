// Loads the probe captured on lab hosts with supervisors (probe-supervised/*.txt, by the lab's
// capture-supervised-fixtures.ts) with what the lab itself saw of the supervisor at capture time (meta.json).
import { z } from "zod";

const ZSupervisorView = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("tini") }),
  z.object({
    kind: z.literal("systemd"),
    unit: z.string(),
    activeState: z.string(),
    subState: z.string(),
    mainPid: z.number(),
    result: z.string(),
    restart: z.string(),
    nRestarts: z.number(),
    controlGroup: z.string(),
    dropIns: z.array(z.string()),
  }),
  z.object({
    kind: z.literal("patroni"),
    patroniPid: z.number().nullable(),
    restUrl: z.string(),
    state: z.string().nullable(),
    role: z.string().nullable(),
    paused: z.boolean(),
    timeline: z.number().nullable(),
  }),
]);

const ZSupervisedMeta = z.object({
  fixture: z.string(),
  pgdata: z.string(),
  major: z.number(),
  how: z.string(),
  runtimeMs: z.number(),
  bytes: z.number(),
  hostDiffAfterProbe: z.array(z.string()),
  /** How the lab runs the instance (unit, style, Restart= drop-in; Patroni's configuration and REST port). */
  supervision: z
    .object({
      kind: z.string(),
      unit: z.string().optional(),
      style: z.string().optional(),
      restart: z.string().optional(),
      configFile: z.string().optional(),
      restPort: z.number().optional(),
    })
    .nullable(),
  /** What the lab read from systemd or Patroni right after the probe: independent ground truth. */
  supervisorView: ZSupervisorView,
  scenario: z
    .object({ scenario: z.string(), postmasterPid: z.number().nullable() })
    .nullable(),
});

export type TSupervisedFixture = { name: string; text: string; meta: z.infer<typeof ZSupervisedMeta> };

const texts = import.meta.glob<string>("./probe-supervised/*.txt", {
  query: "?raw",
  import: "default",
  eager: true,
});
const metas = import.meta.glob("./probe-supervised/*.meta.json", { import: "default", eager: true });

/** Every supervised capture by name, e.g. "systemd-debian-always-zombies". */
export const SUPERVISED_FIXTURES: ReadonlyMap<string, TSupervisedFixture> = new Map(
  Object.entries(metas).map(([file, raw]) => {
    const name = file.slice(file.lastIndexOf("/") + 1, -".meta.json".length);
    const text = texts[`./probe-supervised/${name}.txt`];
    if (text === undefined) throw new Error(`fixture ${name}.txt is missing`);
    return [name, { name, text, meta: ZSupervisedMeta.parse(raw) }];
  }),
);

export function loadSupervisedFixture(name: string): TSupervisedFixture {
  const fixture = SUPERVISED_FIXTURES.get(name);
  if (fixture === undefined)
    throw new Error(`no supervised fixture ${name}; have ${[...SUPERVISED_FIXTURES.keys()].join(", ")}`);
  return fixture;
}
