// sshd_config for a lab host's OpenSSH server: loopback only, its own host key, keys from the lab dir.

export type TSshdConfigOptions = {
  port: number;
  hostKeyPath: string;
  pidFile: string;
  authorizedKeysDir: string;
  allowUsers: readonly string[];
  passwordUsers: readonly string[];
  /** True when sshd runs as an ordinary user (no privilege separation, can only log in that user). */
  unprivileged: boolean;
};

function word(value: string): string {
  return /[\s"#]/.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value;
}

export function renderSshdConfig(opts: TSshdConfigOptions): string {
  const lines = [
    "# pgrescue lab host: generated, do not edit",
    `Port ${String(opts.port)}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${word(opts.hostKeyPath)}`,
    `PidFile ${word(opts.pidFile)}`,
    `AuthorizedKeysFile ${word(`${opts.authorizedKeysDir}/%u`)}`,
    "UsePAM no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    "PermitEmptyPasswords no",
    `AllowUsers ${opts.allowUsers.join(" ")}`,
    "PrintMotd no",
    "PrintLastLog no",
    "UseDNS no",
    "MaxStartups 64:30:128",
    "LogLevel INFO",
    "Subsystem sftp internal-sftp",
    ...(opts.unprivileged ? ["StrictModes no"] : []),
  ];
  for (const user of opts.passwordUsers)
    lines.push(`Match User ${user}`, "  PasswordAuthentication yes");
  return lines.join("\n") + "\n";
}
