// Literal text inside Prisma's contains/startsWith filters, which become LIKE patterns without escaping.

/** `_` and `%` are LIKE wildcards and `\` PostgreSQL's default escape: each is escaped so it matches itself. */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
