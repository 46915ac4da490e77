// Benchmark 1 ("diagnosis"): one probe over SSH, cold and warm, against a bare OpenSSH call and the manual runbook, on a stuck PostgreSQL 15.
import { shellQuote } from "@pgrescue/core";
import type { TLabHost, TLabInstance, TScenarioState } from "@pgrescue/lab";
import {
  createSshPool,
  diagnoseOverSsh,
  type TSshPool,
  type TSshTarget,
  type TDiagnosisRun,
} from "@pgrescue/remote";
import type { TBenchContext, TBenchmark, TBenchOutcome } from "./benchmark.ts";
import { runInterleaved, type TVariant, type TVariantSamples } from "./harness.ts";
import { readUnixListenQueue } from "./listen-queue.ts";
import { expectExit, runOpenSsh, type TOpenSshLogin, type TOpenSshResult } from "./openssh.ts";
import {
  formatMarkdownTable,
  formatMs,
  formatRatio,
  ratio,
  sumSeries,
  summarize,
  type TSummary,
} from "./stats.ts";

/** What `diagnose` says about the zombies scenario (postmaster in T with Z children: SIGCONT first). */
export const EXPECTED_VERDICT = "zombies-unreaped";
export const EXPECTED_RUNG = 0;

const COLD = "diagnosis (cold)";
const WARM = "diagnosis (warm)";
const SSH_TRUE = "ssh host true";
const MANUAL = "manual runbook (5× OpenSSH)";
const MANUAL_WITHOUT_PG_ISREADY = "manual runbook without pg_isready (4× OpenSSH)";

const PART_CONNECT = "connect + login";
const PART_EXEC = "probe exec";
const PART_PARSE = "parse";
const PART_CLOSE = "close";
const PART_OTHER = "queue + channel";

type TManualStep = {
  label: string;
  command: string;
  expectedExit: number;
  /** Throws unless the output shows the stuck instance as the scenario left it. */
  check: (result: TOpenSshResult, state: TZombieState) => void;
};

/** The facts of the zombies scenario the checks compare against. */
type TZombieState = { postmasterPid: number; zombiePids: number[]; shmKey: number; shmId: number };

export const diagnosisBenchmark: TBenchmark = {
  name: "diagnosis",
  title: "diagnosis over SSH vs. OpenSSH vs. the manual runbook (PostgreSQL 15, zombies)",
  run: runDiagnosisBenchmark,
};

async function runDiagnosisBenchmark(context: TBenchContext): Promise<TBenchOutcome> {
  const { lab, signal, log } = context;
  log("bench: creating a PostgreSQL 15 instance and breaking it (zombies)…");
  const pg = await lab.createInstance({ name: "main", major: 15 });
  signal.throwIfAborted();
  const pgVersion = (
    await lab.exec(`${shellQuote(`${pg.binDir}/postgres`)} --version`)
  ).stdout.trim();
  let state = await breakZombies(lab, pg);
  signal.throwIfAborted();
  log(
    `bench: postmaster ${String(state.postmasterPid)} stopped (T), zombies ${state.zombiePids.join(", ")}`,
  );

  const login = lab.logins.postgres;
  const target: TSshTarget = {
    host: lab.ssh.host,
    port: lab.ssh.port,
    username: login.username,
    auth: { kind: "key", privateKey: login.privateKey, passphrase: login.passphrase },
    hostKey: { pinned: { fingerprint: lab.ssh.hostKeyFingerprint } },
  };
  const params = { pgdata: pg.pgdata, pgBin: pg.binDir, logFile: pg.logFile };
  const openSsh: TOpenSshLogin = {
    host: lab.ssh.host,
    port: lab.ssh.port,
    username: login.username,
    privateKeyPath: login.privateKeyPath,
    knownHostsFile: lab.ssh.knownHostsFile,
  };
  const steps = buildManualSteps(pg);

  // Every pg_isready against the stopped postmaster leaves one connection in the socket's accept
  // queue, which nobody accepts. Once the queue is full, connect() fails at once instead of waiting
  // for the timeout: the runs would measure something else. Re-break before that can happen.
  const socketPath = `${pg.socketDir}/.s.PGSQL.${String(pg.port)}`;
  const queue = { backlog: 0, maxQueued: 0, rebreaks: 0 };
  const makeRoomForPgIsReady = async (): Promise<void> => {
    const current = await readUnixListenQueue(socketPath);
    if (current === null)
      throw new Error(
        `nothing listens on ${socketPath} any more: the instance left the zombies state`,
      );
    queue.backlog = current.backlog;
    queue.maxQueued = Math.max(queue.maxQueued, current.queued);
    if (current.queued + 1 > current.backlog) {
      log(
        `bench: ${String(current.queued)} unanswered connections queued (backlog ${String(current.backlog)}): breaking the instance again`,
      );
      state = await breakZombies(lab, pg);
      queue.rebreaks += 1;
    }
  };

  const verdicts = new Set<string>();
  const probeBytes: number[] = [];
  const checkDiagnosis = (run: TDiagnosisRun): void => {
    verdicts.add(run.snapshot.verdict.code);
    probeBytes.push(Buffer.byteLength(run.raw.stdout));
    verifyDiagnosis(run, state);
  };

  const warmPool = createSshPool({ idleTimeoutMs: 30 * 60_000 });
  try {
    const variants: TVariant[] = [
      {
        name: COLD,
        prepare: makeRoomForPgIsReady,
        run: async ({ signal: runSignal }) => {
          // What a fresh CLI run does: its own pool, one connection, one exec, parse, disconnect.
          const pool = createSshPool();
          let run: TDiagnosisRun;
          try {
            run = await diagnoseOverSsh(pool, target, params, { signal: runSignal });
          } catch (error) {
            await pool.close();
            throw error;
          }
          const closing = performance.now();
          await pool.close();
          const closeMs = performance.now() - closing;
          const { totalMs, execMs, parseMs } = run.timings;
          return {
            parts: {
              [PART_CONNECT]: totalMs - execMs - parseMs,
              [PART_EXEC]: execMs,
              [PART_PARSE]: parseMs,
              [PART_CLOSE]: closeMs,
            },
            verify: () => {
              checkDiagnosis(run);
            },
          };
        },
      },
      {
        name: WARM,
        prepare: async ({ warmUp }) => {
          await makeRoomForPgIsReady();
          // Counted runs must reuse the connection the warm-up opened.
          if (!warmUp && !isConnected(warmPool, target))
            throw new Error("the warm pool has no open connection to reuse");
        },
        run: async ({ signal: runSignal }) => {
          const run = await diagnoseOverSsh(warmPool, target, params, { signal: runSignal });
          const { totalMs, execMs, parseMs } = run.timings;
          return {
            parts: {
              [PART_OTHER]: totalMs - execMs - parseMs,
              [PART_EXEC]: execMs,
              [PART_PARSE]: parseMs,
            },
            verify: () => {
              checkDiagnosis(run);
            },
          };
        },
      },
      {
        name: SSH_TRUE,
        run: async ({ signal: runSignal }) => {
          const result = await runOpenSsh(openSsh, "true", runSignal);
          return {
            verify: () => {
              expectExit(result, 0);
              if (result.stdout !== "")
                throw new Error(`ssh … true printed ${JSON.stringify(result.stdout)}`);
            },
          };
        },
      },
      {
        name: MANUAL,
        prepare: makeRoomForPgIsReady,
        run: async ({ signal: runSignal }) => {
          const parts: Record<string, number> = {};
          const results: TOpenSshResult[] = [];
          for (const step of steps) {
            const started = performance.now();
            results.push(await runOpenSsh(openSsh, step.command, runSignal));
            parts[step.label] = performance.now() - started;
          }
          return {
            parts,
            verify: () => {
              for (const [index, step] of steps.entries()) {
                const result = results[index];
                if (result === undefined) throw new Error(`no result for ${step.label}`);
                expectExit(result, step.expectedExit);
                step.check(result, state);
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
        const label = warmUp
          ? `warm-up ${String(round + 1)}/${String(context.warmUpRounds)}`
          : `round ${String(round - context.warmUpRounds + 1)}/${String(context.rounds)}`;
        log(`bench: [${label}] ${variant}: ${formatMs(ms)} ms`);
      },
    });
    if (verdicts.size !== 1)
      throw new Error(`the verdict changed across rounds: ${[...verdicts].join(", ")}`);
    return buildOutcome(samples, steps, {
      pgVersion,
      verdict: EXPECTED_VERDICT,
      rung: EXPECTED_RUNG,
      postmasterPid: state.postmasterPid,
      zombiePids: state.zombiePids,
      probeOutputBytes: Math.round(summarize(probeBytes).median),
      listenQueue: queue,
    });
  } finally {
    await warmPool.close();
  }
}

async function breakZombies(lab: TLabHost, pg: TLabInstance): Promise<TZombieState> {
  const scenario: TScenarioState = await lab.breakInstance(pg, "zombies");
  const { postmasterPid, zombiePids, shm } = scenario;
  if (postmasterPid === null || zombiePids.length === 0 || shm === null) {
    throw new Error(
      `the zombies scenario did not leave a stopped postmaster with zombies and a segment: ${scenario.checks.join("; ")}`,
    );
  }
  return {
    postmasterPid,
    zombiePids: [...zombiePids].sort((a, b) => a - b),
    shmKey: shm.key,
    shmId: shm.shmid,
  };
}

function isConnected(pool: TSshPool, target: TSshTarget): boolean {
  return pool
    .stats()
    .some(
      (host) => host.connected && host.port === target.port && host.username === target.username,
    );
}

function verifyDiagnosis(run: TDiagnosisRun, state: TZombieState): void {
  const { snapshot, raw } = run;
  const problems: string[] = [];
  if (raw.exitCode !== 0) problems.push(`probe exit ${String(raw.exitCode)}`);
  if (raw.truncated) problems.push("probe output truncated");
  if (!snapshot.probe.complete)
    problems.push(`probe output incomplete: ${snapshot.probe.errors.join("; ")}`);
  if (snapshot.verdict.code !== EXPECTED_VERDICT)
    problems.push(`verdict ${snapshot.verdict.code}, expected ${EXPECTED_VERDICT}`);
  if (snapshot.recommendation.rung !== EXPECTED_RUNG)
    problems.push(
      `rung ${String(snapshot.recommendation.rung)}, expected ${String(EXPECTED_RUNG)}`,
    );
  if (snapshot.postmaster.pid !== state.postmasterPid || snapshot.postmaster.state !== "T") {
    problems.push(
      `postmaster ${String(snapshot.postmaster.pid)} in ${snapshot.postmaster.state}, expected ${String(state.postmasterPid)} in T`,
    );
  }
  // A child that was running when the postmaster stopped may still exit later and join the
  // zombies; the scenario's own zombies must all be there, and every zombie must be the postmaster's.
  const zombies = snapshot.zombies.map((zombie) => zombie.pid).sort((a, b) => a - b);
  const missing = state.zombiePids.filter((pid) => !zombies.includes(pid));
  if (missing.length > 0)
    problems.push(`zombies [${zombies.join(", ")}] lack the scenario's [${missing.join(", ")}]`);
  const foreign = snapshot.zombies.filter(
    (zombie) => !zombie.parentIsPostmaster || zombie.ppid !== state.postmasterPid,
  );
  if (foreign.length > 0)
    problems.push(
      `zombies not of postmaster ${String(state.postmasterPid)}: ${foreign.map((zombie) => String(zombie.pid)).join(", ")}`,
    );
  if (snapshot.connectivity.pgIsReady.meaning !== "no-response")
    problems.push(`pg_isready: ${snapshot.connectivity.pgIsReady.meaning}, expected no-response`);
  if (problems.length > 0) throw new Error(`diagnosis: ${problems.join("; ")}`);
}

/** The runbook's read-only look, one OpenSSH call per command, as typed by hand. */
function buildManualSteps(pg: TLabInstance): TManualStep[] {
  return [
    {
      label: "cat postmaster.pid",
      command: `cat ${shellQuote(`${pg.pgdata}/postmaster.pid`)}`,
      expectedExit: 0,
      check: (result, state) => {
        const first = result.stdout.split("\n")[0];
        if (first !== String(state.postmasterPid))
          throw new Error(
            `postmaster.pid line 1 is ${JSON.stringify(first)}, expected ${String(state.postmasterPid)}`,
          );
      },
    },
    {
      label: "ps -eo …",
      command: "ps -eo pid,ppid,stat,wchan,lstart,args",
      expectedExit: 0,
      check: (result, state) => {
        const rows = new Map(
          result.stdout
            .split("\n")
            .slice(1)
            .map((line) => line.trim().split(/\s+/))
            .map(
              ([pid, ppid, stat]) =>
                [Number(pid), { ppid: Number(ppid), stat: stat ?? "" }] as const,
            ),
        );
        const postmaster = rows.get(state.postmasterPid);
        if (postmaster?.stat.startsWith("T") !== true)
          throw new Error(
            `ps: postmaster ${String(state.postmasterPid)} is ${postmaster?.stat ?? "missing"}, expected T`,
          );
        for (const pid of state.zombiePids) {
          const zombie = rows.get(pid);
          if (zombie?.stat.startsWith("Z") !== true || zombie.ppid !== state.postmasterPid) {
            throw new Error(
              `ps: ${String(pid)} is ${zombie === undefined ? "missing" : `${zombie.stat} (ppid ${String(zombie.ppid)})`}, expected a zombie of ${String(state.postmasterPid)}`,
            );
          }
        }
      },
    },
    {
      label: "ipcs -m",
      command: "ipcs -m",
      expectedExit: 0,
      check: (result, state) => {
        const key = `0x${state.shmKey.toString(16).padStart(8, "0")}`;
        const found = result.stdout.split("\n").some((line) => {
          const [lineKey, shmid] = line.trim().split(/\s+/);
          return lineKey === key && shmid === String(state.shmId);
        });
        if (!found)
          throw new Error(
            `ipcs -m does not list the instance's segment ${key} (shmid ${String(state.shmId)})`,
          );
      },
    },
    {
      label: "ipcs -s",
      command: "ipcs -s",
      expectedExit: 0,
      check: (result) => {
        if (!result.stdout.includes("Semaphore Arrays"))
          throw new Error(`ipcs -s printed no semaphore table: ${JSON.stringify(result.stdout)}`);
      },
    },
    {
      label: "pg_isready",
      command: `${shellQuote(`${pg.binDir}/pg_isready`)} -h ${shellQuote(pg.socketDir)} -p ${String(pg.port)}`,
      expectedExit: 2,
      check: (result) => {
        if (!result.stdout.includes("no response"))
          throw new Error(
            `pg_isready printed ${JSON.stringify(result.stdout)}, expected "no response"`,
          );
      },
    },
  ];
}

type TSetupFacts = {
  pgVersion: string;
  verdict: string;
  rung: number;
  postmasterPid: number;
  zombiePids: number[];
  probeOutputBytes: number;
  listenQueue: { backlog: number; maxQueued: number; rebreaks: number };
};

type TRow = { name: string; sshConnections: number; summary: TSummary; samplesMs: number[] };

function buildOutcome(
  samples: TVariantSamples[],
  steps: readonly TManualStep[],
  setup: TSetupFacts,
): TBenchOutcome {
  const byName = (name: string): TVariantSamples => {
    const found = samples.find((variant) => variant.name === name);
    if (found === undefined) throw new Error(`no samples for ${name}`);
    return found;
  };
  const partSeries = (variant: TVariantSamples, part: string): number[] => {
    const series = variant.parts[part];
    if (series === undefined) throw new Error(`${variant.name} has no part ${part}`);
    return series;
  };
  const manual = byName(MANUAL);
  const withoutPgIsReady = sumSeries(
    steps
      .filter((step) => step.label !== "pg_isready")
      .map((step) => partSeries(manual, step.label)),
  );

  const rows: TRow[] = [
    row(byName(COLD), 1),
    row(byName(WARM), 0),
    row(byName(SSH_TRUE), 1),
    row(manual, steps.length),
    {
      name: MANUAL_WITHOUT_PG_ISREADY,
      sshConnections: steps.length - 1,
      summary: summarize(withoutPgIsReady),
      samplesMs: withoutPgIsReady,
    },
  ];
  const median = (name: string): number => {
    const found = rows.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no row ${name}`);
    return found.summary.median;
  };
  const ratios = [
    { name: "cold diagnosis / ssh true", value: ratio(median(COLD), median(SSH_TRUE)) },
    { name: "warm diagnosis / ssh true", value: ratio(median(WARM), median(SSH_TRUE)) },
    { name: "manual (5×) / cold diagnosis", value: ratio(median(MANUAL), median(COLD)) },
    { name: "manual (5×) / warm diagnosis", value: ratio(median(MANUAL), median(WARM)) },
  ];
  const breakdown = [COLD, WARM, MANUAL].flatMap((name) => {
    const variant = byName(name);
    return Object.keys(variant.parts).map((part) => ({
      variant: name,
      part,
      summary: summarize(partSeries(variant, part)),
    }));
  });

  const ms = (value: number): string => formatMs(value);
  const resultsTable = formatMarkdownTable(
    [
      { header: "Variant" },
      { header: "new SSH connections", align: "right" },
      { header: "median ms", align: "right" },
      { header: "p10 ms", align: "right" },
      { header: "p90 ms", align: "right" },
    ],
    rows.map((entry) => [
      entry.name,
      String(entry.sshConnections),
      ms(entry.summary.median),
      ms(entry.summary.p10),
      ms(entry.summary.p90),
    ]),
  );
  const ratioTable = formatMarkdownTable(
    [{ header: "Ratio (medians, same run)" }, { header: "value", align: "right" }],
    ratios.map((entry) => [entry.name, formatRatio(entry.value)]),
  );
  const breakdownTable = formatMarkdownTable(
    [
      { header: "Variant" },
      { header: "step" },
      { header: "median ms", align: "right" },
      { header: "p10 ms", align: "right" },
      { header: "p90 ms", align: "right" },
    ],
    breakdown.map((entry) => [
      entry.variant,
      entry.part,
      ms(entry.summary.median),
      ms(entry.summary.p10),
      ms(entry.summary.p90),
    ]),
  );
  const rounds = rows[0]?.summary.n ?? 0;
  const markdown = [
    "## Diagnosis",
    "",
    `One lab host, ${setup.pgVersion}, broken with the \`zombies\` scenario (postmaster stopped in T, ` +
      `zombies ${setup.zombiePids.join(", ")} under it). Every diagnosis was checked: verdict \`${setup.verdict}\`, rung ${String(setup.rung)}, ` +
      `the scenario's postmaster and zombies, \`pg_isready\` no response; every manual call's exit code and output were checked too. ` +
      `${String(rounds)} rounds per variant; the probe's output was ${String(setup.probeOutputBytes)} bytes (median).`,
    "",
    resultsTable,
    "",
    ratioTable,
    "",
    "### Where the time goes",
    "",
    `\`connect + login\` is the diagnosis' own \`totalMs − execMs − parseMs\` (TCP, key exchange, key login, channel open); ` +
      "`probe exec` includes `pg_isready`'s wait for an answer that never comes (`-t 3`).",
    "",
    breakdownTable,
    "",
  ].join("\n");

  return {
    markdown,
    data: {
      setup,
      variants: rows,
      ratios,
      breakdown,
    },
  };
}

function row(variant: TVariantSamples, sshConnections: number): TRow {
  return {
    name: variant.name,
    sshConnections,
    summary: summarize(variant.totalMs),
    samplesMs: variant.totalMs,
  };
}
