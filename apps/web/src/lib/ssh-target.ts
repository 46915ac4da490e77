// "user@host:port" as an operator writes it ↔ the API's sshUser, address and port.

export type TSshTarget = { sshUser: string; address: string; port: number };

export function parseSshTarget(
  text: string,
): { ok: true; value: TSshTarget } | { ok: false; error: string } {
  const trimmed = text.trim();
  const at = trimmed.lastIndexOf("@");
  if (at <= 0)
    return { ok: false, error: "write it as user@host or user@host:port (e.g. postgres@db1:22)" };
  const sshUser = trimmed.slice(0, at);
  const rest = trimmed.slice(at + 1);
  let address: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    // [::1]:2222 — an IPv6 address with a port
    const close = rest.indexOf("]");
    if (close < 0) return { ok: false, error: "an IPv6 address in brackets needs its closing ]" };
    address = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":"))
      return { ok: false, error: "after ] only :port may follow" };
    portText = after === "" ? undefined : after.slice(1);
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    address = rest; // a bare IPv6 address, default port
  } else {
    const colon = rest.indexOf(":");
    address = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (address === "") return { ok: false, error: "the host is missing after @" };
  let port = 22;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText))
      return { ok: false, error: `the port "${portText}" is not a number` };
    port = Number(portText);
    if (port < 1 || port > 65535)
      return { ok: false, error: "the port must be between 1 and 65535" };
  }
  return { ok: true, value: { sshUser, address, port } };
}

/** The stored target as the operator writes it: user@host:port, an IPv6 address in brackets (parseSshTarget's inverse). */
export function formatSshTarget(target: TSshTarget): string {
  const host = target.address.includes(":") ? `[${target.address}]` : target.address;
  return `${target.sshUser}@${host}:${String(target.port)}`;
}
