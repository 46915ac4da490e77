// The instance's processes as a DBA reads them: postmaster → children (zombies among them), then orphans
// (re-parented after the postmaster died) and anything else the probe counted as a member.

export type TTreeMember = {
  pid: number;
  ppid: number;
  state: string;
  wchan: string | null;
  role: string;
  title: string;
  isPostmaster: boolean;
  orphan: boolean;
  attachedShm: boolean;
  because: string[];
};

export type TTreeZombie = { pid: number; ppid: number; comm: string; parentIsPostmaster: boolean };

export type TProcessNode =
  | { kind: "member"; member: TTreeMember; children: TProcessNode[] }
  | { kind: "zombie"; zombie: TTreeZombie; children: [] };

export type TProcessTree = {
  /** The postmaster with its descendants; null when no live postmaster was found. */
  postmaster: TProcessNode | null;
  /** Members not under the postmaster: orphans and their children. */
  orphans: TProcessNode[];
  /** Zombies whose parent is not among the members (e.g. re-parented to init, not yet reaped). */
  strayZombies: TProcessNode[];
};

/** Process states a DBA must notice: Z zombie, D uninterruptible, T/t stopped or traced. */
export function stateAttention(state: string): "zombie" | "uninterruptible" | "stopped" | null {
  if (state === "Z") return "zombie";
  if (state === "D") return "uninterruptible";
  if (state === "T" || state === "t") return "stopped";
  return null;
}

export function stateLabel(state: string): string {
  const labels: Record<string, string> = {
    R: "running",
    S: "sleeping",
    D: "uninterruptible (D)",
    T: "stopped (T)",
    t: "traced (t)",
    Z: "zombie (Z)",
    I: "idle",
    X: "dead",
    absent: "absent",
  };
  return labels[state] ?? state;
}

export function buildProcessTree(
  members: readonly TTreeMember[],
  zombies: readonly TTreeZombie[],
): TProcessTree {
  const nodes = new Map<number, TProcessNode & { kind: "member" }>();
  for (const member of members) nodes.set(member.pid, { kind: "member", member, children: [] });
  const strayZombies: TProcessNode[] = [];
  for (const zombie of zombies) {
    const parent = nodes.get(zombie.ppid);
    const node: TProcessNode = { kind: "zombie", zombie, children: [] };
    if (parent === undefined) strayZombies.push(node);
    else parent.children.push(node);
  }
  const postmasterMember = members.find((member) => member.isPostmaster);
  const postmaster =
    postmasterMember === undefined ? null : (nodes.get(postmasterMember.pid) ?? null);
  const roots: TProcessNode[] = [];
  for (const member of [...members].sort((a, b) => a.pid - b.pid)) {
    const node = nodes.get(member.pid);
    if (node === undefined || member.isPostmaster) continue;
    const parent = nodes.get(member.ppid);
    if (parent !== undefined && parent !== node) {
      parent.children.push(node);
    } else {
      roots.push(node);
    }
  }
  const byPid = (a: TProcessNode, b: TProcessNode) => pidOf(a) - pidOf(b);
  for (const node of nodes.values()) node.children.sort(byPid);
  return { postmaster, orphans: roots, strayZombies };
}

export function pidOf(node: TProcessNode): number {
  return node.kind === "member" ? node.member.pid : node.zombie.pid;
}

/** Every node of a tree in display order with its depth (for a flat, keyboard-friendly list). */
export function flattenTree(
  roots: readonly TProcessNode[],
  depth = 0,
): { node: TProcessNode; depth: number }[] {
  return roots.flatMap((node) => [{ node, depth }, ...flattenTree(node.children, depth + 1)]);
}
