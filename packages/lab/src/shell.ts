// Shell quoting for the command lines the lab composes itself (sh -c inside a lab host).

/** Quotes a value for POSIX sh as one word: 'it'\''s'. */
export function quote(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them into one command line. */
export function quoteAll(words: readonly (string | number)[]): string {
  return words.map(quote).join(" ");
}
