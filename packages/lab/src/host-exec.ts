// Running a command inside a lab host: nsenter into its namespaces (and cgroup, under systemd) or plain, as the asked
// user, with a clean C-locale environment; and the error every lab-host operation throws when the host is missing,
// dead or misused.
import { isProcessAlive, run } from "./run.ts";
import type { TLabState } from "./state-file.ts";
import { cgroupJoinPrefix } from "./supervisors/index.ts";
import type { TLabExecOptions, TLabExecResult } from "./types.ts";

export class LabHostError extends Error {
  override name = "LabHostError";
}

const EXEC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

function userRecord(
  state: TLabState,
  name: string,
): { uid: number; gid: number; home: string } | null {
  if (name === "root") return { uid: 0, gid: 0, home: "/root" };
  const user = Object.values(state.users).find((candidate) => candidate.name === name);
  return user ?? null;
}

/** Runs `sh -c command` inside the host's namespaces as `user` (root by default in root mode), with a clean C-locale environment. */
export async function execInHost(
  state: TLabState,
  command: string,
  opts: TLabExecOptions,
): Promise<TLabExecResult> {
  const user = opts.user ?? (state.mode === "root" ? "root" : state.users.postgres.name);
  if (state.mode !== "plain" && !(await isProcessAlive(state.initPid, state.initStartTime))) {
    throw new LabHostError(
      `lab host "${state.name}" is not running (its init PID ${String(state.initPid)} is gone)`,
    );
  }
  const known = userRecord(state, user);
  if (state.mode !== "root" && user !== state.users.postgres.name) {
    throw new LabHostError(
      `lab host "${state.name}" runs without root (${state.mode} mode): commands can only run as ${state.users.postgres.name}, not ${user}`,
    );
  }
  const env = [
    "env",
    "-i",
    `HOME=${known?.home ?? "/"}`,
    `USER=${user}`,
    `LOGNAME=${user}`,
    `PATH=${EXEC_PATH}`,
    "LC_ALL=C",
    "LANG=C",
    "SHELL=/bin/sh",
  ];
  const shell = ["/bin/sh", "-c", command];
  let argv: string[];
  if (state.mode === "root") {
    const drop =
      user === "root"
        ? []
        : known === null
          ? ["runuser", "-u", user, "--"]
          : [
              "setpriv",
              `--reuid=${String(known.uid)}`,
              `--regid=${String(known.gid)}`,
              "--init-groups",
              "--",
            ];
    argv = [
      ...cgroupJoinPrefix(state.supervisor),
      "nsenter",
      `--target=${String(state.initPid)}`,
      "--pid",
      "--ipc",
      "--mount",
      "--uts",
      ...(state.supervisor.kind === "systemd" ? ["--cgroup"] : []),
      "--",
      ...drop,
      ...env,
      ...shell,
    ];
  } else if (state.mode === "userns") {
    argv = [
      "nsenter",
      `--target=${String(state.initPid)}`,
      "--user",
      "--preserve-credentials",
      "--pid",
      "--ipc",
      "--mount",
      "--uts",
      "--",
      ...env,
      ...shell,
    ];
  } else {
    argv = [...env, ...shell];
  }
  const [file, ...args] = argv;
  if (file === undefined) throw new LabHostError("empty command");
  return run(file, args, {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
  });
}
