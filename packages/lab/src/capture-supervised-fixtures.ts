// Captures the probe's real output on lab hosts with supervisors (a systemd PID 1 with Debian and PGDG units, a
// Restart=always drop-in; single-node Patroni with etcd) as core's fixtures in __fixtures__/probe-supervised, and
// proves each run left the host unchanged. Run: pnpm --filter @pgrescue/lab exec tsx src/capture-supervised-fixtures.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
// Like capture-probe-fixtures.ts, this one-off capture script reaches core by package name; the lab itself does not.
import { buildProbeScript } from "@pgrescue/core";
import { diffHostStates } from "./capture.ts";
import { REPO_ROOT } from "./env.ts";
import { startLabHost } from "./lab-host.ts";
import type { TLabHost, TLabInstance, TScenarioState } from "./types.ts";

const OUT_DIR = path.join(REPO_ROOT, "packages", "core", "src", "__fixtures__", "probe-supervised");

/**
 * What many fleets give the postgres login: systemctl for the Debian cluster units, nothing else. The PGDG-style
 * unit deliberately has no rule, so its plans show the commands for someone with root.
 */
export const POSTGRES_SYSTEMCTL_SUDOERS = [
  "# pgrescue: the postgres login may run the ladder's systemctl commands for Debian's cluster units",
  "postgres ALL=(root) NOPASSWD: /usr/bin/systemctl stop postgresql@*, /usr/bin/systemctl start postgresql@*, /usr/bin/systemctl reset-failed postgresql@*, /usr/bin/systemctl mask --runtime postgresql@*, /usr/bin/systemctl unmask --runtime postgresql@*",
  "",
].join("\n");

async function runProbe(host: TLabHost, instance: TLabInstance) {
  const script = buildProbeScript({
    pgdata: instance.pgdata,
    pgBin: instance.binDir,
    logFile: instance.logFile,
  });
  const before = await host.captureState();
  const sudoBefore = (await host.exec("ls -laR /run/sudo 2>/dev/null; true")).stdout;
  const started = performance.now();
  const result = await host.exec("exec env LC_ALL=C /bin/sh -s", {
    user: instance.osUser,
    input: script,
    timeoutMs: 60_000,
  });
  const runtimeMs = Math.round(performance.now() - started);
  const after = await host.captureState();
  const sudoAfter = (await host.exec("ls -laR /run/sudo 2>/dev/null; true")).stdout;
  const hostDiff = diffHostStates(before, after);
  if (sudoBefore !== sudoAfter) hostDiff.push(`/run/sudo changed: ${sudoAfter}`);
  return { ...result, runtimeMs, hostDiff };
}

async function capture(
  host: TLabHost,
  instance: TLabInstance,
  name: string,
  how: string,
  state: TScenarioState | null,
): Promise<void> {
  const run = await runProbe(host, instance);
  await writeFile(path.join(OUT_DIR, `${name}.txt`), run.stdout);
  const meta = {
    fixture: `${name}.txt`,
    pgdata: instance.pgdata,
    major: instance.major,
    osUser: instance.osUser,
    capturedAt: new Date().toISOString(),
    how,
    exitCode: run.code,
    stderr: run.stderr,
    runtimeMs: run.runtimeMs,
    bytes: Buffer.byteLength(run.stdout),
    hostDiffAfterProbe: run.hostDiff,
    supervision: instance.supervision ?? null,
    supervisorView: await host.supervisorView(instance),
    scenario: state,
  };
  await writeFile(path.join(OUT_DIR, `${name}.meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
  const diff =
    run.hostDiff.length === 0 ? "host unchanged" : `host diff: ${run.hostDiff.join(" | ")}`;
  console.log(
    `${name}: exit ${String(run.code)}, ${String(run.runtimeMs)} ms, ${String(meta.bytes)} bytes; ${diff}`,
  );
}

async function captureSystemd(): Promise<void> {
  const host = await startLabHost({ name: "sv-fixtures", supervisor: { kind: "systemd" } });
  try {
    await host.exec(`cat >> /etc/sudoers`, { input: POSTGRES_SYSTEMCTL_SUDOERS });
    const always = await host.createInstance({
      name: "main",
      major: 15,
      unit: { restart: "always" },
    });
    const plain = await host.createInstance({ name: "plain", major: 15 });
    const pgdg = await host.createInstance({ name: "pgdg", major: 15, unit: { style: "pgdg" } });
    const how = (what: string): string =>
      `systemd lab host (PID 1 systemd), ${what}, probe via host.exec("/bin/sh -s") as postgres with LC_ALL=C; postgres may sudo systemctl for postgresql@* only`;

    await capture(
      host,
      always,
      "systemd-debian-always-healthy",
      how('Debian unit with a Restart=always drop-in, breakInstance("healthy")'),
      await host.breakInstance(always, "healthy"),
    );
    await capture(
      host,
      always,
      "systemd-debian-always-zombies",
      how('Debian unit with Restart=always, breakInstance("zombies")'),
      await host.breakInstance(always, "zombies"),
    );
    const stale = await host.breakInstance(plain, "stale-pidfile");
    await capture(
      host,
      plain,
      "systemd-debian-stale-pidfile",
      how(
        'Debian unit, Restart=no, breakInstance("stale-pidfile"): ExecStop removed the pid file, the unit failed',
      ),
      stale,
    );
    await host.exec(`pg_ctlcluster 15 plain start`, { user: "postgres" });
    await capture(
      host,
      plain,
      "systemd-debian-outside-unit",
      how(
        "the failed Debian unit of stale-pidfile, then `pg_ctlcluster 15 plain start` as postgres (not root): a postmaster outside its unit",
      ),
      null,
    );
    await host.breakInstance(always, "healthy");
    // The ladder's hold, then a crash: with the unit masked for this boot Restart=always cannot start it again.
    await host.exec(
      "systemctl mask --runtime postgresql@15-main.service && systemctl kill -s KILL postgresql@15-main.service && sleep 1",
    );
    await capture(
      host,
      always,
      "systemd-debian-masked-crashed",
      how(
        "Debian unit with Restart=always, `systemctl mask --runtime` (the ladder's hold), then `systemctl kill -s KILL`: no restart, the unit failed",
      ),
      null,
    );
    await host.exec("systemctl unmask --runtime postgresql@15-main.service");
    await capture(
      host,
      pgdg,
      "systemd-pgdg-stale-pidfile",
      how(
        'PGDG-style postgresql-15-pgdg.service (Type=notify, KillMode=mixed), no sudo rule for it, breakInstance("stale-pidfile")',
      ),
      await host.breakInstance(pgdg, "stale-pidfile"),
    );
  } finally {
    await host.stop();
  }
}

async function capturePatroni(): Promise<void> {
  const host = await startLabHost({ name: "pt-fixtures", supervisor: { kind: "patroni" } });
  try {
    const main = await host.createInstance({ name: "main", major: 15 });
    if (main.supervision?.kind !== "patroni") throw new Error("main is not run by Patroni");
    const config = main.supervision.configFile;
    const how = (what: string): string =>
      `Patroni lab host (tini PID 1, single-node Patroni 3.0.2 with etcd), ${what}, probe via host.exec("/bin/sh -s") as postgres with LC_ALL=C`;
    await capture(
      host,
      main,
      "patroni-healthy",
      how('breakInstance("healthy")'),
      await host.breakInstance(main, "healthy"),
    );
    await capture(
      host,
      main,
      "patroni-zombies",
      how('Patroni active, breakInstance("zombies")'),
      await host.breakInstance(main, "zombies"),
    );
    await capture(
      host,
      main,
      "patroni-orphan-attached",
      how('Patroni active, breakInstance("orphan-attached")'),
      await host.breakInstance(main, "orphan-attached"),
    );
    await capture(
      host,
      main,
      "patroni-stale-pidfile-paused",
      how('breakInstance("stale-pidfile", { pause: true })'),
      await host.breakInstance(main, "stale-pidfile", { pause: true }),
    );
    const healthy = await host.breakInstance(main, "healthy");
    await host.exec(`patronictl -c ${config} pause --wait`, { user: "postgres" });
    await capture(
      host,
      main,
      "patroni-healthy-paused",
      how('breakInstance("healthy"), then `patronictl pause --wait`'),
      healthy,
    );
    await host.exec(`patronictl -c ${config} resume --wait`, { user: "postgres" });
    const view = await host.supervisorView(main);
    const pid = view.kind === "patroni" ? view.patroniPid : null;
    if (pid === null) throw new Error("no Patroni process");
    await host.exec(`kill -STOP ${String(pid)}`);
    await capture(
      host,
      main,
      "patroni-rest-down",
      how(
        `Patroni's process (PID ${String(pid)}) stopped with SIGSTOP: its REST API does not answer`,
      ),
      null,
    );
    await host.exec(`kill -CONT ${String(pid)}`);
  } finally {
    await host.stop();
  }
}

async function captureTini(): Promise<void> {
  const host = await startLabHost({ name: "tini-fixtures" });
  try {
    const main = await host.createInstance({ name: "main", major: 15 });
    await capture(
      host,
      main,
      "tini-healthy",
      'tini lab host (tini PID 1 of its PID namespace; this machine is itself a Docker container: /.dockerenv), breakInstance("healthy"), probe as postgres',
      await host.breakInstance(main, "healthy"),
    );
    await capture(
      host,
      main,
      "tini-stale-pidfile",
      'tini lab host (as tini-healthy), breakInstance("stale-pidfile"), probe as postgres',
      await host.breakInstance(main, "stale-pidfile"),
    );
  } finally {
    await host.stop();
  }
}

await mkdir(OUT_DIR, { recursive: true });
const only = process.argv[2];
if (only === undefined || only === "systemd") await captureSystemd();
if (only === undefined || only === "patroni") await capturePatroni();
if (only === undefined || only === "tini") await captureTini();
