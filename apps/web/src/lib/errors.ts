// What a failed API call means for the UI: the service's message, per-field messages from zod, and
// whether the session is gone. Structural (no tRPC import) so it also reads errors in unit tests.

export type TFieldErrors = Record<string, string[]>;

export type TErrorInfo = {
  /** One line a DBA can act on. */
  message: string;
  /** tRPC code (BAD_REQUEST, UNAUTHORIZED, …) or null for network and unknown errors. */
  code: string | null;
  /** SSH failure code from the server (AUTH_FAILED, HOST_KEY_MISMATCH, …), if any. */
  remoteCode: string | null;
  /** zod input errors by dotted path ("auth.privateKey"); "" holds form-level ones. */
  fieldErrors: TFieldErrors;
};

type TZodTree = {
  errors?: unknown;
  properties?: Record<string, TZodTree | undefined>;
  items?: (TZodTree | undefined)[];
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** z.treeifyError(...) as the server sends it → { "auth.privateKey": ["…"] }. */
export function flattenZodTree(tree: unknown, prefix = "", out: TFieldErrors = {}): TFieldErrors {
  if (!isRecord(tree)) return out;
  const node = tree as TZodTree;
  if (Array.isArray(node.errors)) {
    const messages = node.errors.filter((e): e is string => typeof e === "string");
    if (messages.length > 0) out[prefix] = [...(out[prefix] ?? []), ...messages];
  }
  if (isRecord(node.properties)) {
    for (const [key, child] of Object.entries(node.properties)) {
      flattenZodTree(child, prefix === "" ? key : `${prefix}.${key}`, out);
    }
  }
  if (Array.isArray(node.items)) {
    node.items.forEach((child, index) => {
      flattenZodTree(child, prefix === "" ? String(index) : `${prefix}.${String(index)}`, out);
    });
  }
  return out;
}

export function readError(error: unknown): TErrorInfo {
  if (!isRecord(error)) {
    return { message: String(error), code: null, remoteCode: null, fieldErrors: {} };
  }
  const data = isRecord(error.data) ? error.data : {};
  const code = typeof data.code === "string" ? data.code : null;
  const remoteCode = typeof data.remoteCode === "string" ? data.remoteCode : null;
  const fieldErrors = flattenZodTree(data.zodError);
  const raw = typeof error.message === "string" ? error.message : "unknown error";
  let message = raw;
  if (Object.keys(fieldErrors).length > 0) {
    // The server's message is then zod's JSON; the fields say it better.
    const formLevel = fieldErrors[""];
    message =
      formLevel !== undefined && formLevel.length > 0
        ? formLevel.join("; ")
        : "Some fields need attention (see below).";
  } else if (code === null && /fetch|network/i.test(raw)) {
    message = `The console server did not answer (${raw}). Is it running?`;
  }
  return {
    message: remoteCode === null ? message : `${remoteCode}: ${message}`,
    code,
    remoteCode,
    fieldErrors,
  };
}

/** The request had no valid session (not an SSH login failure, which the server also reports as UNAUTHORIZED). */
export function isSessionMissing(error: unknown): boolean {
  const info = readError(error);
  return info.code === "UNAUTHORIZED" && info.remoteCode === null;
}

/** 4xx: asking again will not help. */
export function isClientError(error: unknown): boolean {
  if (!isRecord(error) || !isRecord(error.data)) return false;
  const status = error.data.httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}
