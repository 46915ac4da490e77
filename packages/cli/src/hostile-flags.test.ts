// Hostile values in every flag the CLI checks itself: --ssh (user, host, port), --pgdata, --pg-bin, --log-file,
// --become, --timeout, --identity and --known-hosts of `pgrescue diagnose`, and what server commands check before
// calling the console (hosts add --ssh, --status, --outcome, --limit, --rung, --format, --server). Each ends in exit
// code 2 with a message naming the flag (or, for a value that is legitimate, in the next clear error on the way:
// an unreadable key, an unreachable console), never in "unexpected error", never with a raw control character on
// the terminal — and no payload ever runs. Flags the CLI passes to the console as they are (names, paths, texts)
// are the API's to check: packages/api/src/hostile-input.integration.test.ts covers them.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  PATH_ALLOWED_TRAITS,
  buildHostileValues,
  canaryPathFor,
  type THostileValue,
} from "@pgrescue/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { TCliEnv } from "./env.ts";
import { runCli } from "./main.ts";
import { parseSshSpec, UsageError } from "./ssh-spec.ts";

const canary = canaryPathFor(randomBytes(8).toString("hex"));
const dir = mkdtempSync(path.join(tmpdir(), "pgrescue-cli-hostile-"));
/** Not a key: a run that gets past every flag stops at reading it, before anything is sent. */
const identity = path.join(dir, "identity");
const knownHosts = path.join(dir, "known_hosts");
writeFileSync(identity, "not a private key\n", { mode: 0o600 });
writeFileSync(knownHosts, "");

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const NOT_A_KEY = /private key could not be read/;
// C0 and C1 controls other than tab and line feed: a hostile value echoed raw could rewrite the terminal.
const TERMINAL_CONTROL = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11)}-${String.fromCharCode(31)}${String.fromCharCode(127)}-${String.fromCharCode(159)}]`,
);

function hostile(base: string): THostileValue[] {
  return buildHostileValues(base, canary);
}

function diagnoseArgs(overrides: Record<string, string>): string[] {
  const flags: Record<string, string> = {
    "--ssh": "postgres@127.0.0.1:1",
    "--pgdata": "/var/lib/postgresql/15/main",
    "--identity": identity,
    "--known-hosts": knownHosts,
    ...overrides,
  };
  return ["diagnose", ...Object.entries(flags).flat()];
}

/** What is wrong with a run's result, or null: exit 2, the expected words, no unexpected error, no raw control. */
function judge(result: { exitCode: number; stderr?: string }, says: RegExp): string | null {
  const stderr = result.stderr ?? "";
  if (result.exitCode !== 2) return `exit ${String(result.exitCode)}: ${stderr.slice(0, 200)}`;
  if (/unexpected error/.test(stderr)) return `unexpected error: ${stderr.slice(0, 300)}`;
  if (!says.test(stderr)) return `does not say ${String(says)}: ${stderr.slice(0, 300)}`;
  if (TERMINAL_CONTROL.test(stderr.replaceAll("\n", ""))) return "echoes a control character";
  return null;
}

async function runAll(
  values: THostileValue[],
  args: (value: string) => string[],
  says: (value: THostileValue) => RegExp,
  env: TCliEnv = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const value of values) {
    const problem = judge(await runCli(args(value.value), env), says(value));
    if (problem !== null) problems.push(`${value.id}: ${problem}`);
  }
  return problems;
}

describe("parseSshSpec", () => {
  it.each([
    ["the user", (v: string) => `${v}@db1`, "postgres"],
    ["the host", (v: string) => `postgres@${v}`, "db1.example.com"],
    ["the port", (v: string) => `postgres@db1:${v}`, "2222"],
  ] as const)("refuses every hostile value in %s", (_part, spec, base) => {
    for (const value of hostile(base)) {
      expect(() => parseSshSpec(spec(value.value)), value.id).toThrow(UsageError);
    }
  });
});

describe("pgrescue diagnose", () => {
  it("--ssh: every hostile user, host and port is refused before anything connects", async () => {
    const problems = [
      ...(await runAll(
        hostile("postgres"),
        (v) => diagnoseArgs({ "--ssh": `${v}@127.0.0.1:1` }),
        () => /--ssh|'--ssh/,
      )),
      ...(await runAll(
        hostile("127.0.0.1"),
        (v) => diagnoseArgs({ "--ssh": `postgres@${v}:1` }),
        () => /--ssh|'--ssh/,
      )),
      ...(await runAll(
        hostile("1"),
        (v) => diagnoseArgs({ "--ssh": `postgres@127.0.0.1:${v}` }),
        () => /--ssh|'--ssh/,
      )),
    ];
    expect(problems).toEqual([]);
  });

  it.each(["--pgdata", "--pg-bin", "--log-file"])(
    "%s: refused with the rule it broke, or (spaces, other scripts, percent, underscore) kept and quoted",
    async (flag) => {
      const base =
        flag === "--pgdata"
          ? "/var/lib/postgresql/15/main"
          : flag === "--pg-bin"
            ? "/usr/lib/postgresql/15/bin"
            : "/var/log/postgresql/main.log";
      const problems = await runAll(
        hostile(base),
        (v) => diagnoseArgs({ [flag]: v }),
        (v) =>
          v.traits.every((trait) => PATH_ALLOWED_TRAITS.includes(trait))
            ? NOT_A_KEY
            : new RegExp(flag),
      );
      expect(problems).toEqual([]);
    },
  );

  it.each([
    ["--become", "postgres"],
    ["--timeout", "30"],
  ])("%s: every hostile value is refused", async (flag, base) => {
    const problems = await runAll(
      hostile(base),
      (v) => diagnoseArgs({ [flag]: v }),
      () => new RegExp(flag),
    );
    expect(problems).toEqual([]);
  });

  it("--identity: a hostile path cannot be read (or is no key), and says which", async () => {
    const problems = await runAll(
      hostile(identity),
      (v) => diagnoseArgs({ "--identity": v }),
      () => /--identity|private key could not be read/,
    );
    expect(problems).toEqual([]);
  });

  it("--known-hosts: a hostile path cannot be read, or is an empty list and the run stops at the key", async () => {
    const problems = await runAll(
      hostile(knownHosts),
      (v) => diagnoseArgs({ "--known-hosts": v }),
      () => /--known-hosts|private key could not be read/,
    );
    expect(problems).toEqual([]);
  });
});

describe("server commands: the flags the CLI checks before calling the console", () => {
  const env: TCliEnv = {
    PGRESCUE_SERVER: "http://127.0.0.1:1",
    PGRESCUE_TOKEN: `pgr_${"A".repeat(43)}`,
    PGRESCUE_CONFIG_DIR: dir,
  };

  it.each([
    [
      "hosts add --ssh",
      (v: string) => ["hosts", "add", "--name", "db1", "--ssh", v, "--agent", "--accept-host-key"],
      "postgres@db1",
      /--ssh/,
    ],
    [
      "incidents list --status",
      (v: string) => ["incidents", "list", "--status", v],
      "OPEN",
      /--status/,
    ],
    [
      "incidents list --outcome",
      (v: string) => ["incidents", "list", "--outcome", v],
      "RECOVERED",
      /--outcome/,
    ],
    ["incidents list --limit", (v: string) => ["incidents", "list", "--limit", v], "50", /--limit/],
    [
      "steps propose --rung",
      (v: string) => ["steps", "propose", "cincident", "--rung", v, "--reason", "x"],
      "2",
      /--rung/,
    ],
    [
      "incidents export --format",
      (v: string) => ["incidents", "export", "cincident", "--format", v],
      "md",
      /--format/,
    ],
  ] as const)("%s: every hostile value is refused", async (_name, args, base, says) => {
    expect(await runAll(hostile(base), args, () => says, env)).toEqual([]);
  });

  it("--server: a hostile URL is refused, or names a console that cannot be reached", async () => {
    const problems = await runAll(
      hostile("http://127.0.0.1:1"),
      (v) => ["hosts", "list", "--server", v],
      () => /--server|cannot reach the console/,
      env,
    );
    expect(problems).toEqual([]);
  });
});

describe("the canary", () => {
  it("no payload ran on this machine", () => {
    expect(existsSync(canary)).toBe(false);
  });
});
