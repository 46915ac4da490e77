// Benchmark 3 ("history"): incident history with 10 000 incidents in the store — the first page against a deep
// cursor page and the filters, through the same API procedure the console and the CLI use.
import { startTestServer } from "@pgrescue/api/testing";
import type { TBenchContext, TBenchmark, TBenchOutcome } from "./benchmark.ts";
import { runInterleaved, type TVariant } from "./harness.ts";
import { formatMarkdownTable, formatMs, formatRatio, ratio, summarize } from "./stats.ts";

const INCIDENTS = 10_000;
const PAGE = 50;
const OUTCOMES = ["RECOVERED", "ABORTED", "NEEDS_REBOOT", "ESCALATED", "FALSE_ALARM"] as const;
const VERDICTS = [
  "Zombie children the postmaster does not reap",
  "Stale postmaster.pid: its PID is dead",
  "Orphaned server processes survive their postmaster",
];

export const historyBenchmark: TBenchmark = {
  name: "history",
  title: `incident history with ${String(INCIDENTS)} incidents: first page vs. a deep cursor page vs. filters`,
  run: runHistoryBenchmark,
};

async function runHistoryBenchmark(context: TBenchContext): Promise<TBenchOutcome> {
  const { signal, log } = context;
  const server = await startTestServer();
  try {
    const db = server.store.db;
    const { caller } = await server.callerAs("VIEWER");
    // The history only reads these rows: hosts and instances as the console stores them, incidents spread over a year.
    log(`bench: storing ${String(INCIDENTS)} incidents on 20 instances of 10 hosts…`);
    const instanceIds: string[] = [];
    for (let h = 0; h < 10; h += 1) {
      const host = await db.host.create({
        data: {
          name: `db${String(h)}`,
          address: `10.0.0.${String(h + 1)}`,
          sshUser: "postgres",
          authMethod: "AGENT",
          hostKeyFingerprint: `SHA256:${"A".repeat(42)}${String(h)}`,
        },
        select: { id: true },
      });
      for (const name of ["main", "reporting"]) {
        const instance = await db.instance.create({
          data: { hostId: host.id, name, dataDir: `/var/lib/postgresql/15/${name}` },
          select: { id: true },
        });
        instanceIds.push(instance.id);
      }
    }
    const start = Date.UTC(2025, 10, 30);
    const rows = Array.from({ length: INCIDENTS }, (_, i) => {
      const openedAt = new Date(start + i * 3_153_600); // one every ~52 minutes over a year
      return {
        instanceId: instanceIds[i % instanceIds.length] ?? "",
        title: `db${String(i % 10)}:${i % 2 === 0 ? "main" : "reporting"} — ${VERDICTS[i % VERDICTS.length] ?? ""}`,
        status: "CLOSED" as const,
        outcome: OUTCOMES[Math.floor(i / instanceIds.length) % OUTCOMES.length],
        summary:
          i % 97 === 0
            ? "semaphores exhausted: removed the dead postmaster's sets"
            : `recovered at step ${String(1 + (i % 4))}`,
        openedAt,
        closedAt: new Date(openedAt.getTime() + 600_000),
      };
    });
    for (let i = 0; i < rows.length; i += 2000)
      await db.incident.createMany({ data: rows.slice(i, i + 2000) });
    await db.$executeRawUnsafe('ANALYZE "Incident"');

    const ordered = await db.incident.findMany({
      orderBy: [{ openedAt: "desc" }, { id: "desc" }],
      select: { id: true },
    });
    const deepCursor = ordered[100 * PAGE - 1]?.id;
    if (deepCursor === undefined) throw new Error("not enough incidents for page 101");

    const expectPage =
      (items: { id: string }[], expectedFirst: string | undefined, label: string): (() => void) =>
      () => {
        if (items.length !== PAGE)
          throw new Error(`${label}: ${String(items.length)} items, expected ${String(PAGE)}`);
        if (expectedFirst !== undefined && items[0]?.id !== expectedFirst)
          throw new Error(`${label}: the page does not start where the cursor says`);
      };
    const variants: TVariant[] = [
      {
        name: "first page",
        run: async () => {
          const page = await caller.incidents.list({ limit: PAGE });
          return { verify: expectPage(page.items, ordered[0]?.id, "first page") };
        },
      },
      {
        name: "page 101 (cursor after 5 000)",
        run: async () => {
          const page = await caller.incidents.list({ limit: PAGE, cursor: deepCursor });
          return { verify: expectPage(page.items, ordered[100 * PAGE]?.id, "page 101") };
        },
      },
      {
        name: "host + outcome filter",
        run: async () => {
          const page = await caller.incidents.list({
            limit: PAGE,
            host: "db3",
            outcome: "RECOVERED",
          });
          return {
            verify: () => {
              if (
                page.items.length === 0 ||
                page.items.some(
                  (item) => item.instance.host.name !== "db3" || item.outcome !== "RECOVERED",
                )
              ) {
                throw new Error("host + outcome filter returned other incidents");
              }
            },
          };
        },
      },
      {
        name: "text search (summary)",
        run: async () => {
          const page = await caller.incidents.list({ limit: PAGE, text: "semaphores exhausted" });
          return {
            verify: () => {
              if (
                page.items.length !== PAGE ||
                page.items.some((item) => !(item.summary ?? "").includes("semaphores exhausted"))
              ) {
                throw new Error("text search returned other incidents");
              }
            },
          };
        },
      },
    ];
    const samples = await runInterleaved({
      variants,
      rounds: context.rounds,
      warmUpRounds: context.warmUpRounds,
      signal,
      onRun: ({ variant, round, warmUp, ms }) => {
        log(
          `bench: [${warmUp ? "warm-up" : `round ${String(round - context.warmUpRounds + 1)}/${String(context.rounds)}`}] ${variant}: ${formatMs(ms)} ms`,
        );
      },
    });
    const summaries = samples.map((sample) => ({
      name: sample.name,
      summary: summarize(sample.totalMs),
    }));
    const median = (name: string): number =>
      summaries.find((entry) => entry.name === name)?.summary.median ?? Number.NaN;
    const table = formatMarkdownTable(
      [
        { header: "Query (50 per page, via incidents.list)" },
        { header: "median ms", align: "right" },
        { header: "p10 ms", align: "right" },
        { header: "p90 ms", align: "right" },
      ],
      summaries.map((entry) => [
        entry.name,
        formatMs(entry.summary.median),
        formatMs(entry.summary.p10),
        formatMs(entry.summary.p90),
      ]),
    );
    const deepOverFirst = ratio(median("page 101 (cursor after 5 000)"), median("first page"));
    return {
      markdown: [
        `${String(INCIDENTS)} closed incidents on 20 instances of 10 hosts, over a year, in the embedded store (PostgreSQL 18). Each run is one \`incidents.list\` call through createCaller (zod input and output validation included), verified for page size, order and filter.`,
        "",
        table,
        "",
        `Ratio (medians, same run): page 101 / first page ${formatRatio(deepOverFirst)} — keyset pagination on (openedAt, id) costs the same deep in the history as at its start.`,
      ].join("\n"),
      data: { incidents: INCIDENTS, pageSize: PAGE, summaries, ratio: { deepOverFirst } },
    };
  } finally {
    await server.close();
  }
}
