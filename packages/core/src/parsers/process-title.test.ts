import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput } from "../probe/probe-output.ts";
import { parseCmdlines } from "./proc-records.ts";
import { classifyProcessTitle } from "./process-title.ts";

describe("classifyProcessTitle on real command lines", () => {
  it.each(["healthy-sessions.pg15", "healthy-sessions.pg18"])(
    "names every process of %s",
    (name) => {
      const section = findSection(parseProbeOutput(loadFixture(name).text), "cmdline");
      const roles = [...parseCmdlines(section?.content ?? []).values()].map(
        (c) => classifyProcessTitle(c).role,
      );
      expect(roles).toContain("postmaster");
      expect(roles).toContain("checkpointer");
      expect(roles).toContain("background writer");
      expect(roles).toContain("walwriter");
      expect(roles).toContain("autovacuum launcher");
      expect(roles).toContain("logical replication launcher");
      expect(roles.filter((r) => r === "client backend")).toHaveLength(3);
      expect(roles.includes("io worker")).toBe(name.endsWith("pg18"));
      expect(roles).not.toContain("unknown");
    },
  );
});

describe("classifyProcessTitle", () => {
  it.each([
    [
      "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf",
      "postmaster",
    ],
    ["/usr/pgsql-9.6/bin/postmaster -D /var/lib/pgsql/9.6/data", "postmaster"],
    ["postgres --single -D /d postgres", "standalone backend"],
    ["postgres: checkpointer ", "checkpointer"],
    ["postgres: checkpointer process", "checkpointer"],
    ["postgres: background writer   ", "background writer"],
    ["postgres: walwriter", "walwriter"],
    ["postgres: wal writer process", "walwriter"],
    ["postgres: autovacuum launcher", "autovacuum launcher"],
    ["postgres: autovacuum worker postgres", "autovacuum worker"],
    ["postgres: stats collector process", "stats collector"],
    ["postgres: stats collector", "stats collector"],
    ["postgres: logical replication launcher", "logical replication launcher"],
    [
      "postgres: logical replication apply worker for subscription 16394",
      "logical replication worker",
    ],
    [
      "postgres: logical replication tablesync worker for subscription 16394 sync 16385",
      "logical replication worker",
    ],
    ["postgres: archiver last was 000000010000000000000003", "archiver"],
    ["postgres: logger", "logger"],
    ["postgres: startup recovering 000000010000000000000004", "startup"],
    ["postgres: walreceiver streaming 0/3000148", "walreceiver"],
    ["postgres: walsummarizer", "walsummarizer"],
    ["postgres: slotsync worker", "slotsync worker"],
    ["postgres: io worker 2", "io worker"],
    ["postgres: parallel worker for PID 4242", "parallel worker"],
    ["postgres: TimescaleDB Background Worker Launcher", "background worker"],
    ["postgres: pg_cron launcher", "background worker"],
    ["sleep 3600", "unknown"],
  ])("%s → %s", (cmdline, role) => {
    expect(classifyProcessTitle(cmdline).role).toBe(role);
  });

  it("splits a client backend into user, database, client and activity", () => {
    expect(
      classifyProcessTitle("postgres: app sales 10.0.0.7(51234) idle in transaction"),
    ).toMatchObject({
      role: "client backend",
      user: "app",
      database: "sales",
      client: "10.0.0.7(51234)",
      activity: "idle in transaction",
    });
    expect(classifyProcessTitle("postgres: postgres postgres [local] SELECT")).toMatchObject({
      client: "[local]",
      activity: "SELECT",
    });
    expect(classifyProcessTitle("postgres: u db [local]")).toMatchObject({
      role: "client backend",
      activity: null,
    });
  });

  it("strips Debian's cluster_name prefix", () => {
    expect(classifyProcessTitle("postgres: 15/main: checkpointer ")).toMatchObject({
      role: "checkpointer",
      clusterName: "15/main",
    });
    expect(classifyProcessTitle("postgres: 15/main: postgres postgres [local] idle")).toMatchObject(
      {
        role: "client backend",
        clusterName: "15/main",
        activity: "idle",
      },
    );
  });

  it("reads walsenders as walsenders, with their client", () => {
    expect(
      classifyProcessTitle("postgres: walsender replicator 10.0.0.8(40022) streaming 0/3000148"),
    ).toMatchObject({
      role: "walsender",
      user: "replicator",
      client: "10.0.0.8(40022)",
    });
  });
});
