// Where to go after signing in: only a path on this console (never another origin).
export function safeNextPath(value: string | string[] | undefined, fallback = "/hosts"): string {
  const next = Array.isArray(value) ? value[0] : value;
  if (
    next === undefined ||
    !next.startsWith("/") ||
    next.startsWith("//") ||
    next.startsWith("/\\")
  ) {
    return fallback;
  }
  return next;
}
