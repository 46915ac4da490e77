// The verdict of one diagnosis with its evidence and the recommended rung, first thing on the page.
import type { TSnapshotView } from "~/lib/types";
import { describeRung } from "~/lib/types";
import { verdictTone } from "~/lib/verdicts";

const TONE_CLASSES = {
  good: "border-emerald-400 bg-emerald-50 dark:border-emerald-700 dark:bg-emerald-950/50",
  info: "border-sky-400 bg-sky-50 dark:border-sky-700 dark:bg-sky-950/50",
  neutral: "border-zinc-300 bg-white dark:border-zinc-700 dark:bg-zinc-900",
  warn: "border-amber-400 bg-amber-50 dark:border-amber-700 dark:bg-amber-950/50",
  bad: "border-red-400 bg-red-50 dark:border-red-700 dark:bg-red-950/50",
} as const;

export function VerdictBanner({
  snapshot,
  idPrefix,
}: {
  snapshot: TSnapshotView;
  idPrefix: string;
}) {
  const { verdict, recommendation } = snapshot;
  const tone = verdictTone(verdict.code);
  return (
    <section
      aria-labelledby={`${idPrefix}-verdict-heading`}
      data-testid="verdict"
      className={`rounded-lg border-l-4 border-y border-r p-4 ${TONE_CLASSES[tone]}`}
    >
      <p className="text-xs font-semibold tracking-wide text-zinc-700 uppercase dark:text-zinc-300">
        Verdict
      </p>
      <h2 id={`${idPrefix}-verdict-heading`} className="mt-0.5 text-lg font-semibold">
        <code data-testid="verdict-code" className="font-mono">
          {verdict.code}
        </code>{" "}
        — {verdict.title}
      </h2>
      {verdict.evidence.length === 0 ? null : (
        <ul className="mt-2 list-disc space-y-0.5 pl-5 text-sm">
          {verdict.evidence.map((line, index) => (
            <li key={index} className="break-words">
              {line}
            </li>
          ))}
        </ul>
      )}
      <div className="mt-3 border-t border-black/10 pt-2 text-sm dark:border-white/10">
        <p>
          <span className="font-semibold">Recommended rung: </span>
          <span data-testid="recommended-rung">{describeRung(recommendation.rung)}</span>
        </p>
        <p className="mt-0.5 text-zinc-800 dark:text-zinc-200">{recommendation.reason}</p>
        {recommendation.cautions.length === 0 ? null : (
          <ul className="mt-1 list-disc pl-5 text-amber-900 dark:text-amber-200">
            {recommendation.cautions.map((caution, index) => (
              <li key={index}>{caution}</li>
            ))}
          </ul>
        )}
      </div>
      {snapshot.warnings.length === 0 ? null : (
        <div className="mt-2 text-sm text-amber-900 dark:text-amber-200">
          <p className="font-semibold">Probe warnings</p>
          <ul className="list-disc pl-5">
            {snapshot.warnings.map((warning, index) => (
              <li key={index}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
