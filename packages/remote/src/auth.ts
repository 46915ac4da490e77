// Credentials checked locally before any connection (private keys parsed and decrypted, agent socket found) and turned into ssh2 login steps.
import { stat } from "node:fs/promises";
import ssh2, { type AnyAuthMethod, type ParsedKey } from "ssh2";
import { AgentUnavailableError, PrivateKeyError, type TPrivateKeyProblem } from "./errors.ts";
import type { TSshAuth } from "./types.ts";

export type TAuthMethod = TSshAuth["kind"];

export type TPreparedAuth = {
  method: TAuthMethod;
  /** Exactly the login attempts to make, in order (ssh2's `authHandler` list). */
  steps: AnyAuthMethod[];
};

export async function prepareAuth(
  auth: TSshAuth,
  username: string,
  agentSocketFromEnvironment: string | undefined,
): Promise<TPreparedAuth> {
  switch (auth.kind) {
    case "key":
      // Decrypted once, here: the bcrypt KDF of OpenSSH keys is slow on purpose, and errors come before connecting.
      return {
        method: "key",
        steps: [
          { type: "publickey", username, key: parsePrivateKey(auth.privateKey, auth.passphrase) },
        ],
      };
    case "password": {
      const password = auth.password;
      return {
        method: "password",
        steps: [
          { type: "password", username, password },
          // PAM-based servers often allow only keyboard-interactive: answer its password prompts.
          {
            type: "keyboard-interactive",
            username,
            prompt: (_name, _instructions, _lang, prompts, finish) => {
              finish(prompts.map(() => password));
            },
          },
        ],
      };
    }
    case "agent":
      return {
        method: "agent",
        steps: [
          {
            type: "agent",
            username,
            agent: await findAgentSocket(auth.socket ?? agentSocketFromEnvironment),
          },
        ],
      };
  }
}

/** Parses (and with a passphrase decrypts) a private key; throws PrivateKeyError saying what is wrong. */
export function parsePrivateKey(
  privateKey: string | Buffer,
  passphrase: string | undefined,
): ParsedKey {
  const parsed = ssh2.utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error)
    throw new PrivateKeyError(classifyKeyError(parsed.message, passphrase), parsed.message);
  const key = takeFirstKey(parsed);
  if (key === undefined) throw new PrivateKeyError("unparseable", "no key found");
  if (!key.isPrivateKey()) throw new PrivateKeyError("not-a-private-key", key.type);
  return key;
}

/** ssh2 returns an array for OpenSSH files holding several keys; like ssh2 itself, use the first. */
function takeFirstKey(parsed: ParsedKey | readonly ParsedKey[]): ParsedKey | undefined {
  return "type" in parsed ? parsed : parsed[0];
}

export function classifyKeyError(
  message: string,
  passphrase: string | undefined,
): TPrivateKeyProblem {
  if (/no passphrase given/i.test(message))
    return passphrase === undefined || passphrase === ""
      ? "passphrase-required"
      : "passphrase-wrong";
  if (/passphrase|decrypt/i.test(message)) return "passphrase-wrong";
  return "unparseable";
}

async function findAgentSocket(socket: string | undefined): Promise<string> {
  if (socket === undefined || socket === "")
    throw new AgentUnavailableError(
      undefined,
      "no agent socket was given (SSH_AUTH_SOCK is not set)",
    );
  try {
    const info = await stat(socket);
    if (!info.isSocket()) throw new AgentUnavailableError(socket, "it is not a socket");
  } catch (error) {
    if (error instanceof AgentUnavailableError) throw error;
    throw new AgentUnavailableError(socket, "it does not exist (is ssh-agent still running?)");
  }
  return socket;
}
