// Public types of the SSH executor: targets, credentials, host-key policy, run options and results.

export type TSshAuth =
  | { kind: "key"; privateKey: string | Buffer; passphrase?: string }
  | { kind: "password"; password: string }
  /** `socket` defaults to SSH_AUTH_SOCK of this process. */
  | { kind: "agent"; socket?: string };

/** One pinned host key, as `SHA256:<base64 without padding>` (what `ssh-keygen -lf` prints). */
export type TPinnedHostKey = { fingerprint: string; algorithm?: string };

export type THostKeyPolicy = {
  /** Accepted keys; when set, any other key is a hard stop (HostKeyMismatchError). */
  pinned?: TPinnedHostKey | readonly TPinnedHostKey[];
  /** Only without `pinned`: accept an unknown key (trust on first use); the result carries it for pinning. */
  acceptNew?: boolean;
};

export type TSshTarget = {
  host: string;
  port: number;
  username: string;
  auth: TSshAuth;
  hostKey: THostKeyPolicy;
  /** Run every command as this user through `sudo -n -u USER --`. */
  become?: string;
};

/** The host key the server presented, in the forms needed to show and pin it. */
export type TPresentedHostKey = {
  /** Key type from the blob, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  algorithm: string;
  /** `SHA256:<base64 without padding>` of the raw key blob (OpenSSH style). */
  fingerprint: string;
  /** The raw key blob in base64, as in known_hosts and authorized_keys. */
  base64: string;
};

export type THostKeyStatus = "pinned" | "accepted-new";

export type TOutputChunk = { data: Buffer; text: string };

export type TRunOptions = {
  /** Written to the command's stdin, then stdin is closed (e.g. a probe script for `sh -s`). */
  stdin?: string | Buffer;
  /** Local limit; the remote process group is killed when it passes. */
  timeoutMs?: number;
  /** Collected bytes per stream; beyond it output is still drained but dropped and `truncated` is set. */
  maxOutputBytes?: number;
  onStdout?: (chunk: TOutputChunk) => void;
  onStderr?: (chunk: TOutputChunk) => void;
  /** Cancels the command: the remote process group is killed like on timeout. */
  signal?: AbortSignal;
};

export type TRunResult = {
  stdout: string;
  stderr: string;
  /** Null when the command died from a signal. */
  exitCode: number | null;
  /** The signal that ended the command, as sshd reports it through ssh2, e.g. `SIGKILL`. */
  signal: string | null;
  durationMs: number;
  truncated: { stdout: boolean; stderr: boolean };
  /** Bytes received per stream, including dropped ones. */
  bytes: { stdout: number; stderr: number };
  /** The exact text sent to sshd. */
  wrappedCommand: string;
  hostKey: TPresentedHostKey;
  hostKeyStatus: THostKeyStatus;
};
