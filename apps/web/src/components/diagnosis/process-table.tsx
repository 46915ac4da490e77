// The instance's processes as a tree: postmaster → children, zombies, D and T highlighted, orphans flagged.
import { DataTable, type TColumn } from "~/components/ui/data-table";
import { Badge } from "~/components/ui/feedback";
import {
  buildProcessTree,
  flattenTree,
  pidOf,
  stateAttention,
  stateLabel,
  type TProcessNode,
} from "~/lib/process-tree";
import type { TSnapshotView } from "~/lib/types";

const ROW_TONE = {
  zombie: "bg-red-50 dark:bg-red-950/40",
  uninterruptible: "bg-amber-50 dark:bg-amber-950/40",
  stopped: "bg-amber-50 dark:bg-amber-950/40",
} as const;

function StateBadge({ state }: { state: string }) {
  const attention = stateAttention(state);
  const tone = attention === "zombie" ? "bad" : attention === null ? "neutral" : "warn";
  return (
    <Badge tone={tone} title={stateLabel(state)}>
      {state} <span className="ml-1 font-normal">{stateLabel(state).replace(/ \(.\)$/, "")}</span>
    </Badge>
  );
}

type TRow = ReturnType<typeof flattenTree>[number];

function stateOf({ node }: TRow): string {
  return node.kind === "zombie" ? "Z" : node.member.state;
}

function renderProcess({ node }: TRow) {
  if (node.kind === "zombie") {
    return (
      <span>
        <span className="font-mono">&lt;defunct&gt;</span> {node.zombie.comm}
        <span className="block text-xs text-zinc-600 dark:text-zinc-400">
          already dead; disappears when its parent ({node.zombie.ppid}) reaps it
        </span>
      </span>
    );
  }
  return (
    <span>
      <span className="font-medium">{node.member.role}</span>
      {node.member.title !== node.member.role ? (
        <span className="block font-mono text-xs text-zinc-600 dark:text-zinc-400">
          {node.member.title}
        </span>
      ) : null}
    </span>
  );
}

function renderNotes(row: TRow) {
  const member = row.node.kind === "member" ? row.node.member : null;
  const attention = stateAttention(stateOf(row));
  return (
    <div className="flex flex-wrap gap-1">
      {member?.isPostmaster === true ? <Badge tone="info">postmaster</Badge> : null}
      {member?.orphan === true ? (
        <Badge tone="bad" title="re-parented: its postmaster is gone">
          orphan
        </Badge>
      ) : null}
      {member?.attachedShm === true ? (
        <Badge title="maps the instance's SysV shared memory segment">shm attached</Badge>
      ) : null}
      {attention === "uninterruptible" ? (
        <Badge tone="warn" title="SIGKILL has no effect until the kernel call returns">
          unkillable until the kernel call returns
        </Badge>
      ) : null}
      {attention === "stopped" ? (
        <Badge tone="warn" title="signals other than SIGKILL stay pending; SIGCONT resumes it">
          SIGCONT resumes
        </Badge>
      ) : null}
    </div>
  );
}

const COLUMNS: TColumn<TRow>[] = [
  {
    header: "PID",
    className: "font-mono whitespace-nowrap",
    cell: ({ node, depth }) => (
      <>
        <span
          aria-hidden="true"
          className="text-zinc-600 dark:text-zinc-400"
          style={{ paddingLeft: `${String(depth * 1.25)}rem` }}
        >
          {depth > 0 ? "└ " : ""}
        </span>
        {pidOf(node)}
        {depth > 0 ? (
          <span className="sr-only">
            , child of {node.kind === "zombie" ? node.zombie.ppid : node.member.ppid}
          </span>
        ) : null}
      </>
    ),
  },
  { header: "State", cell: (row) => <StateBadge state={stateOf(row)} /> },
  { header: "Process", className: "break-words", minWidth: "lg", cell: renderProcess },
  {
    header: "wchan",
    className: "font-mono text-xs",
    cell: ({ node }) => (node.kind === "member" ? (node.member.wchan ?? "—") : "—"),
  },
  { header: "Notes", minWidth: "md", cell: renderNotes },
];

export function ProcessTable({ snapshot }: { snapshot: TSnapshotView }) {
  const tree = buildProcessTree(snapshot.members, snapshot.zombies);
  const group = (label: string, nodes: TProcessNode[]) => ({ label, rows: flattenTree(nodes) });
  return (
    <DataTable
      caption="Processes of the instance"
      testId="process-tree"
      columns={COLUMNS}
      padding="py-1 pr-3 first:pl-2 last:pr-2"
      groups={[
        group("Postmaster and its children", tree.postmaster === null ? [] : [tree.postmaster]),
        group("Orphans: instance processes outside a live postmaster", tree.orphans),
        group("Zombies of other parents", tree.strayZombies),
      ]}
      rowKey={({ node }) => `${node.kind}-${String(pidOf(node))}`}
      rowProps={(row) => {
        const state = stateOf(row);
        const attention = stateAttention(state);
        return {
          "data-testid": `process-${String(pidOf(row.node))}`,
          "data-state": state,
          className: attention === null ? "" : ROW_TONE[attention],
        };
      }}
      empty={
        <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="no-processes">
          No process of this instance is running (none has the data directory as its working
          directory).
        </p>
      }
    />
  );
}
