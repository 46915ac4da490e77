// The instance's processes as a tree: postmaster → children, zombies, D and T highlighted, orphans flagged.
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

function Rows({ nodes, caption }: { nodes: TProcessNode[]; caption: string }) {
  const rows = flattenTree(nodes);
  return (
    <tbody>
      <tr>
        <th
          scope="rowgroup"
          colSpan={5}
          className="bg-zinc-50 px-2 py-1 text-left text-xs font-semibold text-zinc-700 dark:bg-zinc-800/60 dark:text-zinc-300"
        >
          {caption}
        </th>
      </tr>
      {rows.map(({ node, depth }) => {
        const state = node.kind === "zombie" ? "Z" : node.member.state;
        const attention = stateAttention(state);
        return (
          <tr
            key={`${node.kind}-${String(pidOf(node))}`}
            data-testid={`process-${String(pidOf(node))}`}
            data-state={state}
            className={`border-t border-zinc-100 align-top dark:border-zinc-800 ${attention === null ? "" : ROW_TONE[attention]}`}
          >
            <td className="py-1 pr-3 pl-2 font-mono whitespace-nowrap">
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
            </td>
            <td className="py-1 pr-3">
              <StateBadge state={state} />
            </td>
            <td className="py-1 pr-3 break-words">
              {node.kind === "zombie" ? (
                <span>
                  <span className="font-mono">&lt;defunct&gt;</span> {node.zombie.comm}
                  <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                    already dead; disappears when its parent ({node.zombie.ppid}) reaps it
                  </span>
                </span>
              ) : (
                <span>
                  <span className="font-medium">{node.member.role}</span>
                  {node.member.title !== node.member.role ? (
                    <span className="block font-mono text-xs text-zinc-600 dark:text-zinc-400">
                      {node.member.title}
                    </span>
                  ) : null}
                </span>
              )}
            </td>
            <td className="py-1 pr-3 font-mono text-xs">
              {node.kind === "member" ? (node.member.wchan ?? "—") : "—"}
            </td>
            <td className="py-1 pr-2">
              <div className="flex flex-wrap gap-1">
                {node.kind === "member" && node.member.isPostmaster ? (
                  <Badge tone="info">postmaster</Badge>
                ) : null}
                {node.kind === "member" && node.member.orphan ? (
                  <Badge tone="bad" title="re-parented: its postmaster is gone">
                    orphan
                  </Badge>
                ) : null}
                {node.kind === "member" && node.member.attachedShm ? (
                  <Badge title="maps the instance's SysV shared memory segment">shm attached</Badge>
                ) : null}
                {attention === "uninterruptible" ? (
                  <Badge tone="warn" title="SIGKILL has no effect until the kernel call returns">
                    unkillable until the kernel call returns
                  </Badge>
                ) : null}
                {attention === "stopped" ? (
                  <Badge
                    tone="warn"
                    title="signals other than SIGKILL stay pending; SIGCONT resumes it"
                  >
                    SIGCONT resumes
                  </Badge>
                ) : null}
              </div>
            </td>
          </tr>
        );
      })}
    </tbody>
  );
}

export function ProcessTable({ snapshot }: { snapshot: TSnapshotView }) {
  const tree = buildProcessTree(snapshot.members, snapshot.zombies);
  const empty =
    tree.postmaster === null && tree.orphans.length === 0 && tree.strayZombies.length === 0;
  if (empty) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="no-processes">
        No process of this instance is running (none has the data directory as its working
        directory).
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="process-tree">
        <caption className="sr-only">Processes of the instance</caption>
        <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
          <tr>
            <th scope="col" className="py-1 pr-3 pl-2 font-medium">
              PID
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              State
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              Process
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              wchan
            </th>
            <th scope="col" className="py-1 pr-2 font-medium">
              Notes
            </th>
          </tr>
        </thead>
        {tree.postmaster === null ? null : (
          <Rows nodes={[tree.postmaster]} caption="Postmaster and its children" />
        )}
        {tree.orphans.length === 0 ? null : (
          <Rows
            nodes={tree.orphans}
            caption="Orphans: instance processes outside a live postmaster"
          />
        )}
        {tree.strayZombies.length === 0 ? null : (
          <Rows nodes={tree.strayZombies} caption="Zombies of other parents" />
        )}
      </table>
    </div>
  );
}
