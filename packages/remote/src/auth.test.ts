import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { classifyKeyError, parsePrivateKey, prepareAuth } from "./auth.ts";
import { AgentUnavailableError, PrivateKeyError } from "./errors.ts";

// PEM RSA keys made in-process; OpenSSH-format keys from ssh-keygen are covered by the integration tests.
const plain = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "pkcs1", format: "pem" },
});
const encrypted = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: {
    type: "pkcs1",
    format: "pem",
    cipher: "aes-128-cbc",
    passphrase: "right horse",
  },
  publicKeyEncoding: { type: "pkcs1", format: "pem" },
});

// An id_ed25519.pub pasted by mistake.
const publicKeyLine =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIixpyQlhrJLoX0KRMbFww8ZxHs1+PrlUI+FST9gAHvc root@vm";

const problemOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof PrivateKeyError) return error.problem;
    throw error;
  }
  return "none";
};

describe("parsePrivateKey", () => {
  it("reads plain and encrypted keys", () => {
    expect(parsePrivateKey(plain.privateKey, undefined).type).toBe("ssh-rsa");
    expect(parsePrivateKey(encrypted.privateKey, "right horse").type).toBe("ssh-rsa");
  });

  it("says what is wrong before anything is sent", () => {
    expect(problemOf(() => parsePrivateKey(encrypted.privateKey, undefined))).toBe(
      "passphrase-required",
    );
    expect(problemOf(() => parsePrivateKey(encrypted.privateKey, "wrong"))).toBe(
      "passphrase-wrong",
    );
    expect(problemOf(() => parsePrivateKey("not a key", undefined))).toBe("unparseable");
    expect(problemOf(() => parsePrivateKey(publicKeyLine, undefined))).toBe("not-a-private-key");
  });

  it("has a stable code and an actionable message", () => {
    const error = new PrivateKeyError("passphrase-wrong", "bad decrypt");
    expect(error.code).toBe("PRIVATE_KEY_INVALID");
    expect(error.message).toMatch(/passphrase does not decrypt/);
  });
});

describe("classifyKeyError", () => {
  it("maps ssh2's messages (captured from ssh2 1.17)", () => {
    expect(
      classifyKeyError(
        "Encrypted private OpenSSH key detected, but no passphrase given",
        undefined,
      ),
    ).toBe("passphrase-required");
    expect(classifyKeyError("OpenSSH key integrity check failed -- bad passphrase?", "x")).toBe(
      "passphrase-wrong",
    );
    expect(classifyKeyError("Malformed OpenSSH private key. Bad passphrase?", "x")).toBe(
      "passphrase-wrong",
    );
    expect(classifyKeyError("Unsupported key format", undefined)).toBe("unparseable");
  });
});

describe("prepareAuth", () => {
  it("refuses an agent login without a socket", async () => {
    await expect(prepareAuth({ kind: "agent" }, "postgres", undefined)).rejects.toBeInstanceOf(
      AgentUnavailableError,
    );
    await expect(
      prepareAuth({ kind: "agent", socket: "/nonexistent/agent.sock" }, "postgres", undefined),
    ).rejects.toThrow(/does not exist/);
  });

  it("tries the password, then keyboard-interactive answered with the password", async () => {
    const prepared = await prepareAuth({ kind: "password", password: "pw" }, "admin", undefined);
    expect(prepared.steps.map((step) => step.type)).toEqual(["password", "keyboard-interactive"]);
    const interactive = prepared.steps[1];
    const answers: string[][] = [];
    if (interactive?.type === "keyboard-interactive")
      interactive.prompt("", "", "", [{ prompt: "Password: ", echo: false }], (given) =>
        answers.push(given),
      );
    expect(answers).toEqual([["pw"]]);
  });

  it("hands ssh2 the already decrypted key", async () => {
    const prepared = await prepareAuth(
      { kind: "key", privateKey: encrypted.privateKey, passphrase: "right horse" },
      "postgres",
      undefined,
    );
    const step = prepared.steps[0];
    expect(
      step?.type === "publickey" &&
        typeof step.key === "object" &&
        "isPrivateKey" in step.key &&
        step.key.isPrivateKey(),
    ).toBe(true);
  });
});
