// Lint for the whole monorepo: typed typescript-eslint plus the dependency-direction rules
// from docs/architecture.md (core is pure; remote never reaches api; the UI never imports
// server packages at runtime; only the demo, tests, bench and e2e start lab hosts).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const restrict = (patterns, message) => ({
  "no-restricted-imports": [
    "error",
    { patterns: patterns.map((group) => ({ group: [group], message })) },
  ],
});

/** Who may import @pgrescue/lab: it starts real lab hosts, which belong to the demo, tests, bench and e2e only. */
const LAB_USERS = [
  "packages/api/src/services/demo.ts",
  "packages/lab/**",
  "**/*.test.ts",
  "**/*.integration.test.ts",
  "**/test-support.ts",
  "**/testing.ts",
  "bench/**",
  "e2e/**",
];
const LAB_MESSAGE =
  "@pgrescue/lab starts real lab hosts: only the demo service, tests, test support, bench and e2e may import it.";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/.next-*/**",
      "**/generated/**",
      "**/.data/**",
      "**/.lab/**",
      "**/test-results/**",
      "**/playwright-report/**",
      "**/next-env.d.ts",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/consistent-type-definitions": ["error", "type"],
      // docs/conventions.md: every type is TThing (zod schemas, ZThing, are kept in review).
      "@typescript-eslint/naming-convention": [
        "error",
        { selector: "typeAlias", format: ["PascalCase"], prefix: ["T"] },
      ],
    },
  },
  {
    files: ["packages/core/**/*.ts"],
    rules: restrict(
      ["node:*", "fs", "child_process", "ssh2", "pg", "@prisma/*", "@trpc/*", "@pgrescue/*"],
      "packages/core is pure domain logic: no I/O, no Prisma, no tRPC, no other workspace package.",
    ),
  },
  {
    files: ["packages/remote/**/*.ts"],
    rules: restrict(
      ["@pgrescue/api", "@pgrescue/db", "@pgrescue/web", "@prisma/*", "@trpc/*"],
      "packages/remote executes commands; it knows nothing of the store or the API.",
    ),
  },
  {
    files: ["packages/db/**/*.ts"],
    rules: restrict(
      ["@pgrescue/api", "@pgrescue/remote", "@pgrescue/web", "@trpc/*"],
      "packages/db is the store only.",
    ),
  },
  {
    files: ["packages/api/**/*.ts"],
    rules: restrict(
      ["@pgrescue/web", "next", "next/*", "react"],
      "packages/api must not depend on the app.",
    ),
  },
  {
    files: [
      "apps/web/src/app/**/*.tsx",
      "apps/web/src/components/**/*.tsx",
      "apps/web/src/trpc/react.tsx",
    ],
    ignores: ["apps/web/src/app/api/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@pgrescue/db", "@pgrescue/db/*", "@pgrescue/remote", "@pgrescue/lab"],
              message: "The UI never imports server packages.",
            },
            {
              group: ["@pgrescue/api", "@pgrescue/api/*"],
              allowTypeImports: true,
              message: "The UI imports only types from @pgrescue/api.",
            },
          ],
        },
      ],
    },
  },
  {
    // Its own rule (the typed variant of no-restricted-imports) so that it adds to, instead of replacing, the
    // per-package no-restricted-imports above; dynamic import() is caught by no-restricted-syntax.
    files: ["**/*.ts", "**/*.tsx"],
    ignores: LAB_USERS,
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@pgrescue/lab", "@pgrescue/lab/*"], message: LAB_MESSAGE }] },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/^@pgrescue\\/lab(\\/|$)/]",
          message: LAB_MESSAGE,
        },
      ],
    },
  },
);
