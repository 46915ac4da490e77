// Loads real action-script outputs (*.txt) and how they were captured (*.meta.json) for tests.
import { z } from "zod";

const ZActionFixtureMeta = z.object({
  name: z.string(),
  rung: z.number(),
  exitCode: z.number().nullable(),
  how: z.string(),
  capturedAt: z.string(),
  stateChangingCommands: z.array(z.string()),
});

export type TActionFixture = {
  name: string;
  text: string;
  meta: z.infer<typeof ZActionFixtureMeta>;
};

const texts = import.meta.glob<string>("./*.txt", {
  query: "?raw",
  import: "default",
  eager: true,
});
const metas = import.meta.glob("./*.meta.json", { import: "default", eager: true });

/** Every captured output by name, e.g. "rung3-zombies.pg15". */
export const ACTION_FIXTURES: ReadonlyMap<string, TActionFixture> = new Map(
  Object.entries(metas).map(([file, raw]) => {
    const name = file.slice(2, -".meta.json".length);
    const text = texts[`./${name}.txt`];
    if (text === undefined) throw new Error(`action fixture ${name}.txt is missing`);
    return [name, { name, text, meta: ZActionFixtureMeta.parse(raw) }];
  }),
);

/** A fixture by name; throws when it does not exist (a typo must fail the test, not skip it). */
export function loadActionFixture(name: string): TActionFixture {
  const fixture = ACTION_FIXTURES.get(name);
  if (!fixture)
    throw new Error(`no action fixture ${name}; have ${[...ACTION_FIXTURES.keys()].join(", ")}`);
  return fixture;
}
