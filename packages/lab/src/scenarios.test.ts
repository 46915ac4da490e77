// Unit tests for how a scenario's outcome is read from a host snapshot (pure part of breakInstance).
import { describe, expect, it } from "vitest";
import { describeScenario } from "./scenarios.ts";
import type { TInstanceRecord } from "./state-file.ts";
import type { THostProcess, THostState } from "./types.ts";

const record: TInstanceRecord = {
  name: "main",
  major: 15,
  pgdata: "/lab/instances/main/data",
  binDir: "/usr/lib/postgresql/15/bin",
  port: 42853,
  socketDir: "/lab/instances/main/socket",
  logFile: "/lab/instances/main/server.log",
  osUser: "postgres",
  artifacts: { processes: [], semIds: [] },
  lastScenario: null,
};

const proc = (
  pid: number,
  ppid: number,
  state: string,
  extra: Partial<THostProcess> = {},
): THostProcess => ({
  pid,
  ppid,
  state,
  startTime: pid * 10,
  uid: 101,
  comm: "postgres",
  args: "postgres: backend",
  cwd: state === "Z" ? null : record.pgdata,
  ...extra,
});

const pidFile = (pid: number): THostState["pidFiles"] => [
  {
    instance: "main",
    path: `${record.pgdata}/postmaster.pid`,
    content: `${String(pid)}\n${record.pgdata}\n1795465891\n42853\n${record.socketDir}\n127.0.0.1\n  5383473         5\nready   \n`,
    mtimeMs: 1,
  },
];
const shm: THostState["shm"] = [
  {
    key: 5383473,
    shmid: 5,
    perms: 0o600,
    size: 56,
    cpid: 57,
    lpid: 57,
    nattch: 2,
    uid: 101,
    cuid: 101,
  },
];
const owners = new Map([[101, "postgres"]]);

describe("describeScenario", () => {
  it("reads zombies of a stopped postmaster and the client still waiting", () => {
    const host: THostState = {
      processes: [
        proc(1, 0, "S", { comm: "tini", cwd: "/" }),
        proc(57, 1, "T", {
          args: "/usr/lib/postgresql/15/bin/postgres -D /lab/instances/main/data",
        }),
        proc(58, 57, "S"),
        proc(76, 57, "Z"),
        proc(77, 57, "Z"),
        proc(79, 57, "S"),
        proc(75, 1, "S", {
          comm: "psql",
          args: `psql -X -h ${record.socketDir} -c select pg_sleep(3600)`,
          cwd: "/",
        }),
      ],
      shm,
      sem: [],
      devShm: [],
      pidFiles: pidFile(57),
    };
    const state = describeScenario(
      record,
      "zombies",
      "s",
      host,
      { backendPids: [76, 77, 79], checks: [] },
      owners,
    );
    expect(state).toMatchObject({
      postmasterPid: 57,
      pidFilePid: 57,
      zombiePids: [76, 77],
      orphanPids: [],
      stoppedPids: [57],
      clientPids: [75],
      shm: { key: 5383473, shmid: 5, nattch: 2 },
    });
  });

  it("reads an orphan once the postmaster is gone", () => {
    const host: THostState = {
      processes: [proc(1, 0, "S", { comm: "tini", cwd: "/" }), proc(236, 1, "T")],
      shm,
      sem: [],
      devShm: [],
      pidFiles: pidFile(219),
    };
    expect(
      describeScenario(record, "orphan-attached", "s", host, { checks: [] }, owners),
    ).toMatchObject({
      postmasterPid: null,
      pidFilePid: 219,
      orphanPids: [236],
      stoppedPids: [236],
    });
  });

  it("does not take a reused PID for the postmaster", () => {
    const host: THostState = {
      processes: [proc(175, 1, "S", { comm: "sleep", args: "/bin/sleep 3600", cwd: "/" })],
      shm,
      sem: [],
      devShm: [],
      pidFiles: pidFile(175),
    };
    const state = describeScenario(
      record,
      "pid-reused",
      "s",
      host,
      { unrelated: [{ pid: 175, startTime: 1750, note: "" }], checks: [] },
      owners,
    );
    expect(state).toMatchObject({ postmasterPid: null, pidFilePid: 175, unrelatedPids: [175] });
  });

  it("classifies semaphore sets by what the scenario planted and reads their creators", () => {
    const host: THostState = {
      processes: [proc(99, 1, "S", { comm: "sleep", uid: 61001, cwd: "/" })],
      shm: [],
      sem: [
        {
          key: 42853001,
          semid: 0,
          perms: 0o600,
          nsems: 17,
          uid: 101,
          cuid: 101,
          values: [...Array.from({ length: 16 }, () => 1), 537],
          pids: Array.from({ length: 17 }, () => 96),
        },
        {
          key: 6543001,
          semid: 4,
          perms: 0o600,
          nsems: 17,
          uid: 61001,
          cuid: 61001,
          values: [...Array.from({ length: 16 }, () => 1), 537],
          pids: Array.from({ length: 17 }, () => 99),
        },
      ],
      devShm: [],
      pidFiles: pidFile(96),
    };
    const state = describeScenario(
      record,
      "legacy-semaphores",
      "s",
      host,
      {
        checks: [],
        semaphores: [
          { semid: 0, kind: "ours" },
          { semid: 4, kind: "other-user-live-creator" },
          { semid: 9, kind: "other-application" },
        ],
      },
      owners,
    );
    expect(state.semaphores).toEqual([
      expect.objectContaining({
        semid: 0,
        owner: "postgres",
        creatorPid: 96,
        creatorAlive: false,
        ours: true,
      }),
      expect.objectContaining({
        semid: 4,
        owner: "61001",
        creatorPid: 99,
        creatorAlive: true,
        ours: false,
        kind: "other-user-live-creator",
      }),
    ]);
  });
});
