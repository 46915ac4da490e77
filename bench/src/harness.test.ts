import { describe, expect, it } from "vitest";
import { roundOrder, runInterleaved, type TVariant } from "./harness.ts";

describe("roundOrder", () => {
  it("rotates the first variant each round and runs every variant once", () => {
    expect(roundOrder(4, 0)).toEqual([0, 1, 2, 3]);
    expect(roundOrder(4, 1)).toEqual([1, 2, 3, 0]);
    expect(roundOrder(4, 5)).toEqual([1, 2, 3, 0]);
    expect(roundOrder(1, 7)).toEqual([0]);
  });

  it("refuses nonsense", () => {
    expect(() => roundOrder(0, 0)).toThrow(RangeError);
    expect(() => roundOrder(3, -1)).toThrow(RangeError);
  });
});

/** A clock that advances only when a variant says how long it "took". */
function fakeClock(): { now: () => number; spend: (ms: number) => void } {
  let time = 0;
  return { now: () => time, spend: (ms) => (time += ms) };
}

describe("runInterleaved", () => {
  it("interleaves, skips warm-up rounds in the samples and keeps parts per round", async () => {
    const clock = fakeClock();
    const log: string[] = [];
    const variant = (name: string, ms: number): TVariant => ({
      name,
      prepare: () => {
        log.push(`prepare ${name}`);
        clock.spend(1000); // untimed
        return Promise.resolve();
      },
      run: ({ round }) => {
        log.push(`${name}@${String(round)}`);
        clock.spend(ms + round);
        return Promise.resolve({ parts: { half: (ms + round) / 2 } });
      },
    });
    const samples = await runInterleaved({
      variants: [variant("a", 10), variant("b", 20), variant("c", 30)],
      rounds: 2,
      warmUpRounds: 1,
      signal: new AbortController().signal,
      now: clock.now,
    });
    expect(log.filter((line) => !line.startsWith("prepare"))).toEqual([
      "a@0",
      "b@0",
      "c@0",
      "b@1",
      "c@1",
      "a@1",
      "c@2",
      "a@2",
      "b@2",
    ]);
    expect(samples).toEqual([
      { name: "a", totalMs: [11, 12], parts: { half: [5.5, 6] } },
      { name: "b", totalMs: [21, 22], parts: { half: [10.5, 11] } },
      { name: "c", totalMs: [31, 32], parts: { half: [15.5, 16] } },
    ]);
  });

  it("fails loudly, naming variant and round, when a verification fails (warm-up included)", async () => {
    const failing: TVariant = {
      name: "broken",
      run: () =>
        Promise.resolve({
          verify: () => {
            throw new Error("verdict changed");
          },
        }),
    };
    await expect(
      runInterleaved({
        variants: [failing],
        rounds: 1,
        warmUpRounds: 1,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow("broken, round 0 (warm-up): verdict changed");
  });

  it("stops at the next run once aborted", async () => {
    const controller = new AbortController();
    let runs = 0;
    const variant: TVariant = {
      name: "v",
      run: () => {
        runs += 1;
        if (runs === 2) controller.abort(new Error("interrupted"));
        return Promise.resolve({});
      },
    };
    await expect(
      runInterleaved({
        variants: [variant],
        rounds: 5,
        warmUpRounds: 0,
        signal: controller.signal,
      }),
    ).rejects.toThrow("interrupted");
    expect(runs).toBe(2);
  });

  it("refuses variants that change their parts between runs", async () => {
    let call = 0;
    const variant: TVariant = {
      name: "v",
      run: () => {
        const parts: Record<string, number> = call++ === 0 ? { a: 1 } : { b: 1 };
        return Promise.resolve({ parts });
      },
    };
    await expect(
      runInterleaved({
        variants: [variant],
        rounds: 2,
        warmUpRounds: 0,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(/reported parts \[b\], earlier runs \[a\]/);
  });
});
