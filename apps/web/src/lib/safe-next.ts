// Where to go after signing in: only a path on this console (never another origin).

/** A stand-in origin: a target that resolves to any other origin against it would leave the console. */
const CONSOLE_ORIGIN = "http://console.invalid";

/**
 * `next` as a path on this console, or `fallback`. It is resolved the way a browser resolves it (`new URL(next,
 * origin)`) and must keep the origin; control characters and whitespace are refused outright, because browsers drop
 * tabs and line breaks from URLs (`/\t/evil.example` becomes `//evil.example`, another host), and so is a path that
 * would itself read as another host (`//…` after dot segments collapse).
 */
export function safeNextPath(value: string | string[] | undefined, fallback = "/hosts"): string {
  const next = Array.isArray(value) ? value[0] : value;
  if (next === undefined || !next.startsWith("/")) return fallback;
  if (/[\p{Cc}\p{Cf}\p{Z}\s\\]/u.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, CONSOLE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== CONSOLE_ORIGIN || url.pathname.startsWith("//")) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The absolute URL to go to on this origin (`origin` is the page's own), or null when `path` would leave it. */
export function resolveOnOrigin(path: string, origin: string): string | null {
  const safe = safeNextPath(path, "");
  if (safe === "") return null;
  const url = new URL(safe, origin);
  return url.origin === origin ? url.href : null;
}
