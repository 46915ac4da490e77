// DataTable as React renders it (server markup, no browser): the accessible table, its rows and data attributes,
// row groups, the empty state and the framed look.
import { createElement, type ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DataTable, type TColumn } from "./data-table.tsx";

type TRow = { id: string; name: string; size: number };

const COLUMNS: TColumn<TRow>[] = [
  { header: "Name", cell: (row) => row.name, minWidth: "md" },
  { header: "Size", className: "font-mono", cell: (row) => `${String(row.size)} B` },
  { header: "Actions", hideHeader: true, cell: (row) => createElement("button", null, row.id) },
];

const ROWS: TRow[] = [
  { id: "a", name: "alpha", size: 1 },
  { id: "b", name: "beta", size: 22 },
];

function render(props: Partial<Parameters<typeof DataTable<TRow>>[0]> & { empty?: ReactNode }) {
  return renderToStaticMarkup(
    createElement(DataTable<TRow>, {
      caption: "Files",
      columns: COLUMNS,
      rowKey: (row) => row.id,
      empty: createElement("p", null, "Nothing here"),
      rows: ROWS,
      ...props,
    }),
  );
}

/** The text of every element of a tag, in order. */
function texts(html: string, tag: string): string[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b[^>]*>(.*?)</${tag}>`, "g"))].map((match) =>
    (match[1] ?? "").replace(/<[^>]+>/g, ""),
  );
}

describe("DataTable", () => {
  it("names the table and every column, a hidden header for screen readers only", () => {
    const html = render({});
    expect(texts(html, "caption")).toEqual(["Files"]);
    expect(html).toContain('<caption class="sr-only">');
    expect(html.match(/<th scope="col"/g)).toHaveLength(3);
    expect(texts(html, "th")).toEqual(["Name", "Size", "Actions"]);
    expect(html).toContain('<span class="sr-only">Actions</span>');
  });

  it("renders one row per record with its cells, classes and data attributes", () => {
    const html = render({
      rowProps: (row) => ({
        "data-testid": `file-${row.id}`,
        className: row.size > 9 ? "big" : "",
      }),
    });
    expect(texts(html, "td")).toEqual(["alpha", "1 B", "a", "beta", "22 B", "b"]);
    expect(html).toContain('data-testid="file-a"');
    expect(html).toMatch(/<tr data-testid="file-b" class="[^"]* big">/);
    expect(html).toMatch(/<td class="[^"]*font-mono[^"]*">1 B<\/td>/);
  });

  it("scrolls sideways inside itself, with min widths only on narrow screens", () => {
    const html = render({});
    expect(html).toMatch(/^<div class="overflow-x-auto/);
    expect(html).toMatch(/<th scope="col" class="[^"]*max-md:min-w-40[^"]*">Name<\/th>/);
  });

  it("shows the empty state instead of a table without rows", () => {
    expect(render({ rows: [] })).toBe("<p>Nothing here</p>");
    expect(render({ groups: [{ label: "Old", rows: [] }] })).toBe("<p>Nothing here</p>");
  });

  it("heads each group that has rows and leaves out the empty ones", () => {
    const html = render({
      groups: [
        { label: "Small", rows: ROWS.slice(0, 1) },
        { label: "None", rows: [] },
        { label: "Big", rows: ROWS.slice(1) },
      ],
    });
    expect(html.match(/<tbody>/g)).toHaveLength(2);
    expect(html).toContain('<th scope="rowgroup" colSpan="3"');
    expect(texts(html, "th").slice(3)).toEqual(["Small", "Big"]);
    expect(html).not.toContain("None");
  });

  it("frames a page's list and puts the footer inside the frame", () => {
    const html = render({ look: "framed", footer: createElement("p", null, "2 files shown") });
    expect(html).toMatch(/^<div class="overflow-x-auto rounded-lg border/);
    expect(html).toMatch(/<\/table><p>2 files shown<\/p><\/div>$/);
  });
});
