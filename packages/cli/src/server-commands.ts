// `pgrescue hosts|instances|incidents|steps …`: the console's API from the command line (--json everywhere).
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { quoteForDisplay } from "@pgrescue/core";
import type { TCliEnv } from "./env.ts";
import { EXIT, type TCommandResult } from "./exit.ts";
import { connectServer, type TServerClient } from "./server-client.ts";
import { parseSshSpec, UsageError } from "./ssh-spec.ts";

export const SERVER_USAGE = `Against a running console (--server URL or PGRESCUE_SERVER; token in PGRESCUE_TOKEN; --json everywhere):
  hosts add --name NAME --ssh USER@HOST[:PORT] (--identity KEYFILE | --agent) [--become USER]
            (--accept-host-key | --host-key SHA256:…)   key passphrase from PGRESCUE_SSH_PASSPHRASE
  hosts list
  instances add --host NAME --pgdata DIR [--pg-bin DIR] [--log-file FILE] [--name NAME]
  instances list [--host NAME]
  incidents open --host NAME --pgdata DIR      diagnoses; prints the recommended step and its commands
  incidents diagnose ID                        a fresh diagnosis inside the incident
  incidents show ID
  incidents list [--host H] [--instance I] [--status OPEN|CLOSED] [--outcome O] [--text T] [--limit N] [--cursor C]
  incidents close ID --outcome RECOVERED|ABORTED|NEEDS_REBOOT|ESCALATED|FALSE_ALARM --summary TEXT
  incidents export ID --format md|json [--output FILE]
  steps propose INCIDENT_ID [--rung N --reason TEXT]
  steps approve STEP_ID [--confirm TEXT]       rungs ≥ 2 need the instance's name
  steps run STEP_ID                            waits; prints the outcome and the next recommendation
  steps skip STEP_ID --reason TEXT`;

type TOptions = Record<string, { type: "string" | "boolean"; multiple?: false }>;

const COMMON: TOptions = {
  server: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
};

function parse(argv: string[], options: TOptions, positionals: number) {
  const parsed = parseArgs({
    args: argv,
    options: { ...COMMON, ...options },
    strict: true,
    allowPositionals: positionals > 0,
  });
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(
      positionals === 0
        ? "unexpected argument"
        : `expected ${String(positionals)} argument(s): see pgrescue --help`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined) throw new UsageError(`--${name} is required`);
    return value;
  };
  return {
    values,
    text,
    required,
    flag: (name: string) => values[name] === true,
    positionals: parsed.positionals,
    json: values.json === true,
  };
}

function output(
  json: boolean,
  value: unknown,
  text: string,
  exitCode: number = EXIT.ok,
): TCommandResult {
  return { exitCode, stdout: json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n` };
}

type TStep = Awaited<ReturnType<TServerClient["steps"]["approve"]["mutate"]>>;

function describeStep(step: TStep): string {
  return [
    `Step ${step.id} — #${String(step.seq)} rung ${String(step.rung)}: ${step.title} [${step.status}]`,
    `  why: ${step.why}`,
    ...(step.destroys.length === 0 ? [] : [`  destroys: ${step.destroys.join("; ")}`]),
    `  expected: ${step.expectedOutcome}`,
    ...(step.blockedReason === null ? [] : [`  warning: ${step.blockedReason}`]),
    "  commands:",
    ...step.displayCommands.map((line) => `    ${line}`),
    step.confirmationRequired === null
      ? `  approve: pgrescue steps approve ${step.id}`
      : `  approve: pgrescue steps approve ${step.id} --confirm ${step.confirmationRequired}`,
  ].join("\n");
}

async function readIdentity(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `--identity: cannot read ${quoteForDisplay(path)} (${error instanceof Error && "code" in error ? String(error.code) : "unreadable"})`,
    );
  }
}

export async function runServerCommand(
  area: string,
  argv: string[],
  env: TCliEnv,
): Promise<TCommandResult> {
  const [verb, ...rest] = argv;
  const key = `${area} ${verb ?? ""}`;
  switch (key) {
    case "hosts add": {
      const args = parse(
        rest,
        {
          name: { type: "string" },
          ssh: { type: "string" },
          identity: { type: "string" },
          agent: { type: "boolean" },
          become: { type: "string" },
          "accept-host-key": { type: "boolean" },
          "host-key": { type: "string" },
        },
        0,
      );
      const ssh = parseSshSpec(args.required("ssh"));
      const identity = args.text("identity");
      if ((identity === undefined) === !args.flag("agent"))
        throw new UsageError("give exactly one of --identity KEYFILE and --agent");
      const hostKeyFlag = args.text("host-key");
      if ((hostKeyFlag === undefined) === !args.flag("accept-host-key")) {
        throw new UsageError(
          "the host key must be accepted explicitly: --accept-host-key (pin what the host presents now) or --host-key SHA256:… (pin exactly that key)",
        );
      }
      const client = connectServer(args.text("server"), env);
      const host = await client.hosts.add.mutate({
        name: args.required("name"),
        address: ssh.host,
        port: ssh.port,
        sshUser: ssh.username,
        becomeUser: args.text("become"),
        auth:
          identity === undefined
            ? { kind: "agent" }
            : {
                kind: "key",
                privateKey: await readIdentity(identity),
                passphrase: env.PGRESCUE_SSH_PASSPHRASE,
              },
        hostKey: hostKeyFlag === undefined ? { acceptNew: true } : { fingerprint: hostKeyFlag },
      });
      return output(
        args.json,
        host,
        `Added ${host.name} (${host.sshUser}@${host.address}:${String(host.port)}); pinned host key ${host.hostKeyAlgorithm ?? "?"} ${host.hostKeyFingerprint ?? "?"}`,
      );
    }
    case "hosts list": {
      const args = parse(rest, {}, 0);
      const hosts = await connectServer(args.text("server"), env).hosts.list.query();
      const lines = hosts.flatMap((host) => [
        `${host.name}  ${host.sshUser}@${host.address}:${String(host.port)}${host.becomeUser === null ? "" : ` → ${host.becomeUser}`}  ${host.hostKeyFingerprint ?? "no key"}${host.hostKeyMismatchAt === null ? "" : "  HOST KEY MISMATCH"}`,
        ...host.instances.map(
          (instance) =>
            `  ${instance.name}  ${instance.dataDir}  ${instance.snapshots[0] === undefined ? "never diagnosed" : `${instance.snapshots[0].verdict} at ${instance.snapshots[0].takenAt.toISOString()}`}`,
        ),
      ]);
      return output(
        args.json,
        hosts,
        lines.length === 0 ? "No hosts yet: pgrescue hosts add …" : lines.join("\n"),
      );
    }
    case "instances add": {
      const args = parse(
        rest,
        {
          host: { type: "string" },
          pgdata: { type: "string" },
          "pg-bin": { type: "string" },
          "log-file": { type: "string" },
          name: { type: "string" },
        },
        0,
      );
      const instance = await connectServer(args.text("server"), env).instances.add.mutate({
        host: args.required("host"),
        pgdata: args.required("pgdata"),
        pgBin: args.text("pg-bin"),
        logFile: args.text("log-file"),
        name: args.text("name"),
      });
      return output(
        args.json,
        instance,
        `Added instance ${instance.name} (${instance.dataDir}) on ${instance.host.name}`,
      );
    }
    case "instances list": {
      const args = parse(rest, { host: { type: "string" } }, 0);
      const host = args.text("host");
      const list = await connectServer(args.text("server"), env).instances.list.query(
        host === undefined ? undefined : { host },
      );
      return output(
        args.json,
        list,
        list
          .map(
            (instance) =>
              `${instance.host.name}:${instance.name}  ${instance.dataDir}  ${instance.snapshots[0]?.verdict ?? "never diagnosed"}`,
          )
          .join("\n") || "No instances",
      );
    }
    case "incidents open": {
      const args = parse(rest, { host: { type: "string" }, pgdata: { type: "string" } }, 0);
      const opened = await connectServer(args.text("server"), env).incidents.open.mutate({
        host: args.required("host"),
        pgdata: args.required("pgdata"),
      });
      const text = [
        `Incident ${opened.incident.id}: ${opened.incident.title}`,
        `Verdict: ${opened.verdict}`,
        opened.step === null ? "No step is recommended." : describeStep(opened.step),
      ].join("\n");
      return output(args.json, opened, text);
    }
    case "incidents diagnose": {
      const args = parse(rest, {}, 1);
      const result = await connectServer(args.text("server"), env).incidents.diagnose.mutate({
        incidentId: args.positionals[0] ?? "",
      });
      return output(
        args.json,
        result,
        [
          `Verdict: ${result.verdict}`,
          result.step === null ? "No new step proposed." : describeStep(result.step),
        ].join("\n"),
      );
    }
    case "incidents show": {
      const args = parse(rest, {}, 1);
      const incident = await connectServer(args.text("server"), env).incidents.get.query({
        incidentId: args.positionals[0] ?? "",
      });
      const text = [
        `Incident ${incident.id}: ${incident.title} [${incident.status}${incident.outcome === null ? "" : ` ${incident.outcome}`}]`,
        `Current verdict: ${incident.current.verdict ?? "?"}; recommended rung: ${incident.current.recommendation ?? "none"}`,
        ...incident.steps.map((step) => describeStep(step)),
      ].join("\n\n");
      return output(args.json, incident, text);
    }
    case "incidents list": {
      const args = parse(
        rest,
        {
          host: { type: "string" },
          instance: { type: "string" },
          status: { type: "string" },
          outcome: { type: "string" },
          text: { type: "string" },
          limit: { type: "string" },
          cursor: { type: "string" },
        },
        0,
      );
      const status = args.text("status");
      const outcome = args.text("outcome");
      const limit = args.text("limit");
      if (status !== undefined && status !== "OPEN" && status !== "CLOSED")
        throw new UsageError("--status is OPEN or CLOSED");
      if (
        outcome !== undefined &&
        !["RECOVERED", "ABORTED", "NEEDS_REBOOT", "ESCALATED", "FALSE_ALARM"].includes(outcome)
      ) {
        throw new UsageError(
          "--outcome is RECOVERED, ABORTED, NEEDS_REBOOT, ESCALATED or FALSE_ALARM",
        );
      }
      if (limit !== undefined && !/^\d{1,3}$/.test(limit))
        throw new UsageError("--limit is a number from 1 to 200");
      const page = await connectServer(args.text("server"), env).incidents.list.query({
        host: args.text("host"),
        instance: args.text("instance"),
        status,
        outcome: outcome as
          "RECOVERED" | "ABORTED" | "NEEDS_REBOOT" | "ESCALATED" | "FALSE_ALARM" | undefined,
        text: args.text("text"),
        cursor: args.text("cursor"),
        limit: limit === undefined ? 50 : Number(limit),
      });
      const lines = page.items.map(
        (item) =>
          `${item.id}  ${item.openedAt.toISOString()}  ${item.status}${item.outcome === null ? "" : `/${item.outcome}`}  ${item.title}`,
      );
      if (page.nextCursor !== null) lines.push(`more: --cursor ${page.nextCursor}`);
      return output(args.json, page, lines.join("\n") || "No incidents");
    }
    case "incidents close": {
      const args = parse(rest, { outcome: { type: "string" }, summary: { type: "string" } }, 1);
      const outcome = args.required("outcome");
      if (!["RECOVERED", "ABORTED", "NEEDS_REBOOT", "ESCALATED", "FALSE_ALARM"].includes(outcome)) {
        throw new UsageError(
          "--outcome is RECOVERED, ABORTED, NEEDS_REBOOT, ESCALATED or FALSE_ALARM",
        );
      }
      const closed = await connectServer(args.text("server"), env).incidents.close.mutate({
        incidentId: args.positionals[0] ?? "",
        outcome: outcome as "RECOVERED" | "ABORTED" | "NEEDS_REBOOT" | "ESCALATED" | "FALSE_ALARM",
        summary: args.required("summary"),
      });
      return output(args.json, closed, `Closed ${closed.id}: ${closed.outcome ?? ""}`);
    }
    case "incidents export": {
      const args = parse(rest, { format: { type: "string" }, output: { type: "string" } }, 1);
      const format = args.required("format");
      if (format !== "md" && format !== "json") throw new UsageError("--format is md or json");
      const exported = await connectServer(args.text("server"), env).incidents.export.query({
        incidentId: args.positionals[0] ?? "",
        format,
      });
      const file = args.text("output");
      if (file !== undefined) {
        await writeFile(file, exported.body, { mode: 0o600 });
        return output(args.json, { file, filename: exported.filename }, `Wrote ${file}`);
      }
      return { exitCode: EXIT.ok, stdout: exported.body };
    }
    case "steps propose": {
      const args = parse(rest, { rung: { type: "string" }, reason: { type: "string" } }, 1);
      const rung = args.text("rung");
      if (rung !== undefined && !/^[0-4]$/.test(rung))
        throw new UsageError("--rung is 0, 1, 2, 3 or 4");
      const step = await connectServer(args.text("server"), env).steps.propose.mutate({
        incidentId: args.positionals[0] ?? "",
        rung: rung === undefined ? undefined : Number(rung),
        reason: args.text("reason"),
      });
      return output(args.json, step, describeStep(step));
    }
    case "steps approve": {
      const args = parse(rest, { confirm: { type: "string" } }, 1);
      const step = await connectServer(args.text("server"), env).steps.approve.mutate({
        stepId: args.positionals[0] ?? "",
        confirm: args.text("confirm"),
      });
      return output(
        args.json,
        step,
        `Approved step ${step.id} (rung ${String(step.rung)}) until ${step.approvalExpiresAt?.toISOString() ?? "?"}: pgrescue steps run ${step.id}`,
      );
    }
    case "steps run": {
      const args = parse(rest, {}, 1);
      const outcome = await connectServer(args.text("server"), env).steps.run.mutate({
        stepId: args.positionals[0] ?? "",
      });
      const text = [
        `Step ${outcome.step.id} (rung ${String(outcome.step.rung)}): ${outcome.step.status}, exit code ${String(outcome.step.exitCode ?? "—")}`,
        ...(outcome.step.error === null ? [] : [`  ${outcome.step.error}`]),
        `Verdict now: ${outcome.verdict ?? "unknown (the re-diagnosis failed)"}`,
        outcome.nextStep === null
          ? "No further step is recommended."
          : `Next:\n${describeStep(outcome.nextStep)}`,
      ].join("\n");
      return output(
        args.json,
        outcome,
        text,
        outcome.step.status === "SUCCEEDED" ? EXIT.ok : EXIT.problem,
      );
    }
    case "steps skip": {
      const args = parse(rest, { reason: { type: "string" } }, 1);
      const step = await connectServer(args.text("server"), env).steps.skip.mutate({
        stepId: args.positionals[0] ?? "",
        reason: args.required("reason"),
      });
      return output(args.json, step, `Skipped step ${step.id}`);
    }
    default:
      throw new UsageError(`unknown command "pgrescue ${key.trim()}"\n\n${SERVER_USAGE}`);
  }
}
