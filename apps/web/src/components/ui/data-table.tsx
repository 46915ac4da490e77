// One table for every list of records: columns as data, a key per row, an empty state, optional row groups, and a
// frame that scrolls sideways inside itself (min column widths keep a narrow screen from crushing the text).
import type { ReactNode } from "react";

export type TColumn<T> = {
  /** The header; also the column's name for screen readers when `hideHeader` keeps it out of sight. */
  header: string;
  hideHeader?: boolean;
  cell: (row: T) => ReactNode;
  /** Classes of this column's body cells: alignment, wrapping, font. */
  className?: string;
  /** How wide the column stays on a narrow screen, where the table scrolls sideways rather than crush it. */
  minWidth?: keyof typeof MIN_WIDTH;
};

// Only below the md breakpoint: on wider screens the columns take the widths their content asks for.
const MIN_WIDTH = { sm: "max-md:min-w-24", md: "max-md:min-w-40", lg: "max-md:min-w-56" } as const;

/** A row's own classes (a tone) and data attributes (`data-testid`, `data-state`, …). */
export type TRowProps = { className?: string } & Record<`data-${string}`, string>;

export type TRowGroup<T> = { label: string; rows: readonly T[] };

type TLook = "plain" | "framed";

const LOOK: Record<TLook, { frame: string; head: string; padding: string }> = {
  // Inside a section or card: no frame of its own. The wrapper reaches 4px past the table on both sides, so that the
  // focus ring of a button in the first or last column is not cut off where the table scrolls.
  plain: { frame: "-mx-1 px-1", head: "", padding: "py-1 pr-3 last:pr-0" },
  // A page's main list: framed, with room around every cell.
  framed: {
    frame: "rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900",
    head: "border-b border-zinc-200 dark:border-zinc-800",
    padding: "px-3 py-2",
  },
};

export type TDataTableProps<T> = {
  /** Read by screen readers as the table's name. */
  caption: string;
  columns: readonly TColumn<T>[];
  rowKey: (row: T) => string;
  rowProps?: (row: T) => TRowProps;
  /** Shown instead of the table when there is no row at all. */
  empty: ReactNode;
  look?: TLook;
  /** Padding of every cell (the look's by default), and of body cells when they differ from the header's. */
  padding?: string;
  bodyPadding?: string;
  testId?: string;
  /** Inside the frame, under the table (a "Load more" row). */
  footer?: ReactNode;
};

export function DataTable<T>({
  caption,
  columns,
  rowKey,
  rowProps,
  empty,
  look = "plain",
  padding,
  bodyPadding,
  testId,
  footer,
  ...content
}: TDataTableProps<T> & ({ rows: readonly T[] } | { groups: readonly TRowGroup<T>[] })) {
  const groups = (
    "groups" in content ? content.groups : [{ label: "", rows: content.rows }]
  ).filter((group) => group.rows.length > 0);
  if (groups.length === 0) return <>{empty}</>;
  const style = LOOK[look];
  const headPadding = padding ?? style.padding;
  const cellPadding = bodyPadding ?? headPadding;
  return (
    <div className={`overflow-x-auto ${style.frame}`}>
      <table className="w-full text-left text-sm" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className={`text-xs text-zinc-600 uppercase dark:text-zinc-400 ${style.head}`}>
          <tr>
            {columns.map((column) => (
              <th
                key={column.header}
                scope="col"
                className={`${headPadding} font-medium ${column.minWidth === undefined ? "" : MIN_WIDTH[column.minWidth]}`}
              >
                {column.hideHeader === true ? (
                  <span className="sr-only">{column.header}</span>
                ) : (
                  column.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        {groups.map((group) => (
          <tbody key={group.label}>
            {group.label === "" ? null : (
              <tr>
                <th
                  scope="rowgroup"
                  colSpan={columns.length}
                  className="bg-zinc-50 px-2 py-1 text-left text-xs font-semibold text-zinc-700 dark:bg-zinc-800/60 dark:text-zinc-300"
                >
                  {group.label}
                </th>
              </tr>
            )}
            {group.rows.map((row) => {
              const { className = "", ...data } = rowProps?.(row) ?? {};
              return (
                <tr
                  key={rowKey(row)}
                  {...data}
                  className={`border-t border-zinc-100 align-top dark:border-zinc-800 ${className}`}
                >
                  {columns.map((column) => (
                    <td key={column.header} className={`${cellPadding} ${column.className ?? ""}`}>
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
      {footer}
    </div>
  );
}
