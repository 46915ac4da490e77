// Typed errors of the SSH executor: one base class with a stable `code`, messages a DBA can act on.

export type TRemoteErrorCode =
  | "INVALID_TARGET"
  | "PRIVATE_KEY_INVALID"
  | "AGENT_UNAVAILABLE"
  | "UNREACHABLE"
  | "AUTH_FAILED"
  | "HOST_KEY_MISMATCH"
  | "HOST_KEY_UNKNOWN"
  | "COMMAND_TIMEOUT"
  | "COMMAND_CANCELLED"
  | "COMMAND_MISSING"
  | "SUDO_FAILED"
  | "CONNECTION_LOST"
  | "CHANNEL_REFUSED"
  | "POOL_CLOSED";

/** Where a host lives, for messages: `user@host:port`. */
export type TEndpoint = { host: string; port: number; username: string };

/** What a cut-short command had produced so far (already capped). */
export type TPartialOutput = { stdout: string; stderr: string };

/** Whether the remote process group of a cut-short command is known to be gone. */
export type TRemoteKillOutcome =
  | "confirmed" // the kill script saw no live process left in the group
  | "unconfirmed" // signalled, but something was still alive (e.g. state D) or the check failed
  | "not-started" // the command never reported its process group (it had not started yet)
  | "failed"; // the kill could not be delivered (connection gone): the remote `timeout` backstop remains

export abstract class RemoteError extends Error {
  abstract readonly code: TRemoteErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function describeEndpoint(endpoint: TEndpoint): string {
  const host =
    endpoint.host.includes(":") && !endpoint.host.startsWith("[")
      ? `[${endpoint.host}]`
      : endpoint.host;
  return `${endpoint.username}@${host}:${endpoint.port}`;
}

export class InvalidTargetError extends RemoteError {
  readonly code = "INVALID_TARGET";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid ${field}: ${reason}`);
  }
}

export type TPrivateKeyProblem =
  "passphrase-required" | "passphrase-wrong" | "not-a-private-key" | "unparseable";

export class PrivateKeyError extends RemoteError {
  readonly code = "PRIVATE_KEY_INVALID";
  constructor(
    readonly problem: TPrivateKeyProblem,
    detail: string,
  ) {
    super(`${describeKeyProblem(problem)} (${detail}). Nothing was sent to the host.`);
  }
}

function describeKeyProblem(problem: TPrivateKeyProblem): string {
  switch (problem) {
    case "passphrase-required":
      return "The private key is encrypted: enter its passphrase";
    case "passphrase-wrong":
      return "The passphrase does not decrypt the private key";
    case "not-a-private-key":
      return "This is a public key: paste the private key (the file without .pub)";
    case "unparseable":
      return "The private key could not be read: expected an OpenSSH or PEM private key (ed25519, ECDSA or RSA)";
  }
}

export class AgentUnavailableError extends RemoteError {
  readonly code = "AGENT_UNAVAILABLE";
  constructor(
    readonly socket: string | undefined,
    reason: string,
  ) {
    super(
      socket === undefined
        ? `No ssh-agent to use: ${reason}. Start ssh-agent and set SSH_AUTH_SOCK, or give the agent socket path.`
        : `The ssh-agent socket ${socket} cannot be used: ${reason}.`,
    );
  }
}

export type TUnreachableReason =
  | "refused"
  | "no-route"
  | "dns"
  | "connect-timeout"
  | "handshake-timeout"
  | "handshake"
  | "network";

export class UnreachableError extends RemoteError {
  readonly code = "UNREACHABLE";
  constructor(
    readonly endpoint: TEndpoint,
    readonly reason: TUnreachableReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot reach the SSH server of ${describeEndpoint(endpoint)}: ${describeUnreachable(reason)} (${detail}).`,
      options,
    );
  }
}

function describeUnreachable(reason: TUnreachableReason): string {
  switch (reason) {
    case "refused":
      return "connection refused — is sshd running and listening on this port?";
    case "no-route":
      return "no route to host — check the address, the network and firewalls";
    case "dns":
      return "the host name does not resolve — check its spelling or use an IP address";
    case "connect-timeout":
      return "no answer to the TCP connection — the host is down or a firewall drops the traffic";
    case "handshake-timeout":
      return "the TCP connection opened but no SSH handshake completed in time — the server may be overloaded (MaxStartups) or not an SSH server";
    case "handshake":
      return "the SSH handshake failed";
    case "network":
      return "the connection broke during set-up";
  }
}

export class AuthFailedError extends RemoteError {
  readonly code = "AUTH_FAILED";
  constructor(
    readonly endpoint: TEndpoint,
    readonly method: "key" | "password" | "agent",
    options?: { cause?: unknown },
  ) {
    super(
      `The SSH server of ${describeEndpoint(endpoint)} refused the login (${describeMethod(method)}).`,
      options,
    );
  }
}

function describeMethod(method: "key" | "password" | "agent"): string {
  switch (method) {
    case "key":
      return "private key: check that its public key is in the user's authorized_keys and that the account is not locked";
    case "password":
      return "password: check the password and that the server allows PasswordAuthentication";
    case "agent":
      return "ssh-agent: none of the agent's keys is authorized for this user — check `ssh-add -l`";
  }
}

export class HostKeyMismatchError extends RemoteError {
  readonly code = "HOST_KEY_MISMATCH";
  constructor(
    readonly endpoint: TEndpoint,
    readonly expectedFingerprints: readonly string[],
    readonly presentedFingerprint: string,
    readonly presentedAlgorithm: string,
  ) {
    super(
      `HOST KEY MISMATCH for ${describeEndpoint(endpoint)}: expected ${expectedFingerprints.join(" or ")}, ` +
        `the server presented ${presentedAlgorithm} ${presentedFingerprint}. The connection was aborted before logging in. ` +
        `Either the host was reinstalled or someone is intercepting the connection: verify the new key out of band before re-pinning it.`,
    );
  }
}

export class HostKeyUnknownError extends RemoteError {
  readonly code = "HOST_KEY_UNKNOWN";
  constructor(
    readonly endpoint: TEndpoint,
    readonly presentedFingerprint: string,
    readonly presentedAlgorithm: string,
    readonly presentedKeyBase64: string,
  ) {
    super(
      `The host key of ${describeEndpoint(endpoint)} is not known yet: ${presentedAlgorithm} ${presentedFingerprint}. ` +
        `Compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the host, then accept it to pin it.`,
    );
  }
}

export class CommandTimeoutError extends RemoteError {
  readonly code = "COMMAND_TIMEOUT";
  constructor(
    readonly timeoutMs: number,
    readonly remoteKill: TRemoteKillOutcome,
    readonly partial: TPartialOutput,
    /** Set when the command itself had exited but processes it started still held its output open. */
    readonly exitedWithCode?: number,
  ) {
    super(
      `The command did not finish within ${formatSeconds(timeoutMs)}; ${describeKill(remoteKill)}` +
        (exitedWithCode === undefined
          ? ""
          : ` The command itself had exited (code ${exitedWithCode}), but processes it started kept its output open: ` +
            "start daemons with their output redirected (e.g. `pg_ctl start -l LOGFILE`)."),
    );
  }
}

export class CommandCancelledError extends RemoteError {
  readonly code = "COMMAND_CANCELLED";
  constructor(
    readonly remoteKill: TRemoteKillOutcome,
    readonly partial: TPartialOutput,
  ) {
    super(`The command was cancelled; ${describeKill(remoteKill)}`);
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function describeKill(outcome: TRemoteKillOutcome): string {
  switch (outcome) {
    case "confirmed":
      return "it was killed on the host (its whole process group is gone).";
    case "unconfirmed":
      return "it was sent SIGKILL on the host but some of its processes were still alive moments later (uninterruptible state D?) — check the host.";
    case "not-started":
      return "it had not started on the host yet.";
    case "failed":
      return "it could not be killed on the host (connection lost); its remote time limit will stop it shortly — check the host.";
  }
}

export class CommandMissingError extends RemoteError {
  readonly code = "COMMAND_MISSING";
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(
      command === ""
        ? "A command was not found on the host (exit 127). Check the PATH and the installed packages."
        : `The command \`${command}\` was not found on the host (exit 127). Install it or check the PATH of the login user.`,
    );
  }
}

export type TSudoProblem = "password-required" | "not-allowed" | "unknown-user" | "other";

export class SudoError extends RemoteError {
  readonly code = "SUDO_FAILED";
  constructor(
    readonly endpoint: TEndpoint,
    readonly becomeUser: string,
    readonly problem: TSudoProblem,
    readonly stderr: string,
  ) {
    super(
      `\`sudo -n -u ${becomeUser}\` was refused for ${describeEndpoint(endpoint)}: ${describeSudo(problem, endpoint.username, becomeUser)}`,
    );
  }
}

function describeSudo(problem: TSudoProblem, login: string, become: string): string {
  switch (problem) {
    case "password-required":
      return `sudo wants a password. Add a sudoers rule such as \`${login} ALL=(${become}) NOPASSWD: ALL\`.`;
    case "not-allowed":
      return `${login} may not run commands as ${become}. Add a sudoers rule for it.`;
    case "unknown-user":
      return `the user ${become} does not exist on the host.`;
    case "other":
      return "see sudo's message in the output.";
  }
}

export class ConnectionLostError extends RemoteError {
  readonly code = "CONNECTION_LOST";
  constructor(
    readonly endpoint: TEndpoint,
    detail: string,
    readonly commandStarted: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `The SSH connection to ${describeEndpoint(endpoint)} broke (${detail}). ` +
        (commandStarted
          ? "The command may or may not have completed: re-diagnose before acting."
          : "The command was not started."),
      options,
    );
  }
}

export class ChannelRefusedError extends RemoteError {
  readonly code = "CHANNEL_REFUSED";
  constructor(
    readonly endpoint: TEndpoint,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The SSH server of ${describeEndpoint(endpoint)} refused to start the command (${detail}); it did not run. ` +
        "If sshd's MaxSessions is lower than the pool's maxChannelsPerConnection, lower the latter.",
      options,
    );
  }
}

export class PoolClosedError extends RemoteError {
  readonly code = "POOL_CLOSED";
  constructor() {
    super("The SSH connection pool is closed.");
  }
}
