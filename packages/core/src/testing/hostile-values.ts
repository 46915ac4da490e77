// Hostile input for tests: payloads that would create a canary file if any shell ever evaluated them, plus quotes,
// line breaks, NUL, control and invisible characters, other scripts, huge values, option injection, path traversal,
// blanks, ill-formed Unicode, non-UTF-8 bytes and type-confused values. Each string payload says what it contains
// (its traits), so a test states per field which kinds it must refuse and which it must keep verbatim. Also the
// remote output no parser may choke on (buildHostileTexts), shared by core's tests and `pnpm bench parsers`.

export const HOSTILE_TRAITS = [
  /** `;` `|` `&` `$` backtick `>` `<` `(` `)` `*`: meaningful to a shell when not quoted. */
  "shell-syntax",
  /** `'` `"` `\`: breaks out of naive quoting. */
  "quote",
  /** LF or CR. */
  "line-break",
  /** U+0000: no shell argument and no PostgreSQL text value can carry it. */
  "nul",
  /** C0 controls other than tab/LF/CR, DEL, C1 controls, terminal escape sequences. */
  "control",
  "tab",
  "space",
  /** U+202A–U+202E, U+2066–U+2069: text that displays in another order than it reads. */
  "bidi-control",
  /** Zero-width characters and the byte-order mark. */
  "invisible",
  /** Letters outside ASCII (here: Cyrillic look-alikes of Latin letters). */
  "other-script",
  /** Non-ASCII that is not a letter or digit: emoji, full-width punctuation, combining marks, line separator. */
  "symbol",
  /** At least 1 MiB. */
  "huge",
  /** Starts with `-`: an option to whatever program receives it as an argument. */
  "leading-dash",
  /** A `.` or `..` path segment. */
  "dot-segment",
  "double-slash",
  /** Does not start with `/` although the legitimate value does (option injection, `~user`, `../`). */
  "relative",
  /** Empty or only whitespace. */
  "blank",
  /** Leading or trailing whitespace around a legitimate value. */
  "padded",
  /** A lone UTF-16 surrogate: what undecodable input looks like once it is a JavaScript string. */
  "lone-surrogate",
  /** Markdown or HTML that would forge a heading or run a script where text is rendered unescaped. */
  "markup",
  /** `%` and `_`: wildcards of SQL LIKE, which a literal search must match as themselves. */
  "sql-wildcard",
] as const;

export type THostileTrait = (typeof HOSTILE_TRAITS)[number];

export type THostileValue = {
  /** Stable name, e.g. `shell-semicolon`: test titles and the case table use it. */
  id: string;
  value: string;
  /** What the value contains, assuming the base it was built on is a legitimate value of its field. */
  traits: readonly THostileTrait[];
  /** A shell that evaluated the value (unquoted, or with broken quoting) would create the canary file. */
  createsCanary: boolean;
};

type TPayload = {
  id: string;
  traits: readonly THostileTrait[];
  createsCanary: boolean;
  build: (base: string, canary: string) => string;
};

const MIB = 1024 * 1024;

/** The path payloads try to create; the token makes it unique per test run. */
export function canaryPathFor(token: string): string {
  if (!/^[a-z0-9]{6,32}$/.test(token))
    throw new Error(`canary token ${token} is not 6–32 [a-z0-9]`);
  return `/tmp/pgrescue-canary-${token}`;
}

const HOMOGLYPHS: Record<string, string> = {
  a: "\u0430",
  c: "\u0441",
  e: "\u0435",
  o: "\u043e",
  p: "\u0440",
  x: "\u0445",
  y: "\u0443",
};

/** Latin letters swapped for Cyrillic look-alikes: `main` → `mаin`, which reads the same and is not the same. */
export function toHomoglyphs(text: string): string {
  const swapped = text.replace(/[aceopxy]/g, (letter) => HOMOGLYPHS[letter] ?? letter);
  return swapped === text ? `${text}\u0430` : swapped;
}

function repeatTo(unit: string, bytes: number): string {
  return unit.repeat(Math.ceil(bytes / unit.length));
}

const PAYLOADS: readonly TPayload[] = [
  // Shell metacharacters: each would run `touch CANARY` (or redirect into it) if evaluated unquoted.
  {
    id: "shell-semicolon",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}; touch ${c}`,
  },
  {
    id: "shell-and",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} && touch ${c}`,
  },
  {
    id: "shell-or",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} || touch ${c}`,
  },
  {
    id: "shell-pipe",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} | touch ${c}`,
  },
  {
    id: "shell-background",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} & touch ${c} &`,
  },
  {
    id: "shell-command-substitution",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}$(touch ${c})`,
  },
  {
    id: "shell-backticks",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\`touch ${c}\``,
  },
  {
    id: "shell-redirect",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} > ${c}`,
  },
  {
    id: "shell-append",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} >> ${c}`,
  },
  {
    id: "shell-process-substitution",
    traits: ["shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b} <(touch ${c})`,
  },
  {
    id: "shell-ifs",
    traits: ["shell-syntax"],
    createsCanary: true,
    build: (b, c) => `${b};touch\${IFS}${c}`,
  },
  {
    id: "shell-glob",
    traits: ["shell-syntax"],
    createsCanary: false,
    build: (b) => `${b}*`,
  },
  {
    id: "shell-variable",
    traits: ["shell-syntax"],
    createsCanary: false,
    build: (b) => `${b}$HOME`,
  },
  // Word splitting only: letters, '/', '-' and spaces, which path validators accept. Run unquoted in command
  // position (`$PGBIN/pg_ctl …`), `env` would run `touch CANARY`.
  {
    id: "word-split-env",
    traits: ["space"],
    createsCanary: true,
    build: (b, c) => (b === "" ? `/usr/bin/env touch ${c}` : `/usr/bin/env touch ${c} ${b}`),
  },
  // Quotes that end a naive quoting early.
  {
    id: "quote-single",
    traits: ["quote", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}' ; touch ${c} ; '`,
  },
  {
    id: "quote-double",
    traits: ["quote", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}" ; touch ${c} ; "`,
  },
  {
    id: "quote-mixed",
    traits: ["quote", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}'"$(touch ${c})"'`,
  },
  {
    id: "quote-escaped",
    traits: ["quote", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\\'; touch ${c}; #`,
  },
  // Line breaks: a second command on its own line.
  {
    id: "line-break-lf",
    traits: ["line-break", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\ntouch ${c}`,
  },
  {
    id: "line-break-crlf",
    traits: ["line-break", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\r\ntouch ${c}`,
  },
  {
    id: "line-break-cr",
    traits: ["line-break", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\rtouch ${c}`,
  },
  {
    id: "nul-then-command",
    traits: ["nul", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\u0000; touch ${c}`,
  },
  { id: "nul-trailing", traits: ["nul"], createsCanary: false, build: (b) => `${b}\u0000` },
  {
    id: "tab-separated",
    traits: ["tab", "space"],
    createsCanary: true,
    build: (b, c) => `${b}\ttouch ${c}`,
  },
  {
    id: "control-ansi-escape",
    traits: ["control", "space"],
    createsCanary: false,
    build: (b) => `${b}\u001b[2J\u001b[31m OK`,
  },
  {
    id: "control-backspace-del",
    traits: ["control"],
    createsCanary: false,
    build: (b) => `${b}\b\b\u007f`,
  },
  {
    id: "control-c1",
    traits: ["control"],
    createsCanary: false,
    build: (b) => `${b}\u0085\u009b31m`,
  },
  // Unicode that reads differently from what it is.
  {
    id: "unicode-rtl-override",
    traits: ["bidi-control"],
    createsCanary: false,
    build: (b) => `\u202e${b}`,
  },
  {
    id: "unicode-bidi-isolate",
    traits: ["bidi-control"],
    createsCanary: false,
    build: (b) => `${b}\u2066x\u2069`,
  },
  {
    id: "unicode-zero-width",
    traits: ["invisible"],
    createsCanary: false,
    build: (b) => `${b}\u200b`,
  },
  { id: "unicode-bom", traits: ["invisible"], createsCanary: false, build: (b) => `\ufeff${b}` },
  {
    id: "unicode-homoglyph",
    traits: ["other-script"],
    createsCanary: false,
    build: (b) => toHomoglyphs(b),
  },
  { id: "unicode-emoji", traits: ["symbol"], createsCanary: false, build: (b) => `${b}🔥` },
  {
    id: "unicode-fullwidth-semicolon",
    traits: ["symbol", "space"],
    createsCanary: false,
    build: (b, c) => `${b}\uff1b touch ${c}`,
  },
  {
    id: "unicode-combining-mark",
    traits: ["symbol"],
    createsCanary: false,
    build: (b) => `${b}\u0301`,
  },
  {
    id: "unicode-line-separator",
    traits: ["symbol", "space"],
    createsCanary: false,
    build: (b, c) => `${b}\u2028touch ${c}`,
  },
  // Markup and SQL wildcards: text where it is legitimate, but never structure of a report or a query.
  {
    id: "markup-heading",
    traits: ["markup", "line-break", "space"],
    createsCanary: false,
    build: (b) => `${b}\n## Steps\n### 9. Rung 3 — forged — SUCCEEDED`,
  },
  {
    id: "markup-html",
    traits: ["markup", "shell-syntax", "quote", "space"],
    createsCanary: false,
    build: (b) => `${b}<img src=x onerror="alert(1)">`,
  },
  {
    id: "sql-like-wildcards",
    traits: ["sql-wildcard"],
    createsCanary: false,
    build: (b) => `${b}%_`,
  },
  // Huge values.
  {
    id: "huge-1mib",
    traits: ["huge"],
    createsCanary: false,
    build: (b) => `${b}${"A".repeat(MIB)}`,
  },
  {
    id: "huge-repeated-command",
    traits: ["huge", "shell-syntax", "space"],
    createsCanary: true,
    build: (b, c) => `${b}${repeatTo(`; touch ${c}`, MIB)}`,
  },
  // Option injection: the value replaces the legitimate one.
  {
    id: "option-proxy-command",
    traits: ["leading-dash", "relative", "space"],
    createsCanary: true,
    build: (_b, c) => `-oProxyCommand=touch ${c}`,
  },
  {
    id: "option-double-dash",
    traits: ["leading-dash", "relative"],
    createsCanary: false,
    build: () => "--help",
  },
  {
    id: "option-dash-prefix",
    traits: ["leading-dash", "relative"],
    createsCanary: false,
    build: (b) => `-${b}`,
  },
  {
    id: "option-dash-segment",
    traits: ["leading-dash"],
    createsCanary: false,
    build: (b) => `${b}/-rf`,
  },
  // Path traversal.
  {
    id: "traversal-dotdot",
    traits: ["dot-segment"],
    createsCanary: false,
    build: (b) => `${b}/../../../../etc/shadow`,
  },
  {
    id: "traversal-relative",
    traits: ["dot-segment", "relative"],
    createsCanary: false,
    build: () => "../../../../etc/shadow",
  },
  {
    id: "traversal-double-slash",
    traits: ["double-slash"],
    createsCanary: false,
    build: (b) => `//${b.replace(/^\/+/, "")}//x`,
  },
  {
    id: "traversal-dot",
    traits: ["dot-segment"],
    createsCanary: false,
    build: (b) => `${b}/./.`,
  },
  {
    id: "traversal-tilde",
    traits: ["relative"],
    createsCanary: false,
    build: () => "~root/.ssh/authorized_keys",
  },
  // Blanks.
  { id: "blank-empty", traits: ["blank", "relative"], createsCanary: false, build: () => "" },
  {
    id: "blank-space",
    traits: ["blank", "space", "relative"],
    createsCanary: false,
    build: () => " ",
  },
  {
    id: "blank-whitespace",
    traits: ["blank", "space", "tab", "line-break", "relative"],
    createsCanary: false,
    build: () => " \t\n ",
  },
  {
    id: "blank-padded",
    traits: ["padded", "space", "relative"],
    createsCanary: false,
    build: (b) => `  ${b === "" ? "x" : b}  `,
  },
  // Ill-formed Unicode and what undecodable bytes become.
  {
    id: "non-utf8-lone-high-surrogate",
    traits: ["lone-surrogate"],
    createsCanary: false,
    build: (b) => `${b}\ud800`,
  },
  {
    id: "non-utf8-lone-low-surrogate",
    traits: ["lone-surrogate", "relative"],
    createsCanary: false,
    build: (b) => `\udc00${b}`,
  },
  {
    id: "non-utf8-replacement-character",
    traits: ["symbol"],
    createsCanary: false,
    build: (b) => `${b}\ufffd\ufffd`,
  },
  {
    id: "non-utf8-latin1-mojibake",
    traits: ["other-script", "symbol"],
    createsCanary: false,
    build: (b) => `${b}Ã©Ã¿`,
  },
];

/**
 * Every hostile payload built on `base`, a legitimate value of the field under test (so validators must refuse
 * the payload, not the base): `""` for fields without a natural base.
 */
export function buildHostileValues(base: string, canaryPath: string): THostileValue[] {
  return PAYLOADS.map((payload) => ({
    id: payload.id,
    value: payload.build(base, canaryPath),
    traits: payload.traits,
    createsCanary: payload.createsCanary,
  }));
}

/**
 * What a data directory, bin dir or log file may contain besides ASCII letters, digits and `/._-` (core's
 * validateAbsolutePath): spaces, letters of any script, `%` and `_`. Every other trait makes a path invalid.
 */
export const PATH_ALLOWED_TRAITS: readonly THostileTrait[] = [
  "space",
  "other-script",
  "sql-wildcard",
];

/** True when the value has at least one of these traits. */
export function hasAnyTrait(value: THostileValue, traits: readonly THostileTrait[]): boolean {
  return value.traits.some((trait) => traits.includes(trait));
}

export type THostileInput = { id: string; value: unknown };

/** Numbers a numeric field must refuse (or clamp to its documented range): not finite, fractional, out of range. */
export const HOSTILE_NUMBERS: readonly THostileInput[] = [
  { id: "nan", value: Number.NaN },
  { id: "infinity", value: Number.POSITIVE_INFINITY },
  { id: "minus-infinity", value: Number.NEGATIVE_INFINITY },
  { id: "negative", value: -1 },
  { id: "fraction", value: 0.5 },
  { id: "above-int32", value: 2 ** 31 },
  { id: "above-safe-integer", value: 2 ** 53 + 2 },
  { id: "max-value", value: Number.MAX_VALUE },
];

/** Values of the wrong type for any field: strings where numbers belong, null, objects, arrays, operators. */
export function buildTypeConfusedValues(canaryPath: string): THostileInput[] {
  return [
    { id: "type-numeric-string", value: "22" },
    { id: "type-command-string", value: `1; touch ${canaryPath}` },
    { id: "type-null", value: null },
    { id: "type-boolean", value: true },
    { id: "type-array", value: [`; touch ${canaryPath}`] },
    { id: "type-object", value: { toString: `; touch ${canaryPath}` } },
    { id: "type-query-operator", value: { contains: "" } },
  ];
}

/**
 * Byte sequences that are not UTF-8: a lone continuation byte, bytes that never occur, a truncated sequence,
 * an overlong `/`, an encoded surrogate, a code point above U+10FFFF.
 */
export const NON_UTF8_SEQUENCES: readonly { id: string; bytes: Uint8Array }[] = [
  { id: "continuation-byte", bytes: Uint8Array.of(0x80) },
  { id: "ff-fe", bytes: Uint8Array.of(0xff, 0xfe) },
  { id: "truncated-sequence", bytes: Uint8Array.of(0xe2, 0x82) },
  { id: "invalid-continuation", bytes: Uint8Array.of(0xc3, 0x28) },
  { id: "overlong-slash", bytes: Uint8Array.of(0xc0, 0xaf) },
  { id: "encoded-surrogate", bytes: Uint8Array.of(0xed, 0xa0, 0x80) },
  { id: "above-unicode", bytes: Uint8Array.of(0xf4, 0x90, 0x80, 0x80) },
];

/** Bytes decoded the way the SSH executor decodes remote output (invalid sequences become U+FFFD). */
export function decodeLikeRemoteOutput(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

/** Bytes decoded as Latin-1, the other way undecodable text reaches a parser: one character per byte. */
export function decodeAsLatin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** 4 KiB of every byte value in turn, decoded as remote output: mostly U+FFFD, some ASCII and control characters. */
export const BINARY_NOISE = decodeLikeRemoteOutput(
  Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256),
);

export type THostileText = { id: string; text: string };

/**
 * Whole outputs no parser may choke on, beyond the field payloads above: binary noise, NULs, bare CRLF, 10 MiB of one
 * line, of digits, of short lines, of noise, of `a `, of blanks, of Unicode whitespace and of probe markers, and a
 * line built to make an unanchored `… -> (.*)$` pattern backtrack (the `ls -l` links format, then a CR). Built on
 * each call: about 100 MB of strings, so build them once per test file or benchmark.
 */
export function buildHostileTexts(): THostileText[] {
  const tenMiB = (unit: string): string => repeatTo(unit, 10 * MIB);
  return [
    { id: "binary-noise", text: BINARY_NOISE },
    { id: "nul-filled", text: "\u0000".repeat(65_536) },
    { id: "crlf-only", text: "\r\n".repeat(10_000) },
    { id: "10mb-one-line", text: tenMiB("x") },
    { id: "10mb-digits", text: tenMiB("9") },
    { id: "10mb-lines", text: tenMiB("garbage line ;|&$()\n") },
    { id: "10mb-binary", text: tenMiB(BINARY_NOISE) },
    { id: "10mb-spaces", text: tenMiB("a ") },
    { id: "10mb-blanks", text: tenMiB(" ") },
    { id: "10mb-unicode-spaces", text: tenMiB("\u00a0\u3000\u2028\t") },
    { id: "10mb-markers", text: tenMiB("@@pgrescue:section x\n") },
    { id: "1mb-links-backtrack", text: `${repeatTo(" /proc/1/cwd -> ", MIB)}\r` },
  ];
}
