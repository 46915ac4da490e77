// The sign-in form's message for each refusal of /api/auth/sign-in/email.

/** What the console says for each refusal: one message for wrong e-mail and wrong password alike. */
export function signInProblem(status: number, body: { code?: unknown; message?: unknown }): string {
  if (status === 401) return "The e-mail or the password is not correct.";
  if (status === 429)
    return typeof body.message === "string" && body.code === "ACCOUNT_LOCKED"
      ? body.message
      : "Too many sign-in attempts from this address: wait a minute and try again.";
  if (status === 403 && body.code === "CROSS_ORIGIN")
    return "Sign in from the console's own page (this request came from another origin).";
  if (status === 403) return "This account cannot sign in (it may be disabled): ask an admin.";
  return typeof body.message === "string"
    ? body.message
    : `sign-in failed (HTTP ${String(status)})`;
}
