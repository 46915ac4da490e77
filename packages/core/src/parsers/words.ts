// Whitespace-separated words as `text.trim().split(/\s+/)` reads them, without splitting more of the text than needed:
// remote output may hold a 10 MB line, and splitting it into millions of words costs seconds and hundreds of MB.

/** The characters `\s`, `trim()` and `split(/\s+/)` treat as whitespace: ECMAScript's WhiteSpace and LineTerminator. */
export function isWhitespaceCode(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * The first `limit` words of `text`: `text.trim().split(/\s+/).slice(0, limit)`, except that a blank text has no words
 * here (split gives `[""]`). split's own limit stops it after the limit-th word, so the rest of a long line is never
 * split (nor copied: trim only looks at the ends).
 */
export function readWords(text: string, limit: number): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  // split reads its limit as a uint32: Infinity would become 0.
  return trimmed.split(/\s+/, Number.isFinite(limit) ? limit : undefined);
}

/**
 * True when `word` (which holds no whitespace) is one of the words of `text`. Found with indexOf: a text that does not
 * contain it at all, as most garbage does not, costs one native scan and no loop over its characters.
 */
export function hasWord(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const end = at + word.length;
    const startsWord = at === 0 || isWhitespaceCode(text.charCodeAt(at - 1));
    if (startsWord && (end === text.length || isWhitespaceCode(text.charCodeAt(end)))) return true;
  }
  return false;
}

/**
 * For each of `names`, the index of its last occurrence among the words of `text` (as `split(/\s+/)` after `trim()`
 * counts them): what `new Map(words.map((word, i) => [word, i]))` holds for those names, without allocating a word.
 */
export function indexWords(text: string, names: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  // The names of each length: most words of a hostile line have a length no name has, and cost one lookup.
  const byLength: (string[] | undefined)[] = [];
  for (const name of names) (byLength[name.length] ??= []).push(name);
  let index = -1;
  let at = 0;
  while (at < text.length) {
    while (at < text.length && isWhitespaceCode(text.charCodeAt(at))) at += 1;
    if (at >= text.length) break;
    const start = at;
    while (at < text.length && !isWhitespaceCode(text.charCodeAt(at))) at += 1;
    index += 1;
    const candidates = byLength[at - start];
    if (candidates === undefined) continue;
    for (const name of candidates) if (text.startsWith(name, start)) found.set(name, index);
  }
  return found;
}
