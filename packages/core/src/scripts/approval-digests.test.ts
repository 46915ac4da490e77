// Approval digests of every captured scenario, pinned, and the proof of what changed when the shell
// moved from TypeScript template strings into src/scripts/*.sh (issue 10).
//
// __fixtures__/ladder-before-shell-files.json was recorded on main before that change: for every
// probe fixture and two option sets, each applicable rung's approval digest (sha256 of
// buildPlanDigestInput, as packages/api stores it), its state-changing and displayed commands and a
// hash of its plan (the pgr_verify/pgr_act directives). __fixtures__/action-body-before.txt is the
// constant body the scripts ended with then.
//
// Every digest changed, because the digest covers the script's text and that text changed in two
// places only: the prelude gained parameters that used to be literals in the body (the marker, the
// timeouts, the log-tail length, the exit codes), and the constant body is now lib.sh + action.sh.
// Nothing else changed: the same commands, the same plan, the same material facts — the test below
// rebuilds each old digest from today's plan by undoing exactly those two changes. An approval given
// before this change is asked again (its digest no longer matches), which is the safe direction.
//
// The pinned digests changed once more with issue 13 (supervisors): action.sh's pgr_describe learned to label
// systemctl, patronictl, sudo and timeout commands. None of these captures has a supervisor section, so their
// plans, commands and directives are the ones recorded before (the first test below), and undoing the body still
// gives the old digests (the second): only the constant body's text moved the pinned values.
import { describe, expect, it } from "vitest";
import { PROBE_FIXTURES } from "../__fixtures__/probe-fixtures.ts";
import { ACTION_SCRIPT_BODY, extractActionDirectives } from "../actions/action-script.ts";
import { diagnose } from "../diagnosis/diagnose.ts";
import type { TLadderPlan } from "../ladder/ladder-schema.ts";
import { buildPlanDigestInput } from "../ladder/approval-digest.ts";
import { planLadder, type TLadderOptions } from "../ladder/plan-ladder.ts";

type TBeforeStep = {
  digest: string;
  directivesSha256: string;
  stateChangingCommands: string[];
  displayCommands: string[];
};

const fixtures = import.meta.glob("./__fixtures__/*.json", { import: "default", eager: true });
const before = fixtures["./__fixtures__/ladder-before-shell-files.json"] as {
  variants: Record<string, Partial<TLadderOptions>>;
  steps: Record<string, TBeforeStep>;
};
const pinned = fixtures["./__fixtures__/approval-digests.json"] as Record<string, string>;
const OLD_BODY =
  import.meta.glob<string>("./__fixtures__/action-body-before.txt", {
    query: "?raw",
    import: "default",
    eager: true,
  })["./__fixtures__/action-body-before.txt"] ?? "";

/** The prelude lines that were literals in the body before (lib.sh's and action.sh's new parameters). */
const NEW_PARAMETER_LINE =
  /^PGR_(M|TOOL_TIMEOUT|ISREADY_TIMEOUT|LOG_TAIL_LINES|EXIT_[A-Z]+)=.*\n/gm;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Today's script with the two changes undone: the old prelude and the old constant body. */
function undoShellFiles(script: string): string {
  expect(script.endsWith(ACTION_SCRIPT_BODY)).toBe(true);
  const head = script.slice(0, script.length - ACTION_SCRIPT_BODY.length);
  return `${head.replace(NEW_PARAMETER_LINE, "")}${OLD_BODY}`;
}

function withScript(plan: TLadderPlan, rung: number, script: string): TLadderPlan {
  return { ...plan, steps: plan.steps.map((s) => (s.rung === rung ? { ...s, script } : s)) };
}

type TCase = { key: string; plan: TLadderPlan; rung: 0 | 1 | 2 | 3 | 4; script: string };

const cases: TCase[] = [...PROBE_FIXTURES.values()].flatMap((fixture) => {
  const snapshot = diagnose(fixture.text, { pgdata: fixture.meta.pgdata });
  return Object.entries(before.variants).flatMap(([variant, options]) => {
    const plan = planLadder(snapshot, { pgdata: fixture.meta.pgdata, pgBin: null, ...options });
    return plan.steps.flatMap((s) =>
      s.script === null
        ? []
        : [
            {
              key: `${fixture.name} ${variant} rung ${s.rung}`,
              plan,
              rung: s.rung,
              script: s.script,
            },
          ],
    );
  });
});

describe("approval digests of the captured scenarios", () => {
  it("cover the same 194 steps as before the change (every applicable rung of every capture, two option sets)", () => {
    expect(cases.map((c) => c.key).sort()).toEqual(Object.keys(before.steps).sort());
    expect(Object.keys(pinned).sort()).toEqual(Object.keys(before.steps).sort());
    expect(cases).toHaveLength(194);
  });

  describe.each(cases.map((c) => [c.key, c] as const))("%s", (key, c) => {
    const old = before.steps[key];
    const step = c.plan.steps.find((s) => s.rung === c.rung);

    it("runs and shows exactly the commands it did before, from the same plan", async () => {
      expect(step?.stateChangingCommands).toEqual(old?.stateChangingCommands);
      expect(step?.displayCommands).toEqual(old?.displayCommands);
      expect(await sha256(extractActionDirectives(c.script))).toBe(old?.directivesSha256);
    });

    it("has the pinned digest, and the old one once the prelude and the body are undone", async () => {
      const digest = await sha256(buildPlanDigestInput(c.plan, c.rung));
      expect(digest).toBe(pinned[key]);
      expect(digest).not.toBe(old?.digest);
      const undone = withScript(c.plan, c.rung, undoShellFiles(c.script));
      expect(await sha256(buildPlanDigestInput(undone, c.rung))).toBe(old?.digest);
    });
  });
});
