// The interleaved runner every benchmark uses: warm-up rounds, then rounds that run each variant once in rotating order.

/** What one timed run reports besides its wall time. */
export type TRunOutcome = {
  /** Sub-timings in milliseconds (e.g. connect / exec / parse); every run of a variant must report the same keys. */
  parts?: Record<string, number>;
  /** Checks the result after the clock stopped; throws to fail the benchmark. */
  verify?: () => void;
};

export type TRunContext = {
  signal: AbortSignal;
  /** 0-based over all rounds, warm-up included. */
  round: number;
  warmUp: boolean;
};

export type TVariant = {
  name: string;
  /** Untimed set-up before every run (e.g. put the host back into the state under test). */
  prepare?: (context: TRunContext) => Promise<void>;
  /** The timed work: the clock runs from the call until the promise settles. */
  run: (context: TRunContext) => Promise<TRunOutcome>;
};

export type TVariantSamples = {
  name: string;
  /** Wall time per counted round, in round order. */
  totalMs: number[];
  parts: Record<string, number[]>;
};

export type TInterleavedOptions = {
  variants: readonly TVariant[];
  rounds: number;
  warmUpRounds: number;
  signal: AbortSignal;
  /** Called after every run (warm-up included), e.g. for progress on stderr. */
  onRun?: (event: { variant: string; round: number; warmUp: boolean; ms: number }) => void;
  now?: () => number;
};

/** Indices of the variants in the order round `round` runs them: rotated by one each round. */
export function roundOrder(variantCount: number, round: number): number[] {
  if (!Number.isInteger(variantCount) || variantCount < 1)
    throw new RangeError(`variant count ${String(variantCount)}`);
  if (!Number.isInteger(round) || round < 0) throw new RangeError(`round ${String(round)}`);
  return Array.from({ length: variantCount }, (_, position) => (position + round) % variantCount);
}

/**
 * Runs every variant once per round, rotating who goes first so that drift (caches, host load,
 * a filling queue) spreads over all variants instead of landing on one. Warm-up rounds run the
 * same way and are verified but not counted. Any failure or abort ends the whole benchmark.
 */
export async function runInterleaved(options: TInterleavedOptions): Promise<TVariantSamples[]> {
  const { variants, rounds, warmUpRounds, signal } = options;
  const now = options.now ?? (() => performance.now());
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`rounds must be a positive integer, got ${String(rounds)}`);
  if (!Number.isInteger(warmUpRounds) || warmUpRounds < 0)
    throw new RangeError(`warm-up rounds must be ≥ 0, got ${String(warmUpRounds)}`);
  const names = new Set(variants.map((variant) => variant.name));
  if (names.size !== variants.length) throw new RangeError("variant names must be unique");

  const samples: TVariantSamples[] = variants.map((variant) => ({
    name: variant.name,
    totalMs: [],
    parts: {},
  }));
  for (let round = 0; round < warmUpRounds + rounds; round++) {
    const warmUp = round < warmUpRounds;
    for (const index of roundOrder(variants.length, round)) {
      const variant = variants[index];
      const collected = samples[index];
      if (variant === undefined || collected === undefined)
        throw new RangeError(`no variant ${String(index)}`);
      signal.throwIfAborted();
      const context: TRunContext = { signal, round, warmUp };
      await variant.prepare?.(context);
      signal.throwIfAborted();
      const started = now();
      const outcome = await variant.run(context);
      const ms = now() - started;
      signal.throwIfAborted();
      try {
        outcome.verify?.();
      } catch (error) {
        throw new Error(
          `${variant.name}, round ${String(round)}${warmUp ? " (warm-up)" : ""}: ${describeError(error)}`,
          { cause: error },
        );
      }
      options.onRun?.({ variant: variant.name, round, warmUp, ms });
      if (!warmUp) record(collected, ms, outcome.parts ?? {});
    }
  }
  return samples;
}

function record(collected: TVariantSamples, ms: number, parts: Record<string, number>): void {
  const known = Object.keys(collected.parts);
  const keys = Object.keys(parts);
  if (
    collected.totalMs.length > 0 &&
    (known.length !== keys.length || keys.some((key) => !known.includes(key)))
  ) {
    throw new Error(
      `${collected.name} reported parts [${keys.join(", ")}], earlier runs [${known.join(", ")}]`,
    );
  }
  collected.totalMs.push(ms);
  for (const [key, value] of Object.entries(parts)) {
    const series = collected.parts[key] ?? [];
    series.push(value);
    collected.parts[key] = series;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
