// Incident exports: a Markdown report to paste into a postmortem, and the complete JSON record.
import type { TDb } from "@pgrescue/db";
import { getIncident, type TIncidentDetail } from "./incidents.ts";

function iso(value: Date | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toISOString().replace(".000Z", "Z");
}

function seconds(from: Date | null, to: Date | null): string {
  if (from === null || to === null) return "—";
  return `${((to.getTime() - from.getTime()) / 1000).toFixed(1)} s`;
}

/** A fenced block whose fence is longer than any backtick run inside, so output can never close it early. */
function fence(text: string, info = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${info}\n${text.replace(/\n$/, "")}\n${ticks}`;
}

const ESC = String.fromCharCode(0x1b);
const ANSI_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]`, "g");
const CONTROL_CHARS = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`,
  "g",
);

/** Strips terminal control sequences and other control characters (tab and newline stay) from remote output. */
export function sanitizeOutput(text: string): string {
  return text.replace(ANSI_SEQUENCE, "").replace(CONTROL_CHARS, "");
}

/**
 * One line of a table or list: pipes escaped, line breaks flattened, and `&` `<` `>` as entities so that text
 * from a host or a person (a cwd, a message, an audit detail, a typed confirmation) can never become HTML or a
 * heading in a Markdown viewer.
 */
export function cell(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("|", "\\|")
    .replace(/\r\n|\r|\n/g, " ");
}

export function formatIncidentMarkdown(incident: TIncidentDetail): string {
  const lines: string[] = [];
  const where = `${incident.instance.host.name}:${incident.instance.name} (${incident.instance.dataDir})`;
  lines.push(`# Incident ${incident.id}: ${incident.title}`, "");
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Instance | ${cell(where)} |`);
  lines.push(
    `| Status | ${incident.status}${incident.outcome === null ? "" : ` — ${incident.outcome}`} |`,
  );
  lines.push(`| Opened | ${iso(incident.openedAt)} by ${incident.openedBy?.email ?? "—"} |`);
  lines.push(
    `| Closed | ${iso(incident.closedAt)}${incident.closedBy === null ? "" : ` by ${incident.closedBy.email}`} |`,
  );
  lines.push(`| Duration | ${seconds(incident.openedAt, incident.closedAt)} |`);
  // What people wrote is quoted verbatim in a fence it cannot close: it can never pass for a section of the report.
  if (incident.summary !== null) lines.push("", "## Summary", "", fence(incident.summary));

  lines.push("", "## Diagnoses", "");
  lines.push(
    "| Taken (UTC) | By | Verdict | Recommended rung | Time | SSH execs |",
    "|---|---|---|---|---|---|",
  );
  for (const snapshot of incident.snapshots) {
    lines.push(
      `| ${iso(snapshot.takenAt)} | ${snapshot.takenBy?.email ?? "—"} | ${snapshot.verdict} | ${snapshot.recommendedRung ?? "none"} | ${String(snapshot.durationMs)} ms | ${String(snapshot.sshExecs)} |`,
    );
  }
  const first = incident.snapshots[0];
  if (first !== undefined) {
    lines.push("", "Evidence at opening:", "");
    for (const item of first.evidence) lines.push(`- ${cell(item)}`);
  }

  lines.push("", "## Steps");
  for (const step of incident.steps) {
    lines.push(
      "",
      `### ${String(step.seq)}. Rung ${String(step.rung)} — ${step.title} — ${step.status}`,
      "",
    );
    lines.push(`- Requested by ${cell(step.requestedBy?.email ?? "—")} at ${iso(step.createdAt)}`);
    if (step.choiceReason !== null)
      lines.push("- Operator's reason:", "", fence(step.choiceReason), "");
    if (step.skipReason !== null) lines.push("- Skipped because:", "", fence(step.skipReason), "");
    if (step.approvedBy !== null) {
      lines.push(
        `- Approved by ${cell(step.approvedBy.email)} at ${iso(step.approvedAt)} (valid until ${iso(step.approvalExpiresAt)})${step.confirmation === null ? "" : `, confirmed by typing "${cell(sanitizeOutput(step.confirmation))}"`}`,
      );
    }
    lines.push(
      `- Planned from diagnosis ${step.plannedFromId} (material hash ${step.materialHash.slice(0, 12)}…), command hash ${step.commandHash.slice(0, 12)}…`,
    );
    if (step.startedAt !== null)
      lines.push(
        `- Ran ${iso(step.startedAt)} → ${iso(step.finishedAt)} (${seconds(step.startedAt, step.finishedAt)}), exit code ${String(step.exitCode ?? "—")}`,
      );
    if (step.error !== null)
      lines.push(`- ${step.status === "REFUSED" ? "Refused" : "Problem"}: ${cell(step.error)}`);
    lines.push("", `Why: ${step.why}`);
    if (step.destroys.length > 0) lines.push("", `Destroys: ${step.destroys.join("; ")}`);
    if (step.blockedReason !== null) lines.push("", `Warning: ${step.blockedReason}`);
    if (step.displayCommands.length > 0)
      lines.push("", "Commands:", "", fence(step.displayCommands.join("\n"), "sh"));
    if (step.output.length > 0) {
      lines.push(
        "",
        "Output:",
        "",
        fence(sanitizeOutput(step.output.map((chunk) => chunk.data).join(""))),
      );
    }
  }

  lines.push("", "## Audit trail", "", "| At (UTC) | Who | What | Details |", "|---|---|---|---|");
  for (const event of incident.auditEvents) {
    lines.push(
      `| ${iso(event.at)} | ${cell(event.actorLabel)} | ${event.action} | ${cell(JSON.stringify(event.details))} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function exportIncident(
  db: TDb,
  incidentId: string,
  format: "md" | "json",
): Promise<{ filename: string; contentType: string; body: string }> {
  const incident = await getIncident(db, incidentId);
  if (format === "md") {
    return {
      filename: `incident-${incident.id}.md`,
      contentType: "text/markdown; charset=utf-8",
      body: formatIncidentMarkdown(incident),
    };
  }
  const snapshots = await db.snapshot.findMany({
    where: { incidentId },
    orderBy: { takenAt: "asc" },
    select: {
      id: true,
      takenAt: true,
      verdict: true,
      parsed: true,
      rawStdout: true,
      rawStderr: true,
      timings: true,
      sshExecs: true,
      materialHash: true,
    },
  });
  return {
    filename: `incident-${incident.id}.json`,
    contentType: "application/json",
    body: `${JSON.stringify({ exportVersion: 2, exportedAt: new Date().toISOString(), incident, snapshots }, null, 2)}\n`,
  };
}
