// Unit tests for host snapshots: parsing the helper's JSON and listing differences between two snapshots.
import { describe, expect, it } from "vitest";
import { diffHostStates, parseHostState } from "./capture.ts";
import type { THostState } from "./types.ts";

const snapshot: THostState = {
  processes: [
    {
      pid: 1,
      ppid: 0,
      state: "S",
      startTime: 100,
      uid: 0,
      comm: "tini",
      args: "tini -- /bin/bash init.sh",
      cwd: "/",
    },
    {
      pid: 57,
      ppid: 1,
      state: "T",
      startTime: 900,
      uid: 101,
      comm: "postgres",
      args: "/usr/lib/postgresql/15/bin/postgres -D /d",
      cwd: "/d",
    },
    {
      pid: 76,
      ppid: 57,
      state: "Z",
      startTime: 950,
      uid: 101,
      comm: "postgres",
      args: "",
      cwd: null,
    },
  ],
  shm: [
    {
      key: 5383473,
      shmid: 5,
      perms: 0o600,
      size: 56,
      cpid: 57,
      lpid: 80,
      nattch: 7,
      uid: 101,
      cuid: 101,
    },
  ],
  sem: [
    {
      key: 0x028de289,
      semid: 0,
      perms: 0o600,
      nsems: 2,
      uid: 101,
      cuid: 101,
      values: [1, 537],
      pids: [96, 96],
    },
  ],
  devShm: [{ name: "PostgreSQL.1804289383", size: 26976, uid: 101, mtimeMs: 1_700_000_000_000 }],
  pidFiles: [
    {
      instance: "main",
      path: "/d/postmaster.pid",
      content: "57\n/d\n",
      mtimeMs: 1_700_000_000_000,
    },
  ],
};

describe("parseHostState", () => {
  it("accepts the helper's JSON and rejects anything else", () => {
    expect(parseHostState(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(() => parseHostState(JSON.stringify({ ...snapshot, shm: [{ key: "x" }] }))).toThrow();
  });
});

describe("diffHostStates", () => {
  it("finds nothing between identical snapshots", () => {
    expect(diffHostStates(snapshot, structuredClone(snapshot))).toEqual([]);
  });

  it("names every change a recovery step could make", () => {
    const after: THostState = structuredClone(snapshot);
    after.processes = after.processes.filter((process) => process.pid !== 76);
    const postmaster = after.processes[1];
    if (postmaster) postmaster.state = "S";
    after.processes.push({
      pid: 200,
      ppid: 1,
      state: "S",
      startTime: 5000,
      uid: 0,
      comm: "sleep",
      args: "sleep 1",
      cwd: "/",
    });
    after.shm = after.shm.map((segment) => ({ ...segment, nattch: 6 }));
    after.sem = [];
    after.devShm = [];
    after.pidFiles = [
      { instance: "main", path: "/d/postmaster.pid", content: null, mtimeMs: null },
    ];
    expect(diffHostStates(snapshot, after)).toEqual([
      "process PID 57 (/usr/lib/postgresql/15/bin/postgres -D /d): state T → S",
      "gone: process PID 76 (postgres)",
      "new: process PID 200 (sleep 1)",
      "shared memory segment 5: nattch 7 → 6",
      "gone: semaphore set 0 (key 42853001)",
      "gone: /dev/shm/PostgreSQL.1804289383",
      "/d/postmaster.pid: content changed",
      "/d/postmaster.pid: modified",
    ]);
  });

  it("treats a reused PID as a different process", () => {
    const after: THostState = structuredClone(snapshot);
    after.processes = after.processes.map((process) =>
      process.pid === 57 ? { ...process, startTime: 901 } : process,
    );
    expect(diffHostStates(snapshot, after)).toEqual([
      "gone: process PID 57 (/usr/lib/postgresql/15/bin/postgres -D /d)",
      "new: process PID 57 (/usr/lib/postgresql/15/bin/postgres -D /d)",
    ]);
  });

  it("leaves out processes the caller names, e.g. its own ssh session", () => {
    const after: THostState = structuredClone(snapshot);
    after.processes.push({
      pid: 300,
      ppid: 18,
      state: "S",
      startTime: 6000,
      uid: 101,
      comm: "sshd",
      args: "sshd: postgres@notty",
      cwd: "/",
    });
    expect(
      diffHostStates(snapshot, after, {
        ignoreProcess: (process) => process.args.startsWith("sshd: "),
      }),
    ).toEqual([]);
  });
  it("does not count scheduling (R, S, D, I) as a change, but stopping or dying is one", () => {
    const before = {
      processes: [
        {
          pid: 75,
          ppid: 57,
          state: "R",
          startTime: 901,
          uid: 101,
          comm: "postgres",
          args: "postgres: walwriter",
          cwd: "/d",
        },
      ],
      shm: [],
      sem: [],
      devShm: [],
      pidFiles: [],
    };
    const sleeping = {
      ...before,
      processes: [{ ...before.processes[0], state: "S" } as (typeof before.processes)[number]],
    };
    const stopped = {
      ...before,
      processes: [{ ...before.processes[0], state: "T" } as (typeof before.processes)[number]],
    };
    expect(diffHostStates(before, sleeping)).toEqual([]);
    expect(diffHostStates(before, stopped)).toEqual([
      "process PID 75 (postgres: walwriter): state R → T",
    ]);
  });
});
