// A lab host's sshd gets a new host key, as after a reinstall (or what an interception looks like): for tests of host-key pinning.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { LabHostError } from "./host-exec.ts";
import { run, waitFor } from "./run.ts";
import { quote } from "./shell.ts";
import { fingerprintPublicKey, generateKeyPair } from "./ssh-keys.ts";
import type { TLabHost } from "./types.ts";

export type TRotatedHostKey = {
  /** As `ssh-keygen -lf` prints it: "SHA256:…" */
  fingerprint: string;
  /** "ssh-ed25519 AAAA…" */
  publicKey: string;
};

/** The ed25519 key the host's sshd presents right now (ssh-keyscan from this machine), or null when it does not answer. */
export async function scanHostKeyFingerprint(lab: Pick<TLabHost, "ssh">): Promise<string | null> {
  const scanned = await run(
    "ssh-keyscan",
    ["-T", "3", "-t", "ed25519", "-p", String(lab.ssh.port), lab.ssh.host],
    { timeoutMs: 10_000 },
  ).catch(() => null);
  const line = scanned?.stdout.split("\n").find((candidate) => /^\S+ ssh-ed25519 /.test(candidate));
  if (line === undefined) return null;
  return fingerprintPublicKey(line.split(/\s+/).slice(1).join(" "));
}

/**
 * Gives the host's sshd a fresh ed25519 host key: a new key file in the lab dir, the HostKey line of its sshd_config
 * pointed at it, SIGHUP to sshd inside the host — and, like the reboot after a reinstall, the SSH sessions already
 * established end (the listener's children), so a client's pooled connection cannot outlive the change unnoticed.
 * Resolves once sshd presents the new key. `lab.ssh.hostKeyFingerprint` and the known_hosts file keep describing the
 * original key.
 */
export async function rotateHostKey(lab: TLabHost): Promise<TRotatedHostKey> {
  const keyFile = path.join(lab.dir, "ssh", `host_ed25519_key_${randomBytes(4).toString("hex")}`);
  const key = await generateKeyPair({
    path: keyFile,
    type: "ed25519",
    comment: `rotated@lab-${lab.name}`,
  });
  const publicKey = key.publicKey.split(/\s+/).slice(0, 2).join(" ");
  const fingerprint = fingerprintPublicKey(publicKey);
  const reload = await lab.exec(
    `sed -i ${quote(`s|^HostKey .*|HostKey ${keyFile}|`)} ${quote(lab.ssh.configFile)} && listener="$(cat ${quote(lab.ssh.pidFile)})" && kill -HUP "$listener" && { pkill -TERM -P "$listener" || true; }`,
  );
  if (reload.code !== 0)
    throw new LabHostError(
      `could not give sshd of lab host "${lab.name}" a new host key: ${reload.stderr.trim()}`,
    );
  await waitFor(
    async () => ((await scanHostKeyFingerprint(lab)) === fingerprint ? true : undefined),
    20_000,
    async () =>
      `sshd of lab host "${lab.name}" still presents ${(await scanHostKeyFingerprint(lab)) ?? "nothing"} instead of the new key ${fingerprint}`,
    100,
  );
  return { fingerprint, publicKey };
}
