// The import zones and the naming rule of eslint.config.mjs, proven on code that breaks them: the real config, linted
// as if the code lived at each path (only the rule under test runs, so no type information is needed).
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const eslint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) =>
    ruleId.endsWith("no-restricted-imports") || ruleId === "no-restricted-syntax",
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

/** The messages of the import-restriction rules for `code` as if it were the file at `filePath`. */
async function restrictions(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? "?"}: ${message.message}`);
}

const STATIC_LAB =
  'import { startLabHost } from "@pgrescue/lab";\nexport const start = startLabHost;\n';
const DYNAMIC_LAB = 'export const later = () => import("@pgrescue/lab");\n';

describe("@pgrescue/lab is for the demo, tests, bench and e2e only", () => {
  it.each([
    "packages/api/src/services/hosts.ts",
    "packages/api/src/routers/demo.ts",
    "packages/api/src/trpc.ts",
    "packages/remote/src/diagnose.ts",
    "packages/db/src/store.ts",
    "packages/cli/src/main.ts",
    "apps/web/scripts/serve.ts",
    "apps/web/src/server/deps.ts",
    "apps/web/src/app/api/trpc/[trpc]/route.ts",
  ])("refuses a static and a dynamic import in %s", async (filePath) => {
    const found = await restrictions(STATIC_LAB + DYNAMIC_LAB, filePath);
    const lab = found.filter((message) => message.includes("only the demo service"));
    expect(lab).toHaveLength(2);
    expect(found.some((m) => m.startsWith("@typescript-eslint/no-restricted-imports"))).toBe(true);
    expect(found.some((m) => m.startsWith("no-restricted-syntax"))).toBe(true);
  });

  it.each([
    "packages/api/src/services/demo.ts",
    "packages/api/src/routers/hosts.integration.test.ts",
    "packages/api/src/services/vault.test.ts",
    "packages/remote/src/test-support.ts",
    "packages/api/src/testing.ts",
    "packages/lab/src/cli.ts",
    "bench/src/recovery.ts",
    "e2e/support.ts",
    "e2e/tests/zombies.spec.ts",
  ])("allows it in %s", async (filePath) => {
    expect(await restrictions(STATIC_LAB + DYNAMIC_LAB, filePath)).toEqual([]);
  });

  it("adds to the package's own layer rule instead of replacing it", async () => {
    const found = await restrictions(
      STATIC_LAB + 'import { redirect } from "next/navigation";\nexport const go = redirect;\n',
      "packages/api/src/services/hosts.ts",
    );
    expect(found.some((m) => m.includes("packages/api must not depend on the app"))).toBe(true);
    expect(found.filter((m) => m.includes("only the demo service"))).toHaveLength(1);
  });
});

describe("the layer rules", () => {
  it.each([
    [
      'import { readFileSync } from "node:fs";',
      "packages/core/src/parsers/pid-file.ts",
      "packages/core is pure",
    ],
    [
      'import { createDb } from "@pgrescue/db";',
      "packages/remote/src/pool.ts",
      "packages/remote executes",
    ],
    [
      'import { appRouter } from "@pgrescue/api";',
      "packages/db/src/store.ts",
      "packages/db is the store only",
    ],
    [
      'import { createDb } from "@pgrescue/db";',
      "apps/web/src/components/hosts/host-list.tsx",
      "The UI never imports server packages",
    ],
    [
      'import { appRouter } from "@pgrescue/api";',
      "apps/web/src/app/page.tsx",
      "The UI imports only types",
    ],
  ])("refuses %s in %s", async (code, filePath, message) => {
    const found = await restrictions(`${code}\nexport {};\n`, filePath);
    expect(found.some((m) => m.includes(message))).toBe(true);
  });
});

describe("the naming convention (docs/conventions.md)", () => {
  const naming = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === "@typescript-eslint/naming-convention",
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  });
  const lint = async (code: string) =>
    (await naming.lintText(code, { filePath: "packages/api/src/services/hosts.ts" }))[0]
      ?.messages ?? [];

  it("refuses a type whose name lacks the T prefix, and takes TThing", async () => {
    expect(await lint("export type HostRow = { id: string };\n")).toHaveLength(1);
    expect(await lint("export type THostRow = { id: string };\n")).toEqual([]);
  });
});
