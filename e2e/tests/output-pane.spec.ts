// The step output pane with real streaming output, against a real lab host (PostgreSQL 15): the postmaster and
// ninety sleeping backends are SIGSTOPped, so first aid (rung 0) prints a check and a SIGCONT for each of them,
// waits a second and prints what became of each. The pane follows that output until the user scrolls up (mouse
// wheel) and then stays put while the rest arrives; with the same processes frozen again, the resume control
// brings it back to the end and it follows again. The page does not shift while the output streams (cumulative
// layout shift < 0.1), and a finished step's pane resumes when scrolled back to its end. On a loaded machine the
// script can end before the test's input takes effect: such a run proves nothing either way and is repeated (at
// most three runs per check); every run still has to show correct behaviour.
import { startLabHost, type TLabHost, type TLabInstance } from "@pgrescue/lab";
import { expect, test, type Locator, type Page } from "@playwright/test";
import {
  addLabInstanceThroughApi,
  approveOpenStep,
  screenshotPath,
  signInThroughApi,
  trpcMutation,
} from "../support.ts";

test.describe.configure({ mode: "serial" });

/** Enough backends that the checks and signals stream for a while before the script's one-second wait. */
const SLEEPERS = 90;
const APP_NAME = "e2e-output-pane";

let lab: TLabHost;
let pg: TLabInstance;
/** The stopped processes, postmaster last. */
let stopped: number[];

/** psql clients in their own sessions, each holding a backend in pg_sleep; returns the backends' PIDs. */
async function startSleepers(count: number): Promise<number[]> {
  const psql = `'${pg.binDir}/psql' -X -h '${pg.socketDir}' -p ${String(pg.port)} -U postgres -d postgres`;
  const launch = Array.from(
    { length: count },
    () =>
      `PGAPPNAME=${APP_NAME} setsid -f ${psql} -c 'select pg_sleep(3600)' </dev/null >/dev/null 2>&1`,
  ).join("; ");
  expect((await lab.exec(launch, { user: pg.osUser })).code).toBe(0);
  const listSleepers = async () =>
    (
      await lab.exec(
        `${psql} -At -c "select pid from pg_stat_activity where application_name = '${APP_NAME}' and wait_event = 'PgSleep' order by pid"`,
        { user: pg.osUser },
      )
    ).stdout
      .split("\n")
      .filter((line) => line !== "")
      .map(Number);
  await expect.poll(async () => (await listSleepers()).length, { timeout: 20_000 }).toBe(count);
  return listSleepers();
}

/** SIGSTOP for the sleeping backends and the postmaster (last), as when a whole process group is frozen. */
async function stopAll(): Promise<void> {
  expect((await lab.exec(`kill -STOP ${stopped.join(" ")}`, { user: pg.osUser })).code).toBe(0);
  await expect
    .poll(async () => {
      const table = (await lab.captureState()).processes;
      return stopped.every((pid) => table.find((process) => process.pid === pid)?.state === "T");
    })
    .toBe(true);
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await startLabHost({ name: "e2e-output" });
  pg = await lab.createInstance({ name: "main", major: 15 });
  // The lab's instances allow 30 connections: room for the sleepers.
  const psql = `'${pg.binDir}/psql' -X -h '${pg.socketDir}' -p ${String(pg.port)} -U postgres -d postgres`;
  expect(
    (await lab.exec(`${psql} -c 'alter system set max_connections = 100'`, { user: pg.osUser }))
      .code,
  ).toBe(0);
  const restart = await lab.exec(
    `'${pg.binDir}/pg_ctl' restart -D '${pg.pgdata}' -m fast -l '${pg.logFile}' -w -t 60 -s`,
    { user: pg.osUser, timeoutMs: 90_000 },
  );
  expect(restart.code, restart.stderr).toBe(0);
  const backends = await startSleepers(SLEEPERS);
  const pidFile = await lab.exec(`head -n 1 '${pg.pgdata}/postmaster.pid'`);
  stopped = [...backends, Number(pidFile.stdout.trim())];
  await stopAll();
});

test.afterAll(async () => {
  await lab.stop();
});

type TPaneSample = {
  /** performance.now() in the page */
  at: number;
  chars: number;
  top: number;
  /** scrollHeight - clientHeight: the largest scrollTop */
  maxTop: number;
  /** The pane's follow control, if shown. */
  control: string | null;
};

type TShift = { value: number; at: number; hadRecentInput: boolean; sources: string[] };

declare global {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- merging into Window needs an interface
  interface Window {
    __paneSamples: TPaneSample[];
    __shifts: TShift[];
    __endRenderedAt: number | null;
    __observing?: true;
  }
}

const OPEN_PANE = '[data-testid="open-step"] [data-testid="step-output"]';

/**
 * In the page: every DOM change of the open step's pane is sampled after React has rendered (and auto-scrolled)
 * it, and every layout shift is recorded with the elements that moved. Called again, it starts a new recording.
 */
async function instrument(page: Page): Promise<void> {
  await page.evaluate((selector) => {
    window.__paneSamples = [];
    window.__shifts = [];
    window.__endRenderedAt = null;
    if (window.__observing === true) return;
    window.__observing = true;
    const describe = (node: Node | null): string =>
      node instanceof Element
        ? `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}[${node.getAttribute("data-testid") ?? (node.getAttribute("class") ?? "").slice(0, 60)}]`
        : String(node?.nodeName);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const shift = entry as PerformanceEntry & {
          value: number;
          hadRecentInput: boolean;
          sources?: { node: Node | null }[];
        };
        window.__shifts.push({
          value: shift.value,
          at: shift.startTime,
          hadRecentInput: shift.hadRecentInput,
          sources: (shift.sources ?? []).map((source) => describe(source.node)),
        });
      }
    }).observe({ type: "layout-shift" });
    new MutationObserver(() => {
      const pane = document.querySelector(selector);
      if (!(pane instanceof HTMLElement)) return;
      const text = pane.textContent;
      if (window.__endRenderedAt === null && text.includes("@@pgrescue:end")) {
        window.__endRenderedAt = performance.now();
      }
      const control = pane.parentElement?.querySelector("button");
      window.__paneSamples.push({
        at: performance.now(),
        chars: text.length,
        top: pane.scrollTop,
        maxTop: pane.scrollHeight - pane.clientHeight,
        control: control?.textContent ?? null,
      });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, OPEN_PANE);
}

type TPaneWait = "now" | "overflowing" | "paused";

/** The step ended before the test could act on its pane: the user was slower than the script, not wrong. */
class StepFinishedFirst extends Error {
  override name = "StepFinishedFirst";
}

/**
 * The open step's pane, now or (checked every frame) once it overflows while output streams in, or once it shows
 * its paused control. Fails at once if the step finished (its pane left the open step) before that.
 */
async function paneWhen(page: Page, until: TPaneWait): Promise<TPaneSample> {
  const handle = await page.waitForFunction(
    ({ selector, until }) => {
      const pane = document.querySelector(selector);
      if (!(pane instanceof HTMLElement)) return { gone: true as const };
      const sample = {
        at: performance.now(),
        chars: pane.textContent.length,
        top: pane.scrollTop,
        maxTop: pane.scrollHeight - pane.clientHeight,
        control: pane.parentElement?.querySelector("button")?.textContent ?? null,
      };
      if (until === "overflowing") {
        return pane.getAttribute("data-live-chunks") !== "0" && sample.maxTop > 0 ? sample : null;
      }
      if (until === "paused")
        return sample.control === "Paused — follow new output" ? sample : null;
      return sample;
    },
    { selector: OPEN_PANE, until },
    { polling: "raf", timeout: 60_000 },
  );
  const result = await handle.jsonValue();
  if (result === null || "gone" in result) {
    throw new StepFinishedFirst(`the step finished before its pane was ${until}`);
  }
  return result;
}

/** Within a pixel of the bottom. */
const atBottom = (sample: TPaneSample) => sample.top >= sample.maxTop - 1;

/**
 * Runs the open step (Enter on Run, with the mouse already resting on the pane, where the wheel will scroll) and
 * waits (every frame) until its pane overflows while the output streams in.
 */
async function runUntilOverflow(page: Page): Promise<TPaneSample> {
  await page.locator(OPEN_PANE).hover();
  await page
    .getByTestId("open-step")
    .getByRole("button", { name: "Run", exact: true })
    .press("Enter");
  return paneWhen(page, "overflowing");
}

/** Scrolls the pane under the mouse up with the wheel, as a user does; returns the page's time just before. */
async function scrollUp(page: Page): Promise<number> {
  const before = await page.evaluate(() => performance.now());
  await page.mouse.wheel(0, -240);
  return before;
}

/** Waits until the step's whole output is shown (as the last step run), and returns that pane. */
async function finishedOutput(page: Page, seq: string): Promise<Locator> {
  const output = page
    .locator(`[data-testid="last-step"][data-seq="${seq}"]`)
    .getByTestId("step-output");
  await expect(output).toContainText("@@pgrescue:end status=ok exit=0", { timeout: 60_000 });
  await expect(output).not.toHaveAttribute("data-live-chunks", "0");
  return output;
}

/** What the page recorded since instrument(): pane samples, and the layout shifts while the output streamed. */
async function recorded(page: Page): Promise<{ samples: TPaneSample[]; streamingShift: number }> {
  const { samples, shifts, endAt } = await page.evaluate(() => ({
    samples: window.__paneSamples,
    shifts: window.__shifts,
    endAt: window.__endRenderedAt,
  }));
  expect(endAt, "the end of the output was rendered in the open step's pane").not.toBeNull();
  // As in CLS, shifts right after the user's own input (clicking Run, the wheel) do not count.
  const streaming = shifts.filter((s) => !s.hadRecentInput && s.at <= (endAt ?? 0));
  const streamingShift = streaming.reduce((sum, s) => sum + s.value, 0);
  test.info().annotations.push({
    type: "layout shifts while streaming",
    description: JSON.stringify(streaming),
  });
  return { samples, streamingShift };
}

/** Freezes the processes again, diagnoses again and approves the new first-aid step; returns its number. */
async function proposeAgain(page: Page, seq: number): Promise<string> {
  await stopAll();
  await page.getByRole("button", { name: "Diagnose again" }).click();
  await expect(page.getByTestId("rediagnosis-result")).toBeVisible({ timeout: 60_000 });
  const step = page.getByTestId("open-step");
  await expect(step).toHaveAttribute("data-seq", String(seq));
  await expect(step).toHaveAttribute("data-rung", "0");
  await approveOpenStep(page, step, "main");
  return String(seq);
}

/**
 * Run a step, scroll up as soon as its pane overflows, and check that the pane stayed put while the rest of the
 * output arrived. Returns false when the script ended before the scroll took effect (nothing to judge).
 */
async function pausesWhileStreaming(page: Page, seq: string): Promise<boolean> {
  await instrument(page);
  const overflow = await runUntilOverflow(page);
  expect(atBottom(overflow), "the pane follows the output to its end").toBe(true);
  const wheelAt = await scrollUp(page);
  const paused = await paneWhen(page, "paused").catch((error: unknown) => {
    if (error instanceof StepFinishedFirst) return null;
    throw error;
  });
  const output = await finishedOutput(page, seq);
  const run = await recorded(page);
  expect(run.streamingShift, "cumulative layout shift while the output streamed").toBeLessThan(0.1);
  const beforeScroll = run.samples.filter((s) => s.at < wheelAt && s.maxTop > 0);
  expect(beforeScroll.length).toBeGreaterThan(0);
  expect(beforeScroll.filter((s) => !atBottom(s))).toEqual([]);
  for (const pid of stopped) {
    await expect(output).toContainText(
      `@@pgrescue:action kill pid=${String(pid)} signal=CONT result=ok`,
    );
  }
  if (paused === null) return false;
  expect(atBottom(paused), "scrolled up").toBe(false);
  const whilePaused = run.samples.filter((s) => s.at > paused.at && s.chars > paused.chars);
  expect(whilePaused.filter((s) => s.top !== paused.top)).toEqual([]);
  expect(whilePaused.filter((s) => s.control !== "Paused — follow new output")).toEqual([]);
  return whilePaused.length > 0;
}

/**
 * Run a step, scroll up as soon as its pane overflows, then press the resume control: the pane is back at the end
 * and follows the output that arrives after. Returns false when the script ended before the control was pressed.
 */
async function resumesWhileStreaming(page: Page, seq: string): Promise<boolean> {
  await instrument(page);
  await runUntilOverflow(page);
  await scrollUp(page);
  let resumed: TPaneSample | null = null;
  try {
    await paneWhen(page, "paused");
    await page
      .getByTestId("open-step")
      .getByRole("button", { name: "Paused — follow new output" })
      .click({ timeout: 5_000 });
    resumed = await paneWhen(page, "now");
  } catch (error) {
    const gone = (await page.locator(OPEN_PANE).count()) === 0;
    if (!(error instanceof StepFinishedFirst) && !gone) throw error;
  }
  await finishedOutput(page, seq);
  const run = await recorded(page);
  expect(run.streamingShift, "cumulative layout shift while the output streamed").toBeLessThan(0.1);
  if (resumed === null) return false;
  expect(atBottom(resumed), "back at the end").toBe(true);
  const afterResume = run.samples.filter((s) => s.at > resumed.at && s.chars > resumed.chars);
  expect(afterResume.filter((s) => !atBottom(s) || s.control !== null)).toEqual([]);
  return afterResume.length > 0;
}

/** How often a run may end before the test's (real, roundtrip-bound) input took effect on a loaded machine. */
const ATTEMPTS = 3;

test("the output pane follows streaming output, pauses when scrolled up, resumes, and nothing shifts", async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInThroughApi(page);
  const instanceId = await addLabInstanceThroughApi(page, "output-lab", lab, pg);
  const opened = await trpcMutation<{ incident: { id: string }; step: { rung: number } | null }>(
    page,
    "incidents.open",
    { instanceId },
  );
  expect(opened.step?.rung).toBe(0);
  await page.goto(`/incidents/${opened.incident.id}`);
  const step = page.getByTestId("open-step");
  await expect(step).toHaveAttribute("data-rung", "0");
  await approveOpenStep(page, step, "main");
  let seq = 1;

  // The pane follows the output to its end until the user scrolls up; then it stays put while the rest of
  // the output (after the script's one-second wait, what became of each process) arrives below.
  let paused = await pausesWhileStreaming(page, String(seq));
  for (let attempt = 1; !paused && attempt < ATTEMPTS; attempt += 1) {
    seq += 1;
    paused = await pausesWhileStreaming(page, await proposeAgain(page, seq));
  }
  expect(paused, `output arrived while paused, in one of ${String(ATTEMPTS)} runs`).toBe(true);
  // On the host: every stopped process runs again.
  const states = (await lab.captureState()).processes.filter((p) => stopped.includes(p.pid));
  expect(states.filter((p) => p.state === "T")).toEqual([]);

  // The finished step's pane: scrolled up it offers a jump to the end; scrolling back to the end resumes.
  const last = page.getByTestId("last-step");
  await last.getByTestId("step-output").hover();
  await page.mouse.wheel(0, -400);
  const jump = last.getByRole("button", { name: "Jump to the end" });
  await expect(jump).toBeVisible();
  await page.screenshot({ path: screenshotPath("output-pane-scrolled-up") });
  await page.mouse.wheel(0, 10_000);
  await expect(jump).toBeHidden();

  // The same processes frozen again: scrolled up, then the resume control while the script still prints.
  let resumed = false;
  for (let attempt = 0; !resumed && attempt < ATTEMPTS; attempt += 1) {
    seq += 1;
    resumed = await resumesWhileStreaming(page, await proposeAgain(page, seq));
  }
  expect(resumed, `output arrived after resuming, in one of ${String(ATTEMPTS)} runs`).toBe(true);
});
