// Benchmark 2 ("recovery"): from the approval of rung 3 to a healthy instance through pgrescue's API, against the same
// commands typed by hand over OpenSSH (kill the children, kill the postmaster, start, check), on the runbook's zombies case.
import { shellQuote } from "@pgrescue/core";
import { startTestServer, type TTestServer } from "@pgrescue/api/testing";
import type { TLabHost, TLabInstance, TScenarioState } from "@pgrescue/lab";
import type { TBenchContext, TBenchmark, TBenchOutcome } from "./benchmark.ts";
import { runInterleaved, type TVariant } from "./harness.ts";
import { expectExit, runOpenSsh, type TOpenSshLogin, type TOpenSshResult } from "./openssh.ts";
import { formatMarkdownTable, formatMs, formatRatio, ratio, summarize } from "./stats.ts";

const PGRESCUE = "pgrescue: approve rung 3 → healthy";
const BY_HAND = "by hand: the same commands over OpenSSH";

type TCaller = Awaited<ReturnType<TTestServer["callerAs"]>>["caller"];
type TStep = NonNullable<Awaited<ReturnType<TCaller["steps"]["propose"]>>>;

export const recoveryBenchmark: TBenchmark = {
  name: "recovery",
  title:
    "approval of rung 3 → healthy through pgrescue vs. the same commands by hand over OpenSSH (PostgreSQL 15, zombies)",
  run: runRecoveryBenchmark,
};

async function breakZombies(lab: TLabHost, pg: TLabInstance): Promise<TScenarioState> {
  await lab.breakInstance(pg, "healthy");
  const state = await lab.breakInstance(pg, "zombies");
  if (state.postmasterPid === null || state.zombiePids.length === 0)
    throw new Error("the zombies scenario left no stopped postmaster with zombies");
  return state;
}

async function isHealthy(lab: TLabHost, pg: TLabInstance): Promise<boolean> {
  const result = await lab.exec(
    `${shellQuote(`${pg.binDir}/psql`)} -X -At -h ${shellQuote(pg.socketDir)} -p ${String(pg.port)} -U postgres -d postgres -c 'select 1'`,
    { user: "postgres" },
  );
  return result.code === 0 && result.stdout.trim() === "1";
}

async function runRecoveryBenchmark(context: TBenchContext): Promise<TBenchOutcome> {
  const { lab, signal, log } = context;
  log("bench: creating a PostgreSQL 15 instance and starting pgrescue's API on an embedded store…");
  const pg = await lab.createInstance({ name: "main", major: 15 });
  const server = await startTestServer();
  try {
    const admin = (await server.callerAs("ADMIN")).caller;
    const operator = (await server.callerAs("OPERATOR")).caller;
    const approver = (await server.callerAs("APPROVER")).caller;
    await admin.hosts.add({
      name: "lab",
      address: lab.ssh.host,
      port: lab.ssh.port,
      sshUser: "postgres",
      auth: { kind: "key", privateKey: lab.logins.postgres.privateKey },
      hostKey: { fingerprint: lab.ssh.hostKeyFingerprint },
    });
    const instance = await admin.instances.add({
      host: "lab",
      pgdata: pg.pgdata,
      pgBin: pg.binDir,
      logFile: pg.logFile,
      name: "main",
    });
    const openSsh: TOpenSshLogin = {
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: "postgres",
      privateKeyPath: lab.logins.postgres.privateKeyPath,
      knownHostsFile: lab.ssh.knownHostsFile,
    };

    // pgrescue: prepared (untimed) up to a proposed rung 3; timed from its approval to the healthy verdict.
    let incidentId = "";
    let rung3: TStep | null = null;
    const pgrescueSteps: number[] = [];
    // By hand: the scenario's PIDs as the DBA would have read them from postmaster.pid and ps before starting.
    let state: TScenarioState | null = null;

    const closeOpenIncident = async (): Promise<void> => {
      if (incidentId === "") return;
      await operator.incidents.close({
        incidentId,
        outcome: "RECOVERED",
        summary: "benchmark round",
      });
      incidentId = "";
    };

    const variants: TVariant[] = [
      {
        name: PGRESCUE,
        prepare: async () => {
          await closeOpenIncident();
          await breakZombies(lab, pg);
          const opened = await operator.incidents.open({ instanceId: instance.id });
          incidentId = opened.incident.id;
          rung3 = await operator.steps.propose({
            incidentId,
            rung: 3,
            reason: "benchmark: straight to the kill rung, as in the runbook",
          });
        },
        run: async () => {
          let step: TStep | null = rung3;
          let verdict: string | null = null;
          let steps = 0;
          while (step !== null && verdict !== "healthy" && steps < 4) {
            await approver.steps.approve({
              stepId: step.id,
              confirm: step.confirmationRequired ?? undefined,
            });
            const outcome = await operator.steps.run({ stepId: step.id });
            if (outcome.step.status !== "SUCCEEDED")
              throw new Error(
                `rung ${String(step.rung)} ended ${outcome.step.status}: ${outcome.step.error ?? ""}`,
              );
            verdict = outcome.verdict;
            step = outcome.nextStep;
            steps += 1;
          }
          const finalVerdict = verdict;
          const taken = steps;
          pgrescueSteps.push(taken);
          return {
            verify: () => {
              if (finalVerdict !== "healthy")
                throw new Error(
                  `pgrescue ended at ${String(finalVerdict)} after ${String(taken)} steps`,
                );
            },
          };
        },
      },
      {
        name: BY_HAND,
        prepare: async () => {
          await closeOpenIncident();
          state = await breakZombies(lab, pg);
        },
        run: async ({ signal: runSignal }) => {
          if (state === null || state.postmasterPid === null) throw new Error("no scenario state");
          const postmaster = state.postmasterPid;
          const children = (await lab.captureState()).processes
            .filter((process) => process.ppid === postmaster && process.state !== "Z")
            .map((process) => process.pid);
          const bin = (tool: string): string => shellQuote(`${pg.binDir}/${tool}`);
          const commands = [
            `kill -9 ${children.join(" ")}`,
            `kill -9 ${String(postmaster)}`,
            `${bin("pg_ctl")} start -D ${shellQuote(pg.pgdata)} -l ${shellQuote(pg.logFile)} -w -t 60`,
            `${bin("pg_isready")} -h ${shellQuote(pg.socketDir)} -p ${String(pg.port)}`,
          ];
          const results: TOpenSshResult[] = [];
          for (const command of commands)
            results.push(await runOpenSsh(openSsh, command, runSignal));
          return {
            verify: () => {
              for (const result of results) expectExit(result, 0);
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
    await closeOpenIncident();
    if (!(await isHealthy(lab, pg)))
      throw new Error("the instance is not healthy after the last round");

    const summaries = samples.map((sample) => ({
      name: sample.name,
      summary: summarize(sample.totalMs),
    }));
    const median = (name: string): number =>
      summaries.find((entry) => entry.name === name)?.summary.median ?? Number.NaN;
    const table = formatMarkdownTable(
      [
        { header: "Variant" },
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
    const overhead = ratio(median(PGRESCUE), median(BY_HAND));
    const stepsTaken = [...new Set(pgrescueSteps)].join(" or ");
    const markdown = [
      table,
      "",
      `Ratio (medians, same run): pgrescue / by hand ${formatRatio(overhead)}.`,
      "",
      `pgrescue's time covers, per round, ${stepsTaken} steps (rung 3 kill and IPC check, rung 4 start and verify): for each an approval bound to the exact script and diagnosis, the store writes (step RUNNING before sending, every output chunk, the result), the script's on-host re-verification of every PID (start time, cwd, exe, uid) and IPC object before acting, its bounded wait until the killed processes are gone, and a full re-diagnosis after the step. "By hand" is only machine time: four OpenSSH calls (kill -9 the postmaster's live children, kill -9 the postmaster, pg_ctl start -w, pg_isready), without reading the pid file and ps first, without re-checking anything, and without the typing.`,
    ].join("\n");
    return {
      markdown,
      data: { summaries, ratio: { pgrescueOverByHand: overhead }, pgrescueSteps },
    };
  } finally {
    await server.close();
  }
}
