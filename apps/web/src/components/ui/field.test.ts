// The labelled-field row as React renders it (server markup, no browser): label, hint and errors tied to the control
// by ids, and what the text, password, e-mail and select fields add.
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { EmailField, Field, PasswordField, SelectField, TextField } from "./field.tsx";

/** The value of an attribute on the first element of a tag. */
function attribute(html: string, tag: string, name: string): string | undefined {
  const element = new RegExp(`<${tag}\\b[^>]*>`).exec(html)?.[0] ?? "";
  return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
}

/** The id of the paragraph that says `text`. */
function paragraphId(html: string, text: string): string | undefined {
  return new RegExp(`<p id="([^"]+)"[^>]*>${text}</p>`).exec(html)?.[1];
}

describe("Field rows", () => {
  it("label the control, and describe it by its hint", () => {
    const html = renderToStaticMarkup(
      createElement(TextField, { label: "SSH target", name: "ssh-target", hint: "user@host" }),
    );
    const id = attribute(html, "input", "id");
    expect(id).toBeDefined();
    expect(attribute(html, "label", "for")).toBe(id);
    expect(attribute(html, "input", "aria-describedby")).toBe(paragraphId(html, "user@host"));
    expect(attribute(html, "input", "aria-invalid")).toBeUndefined();
    expect(attribute(html, "input", "name")).toBe("ssh-target");
  });

  it("mark the control invalid and describe it by its hint and its errors", () => {
    const html = renderToStaticMarkup(
      createElement(TextField, {
        label: "Name",
        hint: "1–63 letters",
        errors: ["too long", "taken"],
      }),
    );
    const hint = paragraphId(html, "1–63 letters");
    const errors = paragraphId(html, "too long; taken");
    expect(attribute(html, "input", "aria-describedby")).toBe(`${String(hint)} ${String(errors)}`);
    expect(attribute(html, "input", "aria-invalid")).toBe("true");
  });

  it("keep the label for screen readers only when asked", () => {
    const html = renderToStaticMarkup(
      createElement(Field, {
        label: "Role of ana@example.com",
        hideLabel: true,
        children: (control) => createElement("select", control),
      }),
    );
    expect(attribute(html, "label", "class")).toBe("sr-only");
    expect(attribute(html, "label", "for")).toBe(attribute(html, "select", "id"));
  });

  it("show machine text verbatim: monospace, not spell-checked", () => {
    const html = renderToStaticMarkup(
      createElement(TextField, { label: "PGDATA", verbatim: true }),
    );
    expect(attribute(html, "input", "spellCheck")).toBe("false");
    expect(attribute(html, "input", "class")).toMatch(/\bfont-mono\b/);
    const plain = renderToStaticMarkup(createElement(TextField, { label: "Title" }));
    expect(attribute(plain, "input", "spellCheck")).toBeUndefined();
    expect(attribute(plain, "input", "class")).not.toMatch(/\bfont-mono\b/);
  });

  it("make account passwords and e-mails required, of their type", () => {
    const password = renderToStaticMarkup(
      createElement(PasswordField, { label: "Password", autoComplete: "current-password" }),
    );
    expect(attribute(password, "input", "type")).toBe("password");
    expect(attribute(password, "input", "required")).toBe("");
    expect(attribute(password, "input", "autoComplete")).toBe("current-password");
    const email = renderToStaticMarkup(createElement(EmailField, { name: "email" }));
    expect(email).toContain(">E-mail</label>");
    expect(attribute(email, "input", "type")).toBe("email");
    expect(attribute(email, "input", "required")).toBe("");
  });

  it("list a select's options, a bare string being its own label", () => {
    const html = renderToStaticMarkup(
      createElement(SelectField, {
        label: "Outcome",
        defaultValue: "db2",
        options: [{ value: "", label: "any host" }, "db1", "db2"],
      }),
    );
    expect(
      [...html.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)</g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ["", "any host"],
      ["db1", "db1"],
      ["db2", "db2"],
    ]);
    expect(html).toContain('<option value="db2" selected="">db2</option>');
  });
});
