// The supervisor parts the lab host's boot, exec and lifecycle code call: tools to check, hooks per host, and the
// few commands that differ under systemd (joining the lab's cgroup, starting sshd as a unit).
import { quoteAll } from "../shell.ts";
import { TINI_HOOKS, type TSupervisorHooks } from "./hooks.ts";
import { PATRONI_HOOKS } from "./patroni.ts";
import { systemdHooks } from "./systemd.ts";
import type { TSupervisorOptions, TSupervisorRecord } from "./types.ts";

export function hooksFor(record: TSupervisorRecord): TSupervisorHooks {
  if (record.kind === "systemd")
    return systemdHooks({ unitStyle: record.unitStyle, restart: record.restart });
  if (record.kind === "patroni") return PATRONI_HOOKS;
  return TINI_HOOKS;
}

/** Programs a supervisor needs on the machine, with the Debian package that brings each. */
export function supervisorTools(options: TSupervisorOptions): [string, string][] {
  if (options.kind === "systemd") {
    const tools: [string, string][] = [
      ["/lib/systemd/systemd", "systemd"],
      ["/usr/bin/systemctl", "systemd"],
      ["/usr/bin/dbus-daemon", "dbus"],
    ];
    if ((options.unitStyle ?? "debian") === "debian")
      tools.push(
        ["/usr/bin/pg_createcluster", "postgresql-common"],
        ["/lib/systemd/system/postgresql@.service", "postgresql-common"],
      );
    return tools;
  }
  if (options.kind === "patroni")
    return [
      ["/usr/bin/patroni", "patroni"],
      ["/usr/bin/patronictl", "patroni"],
      ["/usr/bin/etcd", "etcd-server"],
    ];
  return [];
}

/**
 * Under systemd, commands run from outside first move into the lab's cgroup (the root of its cgroup namespace)
 * and enter that namespace too, so /proc/PID/cgroup inside reads like on the host ("0::/" for them).
 */
export function cgroupJoinPrefix(record: TSupervisorRecord): string[] {
  if (record.kind !== "systemd") return [];
  return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', `${record.cgroupDir}/cgroup.procs`];
}

/** sshd as a transient unit of the lab's systemd (ssh.service), so logins live in a unit's cgroup as on a real host. */
export function renderSshdUnitCommand(opts: { configFile: string; logFile: string }): string {
  return [
    "systemctl stop ssh.service >/dev/null 2>&1; systemctl reset-failed ssh.service >/dev/null 2>&1;",
    quoteAll([
      "systemd-run",
      "--quiet",
      "--unit=ssh",
      "--description=OpenBSD Secure Shell server (pgrescue lab)",
      `--property=StandardOutput=append:${opts.logFile}`,
      `--property=StandardError=append:${opts.logFile}`,
      "/usr/sbin/sshd",
      "-D",
      "-e",
      "-f",
      opts.configFile,
    ]),
  ].join(" ");
}

export { type TSupervisorHooks, TINI_HOOKS } from "./hooks.ts";
export { startEtcd } from "./patroni.ts";
export {
  createLabCgroup,
  isLabCgroup,
  removeLabCgroup,
  renderSystemdInitScript,
  writeSystemdTree,
} from "./systemd-boot.ts";
export * from "./types.ts";
