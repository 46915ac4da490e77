// Against a real OpenSSH sshd on a lab host: command wrapping, streaming, caps, sudo, and timeouts that really kill.
import { randomInt } from "node:crypto";
import { startLabHost, type TLabHost } from "@pgrescue/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommandCancelledError,
  CommandMissingError,
  CommandTimeoutError,
  SudoError,
  createSshPool,
  type TSshPool,
  type TSshTarget,
} from "./index.ts";
import { shellQuote } from "@pgrescue/core";
import { wrapCommand } from "./wrap-command.ts";
import { listLiveProcesses, pinnedTarget } from "./test-support.ts";

let lab: TLabHost;
let pool: TSshPool;
let postgres: TSshTarget;
let adminAsPostgres: TSshTarget;

beforeAll(async () => {
  lab = await startLabHost({ name: "remote-exec" });
  pool = createSshPool();
  postgres = pinnedTarget(lab, lab.logins.postgres);
  adminAsPostgres = { ...pinnedTarget(lab, lab.logins.admin), become: "postgres" };
});

afterAll(async () => {
  await pool.close();
  await lab.stop();
});

describe("running commands", () => {
  it("forces LC_ALL=C remotely, also through sudo", async () => {
    const probe = 'printf "%s|" "$LC_ALL"; id -un; locale | grep LC_MESSAGES';
    expect((await pool.run(postgres, probe)).stdout).toBe('C|postgres\nLC_MESSAGES="C"\n');
    expect((await pool.run(adminAsPostgres, probe)).stdout).toBe('C|postgres\nLC_MESSAGES="C"\n');
  });

  it("passes hostile text through the quoting unchanged", async () => {
    const nasty = `it's "quoted" $HOME \`id\` $(id) ; | & > * \\ \n tab\there ~root 'x'`;
    const result = await pool.run(postgres, `printf '%s' ${shellQuote(nasty)}`);
    expect(result.stdout).toBe(nasty);
  });

  it("pipes stdin into the command, e.g. a probe script into sh -s", async () => {
    const script = 'echo "probe $#"\nuname -s\nexit 7\n';
    const result = await pool.run(postgres, "sh -s", { stdin: script });
    expect(result).toMatchObject({ stdout: "probe 0\nLinux\n", exitCode: 7 });
    const echoed = await pool.run(postgres, "cat", { stdin: Buffer.from("a\nb\n") });
    expect(echoed.stdout).toBe("a\nb\n");
  });

  it("returns exit codes and signals as the command's answer, with stderr apart", async () => {
    const failed = await pool.run(postgres, "echo out; echo err >&2; exit 3");
    expect(failed).toMatchObject({ stdout: "out\n", stderr: "err\n", exitCode: 3, signal: null });
    const killed = await pool.run(postgres, "kill -TERM $$");
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGTERM" });
  });

  it("streams output in chunks before the command exits", async () => {
    // The command prints "one", then waits until a flag file exists; the test creates it only once
    // "one" has arrived. Without streaming "one" would arrive only at exit, which never comes.
    const flag = `.pgrescue-stream-flag-${String(process.pid)}-${String(Date.now())}`;
    const chunks: string[] = [];
    const flagWrite = { set: null as Promise<unknown> | null };
    const result = await pool.run(
      postgres,
      `echo one; i=0; while [ ! -e "$HOME/${flag}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; if [ -e "$HOME/${flag}" ]; then echo two; else echo no-flag; fi; rm -f "$HOME/${flag}"; echo warn >&2`,
      {
        timeoutMs: 20_000,
        onStdout: (chunk) => {
          chunks.push(chunk.text);
          if (flagWrite.set === null && chunks.join("").includes("one\n")) {
            flagWrite.set = lab.exec(`touch ~postgres/${flag}`, { user: "postgres" });
          }
        },
      },
    );
    expect(flagWrite.set).not.toBeNull();
    await flagWrite.set;
    expect(chunks.join("")).toBe("one\ntwo\n");
    expect(chunks[0]).toBe("one\n");
    expect(result.stderr).toBe("warn\n");
  });

  it("caps collected output and says how much was dropped", async () => {
    const result = await pool.run(
      postgres,
      "head -c 5000000 /dev/zero | tr '\\0' x; echo done >&2",
      { maxOutputBytes: 1000 },
    );
    expect(result.stdout).toBe("x".repeat(1000));
    expect(result.truncated).toEqual({ stdout: true, stderr: false });
    expect(result.bytes.stdout).toBe(5_000_000);
    expect(result.stderr).toBe("done\n");
  });

  it("reports the exit status of instant commands, whose whole answer can arrive in one TCP read", async () => {
    const codes: (number | null)[] = [];
    for (let i = 0; i < 150; i += 1)
      codes.push((await pool.run(postgres, `exit ${String(i % 3)}`)).exitCode);
    expect(codes).toEqual(Array.from({ length: 150 }, (_, i) => i % 3));
  });

  it("names a missing command", async () => {
    const error: unknown = await pool
      .run(postgres, "pg_frobnicate --now")
      .catch((caught: unknown) => caught);
    expect(error, JSON.stringify(error)).toBeInstanceOf(CommandMissingError);
    expect(error).toMatchObject({ code: "COMMAND_MISSING", command: "pg_frobnicate" });
  });
});

describe("become (sudo -n)", () => {
  it("runs the command as the other user", async () => {
    const result = await pool.run(adminAsPostgres, "id -un; echo $HOME");
    expect(result.stdout.split("\n")[0]).toBe("postgres");
  });

  it("turns a sudo refusal into SudoError", async () => {
    const error: unknown = await pool
      .run({ ...postgres, become: "root" }, "id")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SudoError);
    expect(error).toMatchObject({ code: "SUDO_FAILED", becomeUser: "root" });
    expect((error as SudoError).message).toContain("sudo -n -u root");
  });
});

describe("timeouts and cancellation end the remote process group", () => {
  const tagged = (): { tag: string; command: string } => {
    const tag = `sleep 3${String(randomInt(1000, 9999))}`;
    // Children in the background and a grandchild: all must be gone afterwards.
    return { tag, command: `${tag}1 & ${tag}2 & sh -c '${tag}3; echo never' & echo started; wait` };
  };

  it.each([
    ["the login user", (): TSshTarget => postgres],
    ["sudo -u postgres", (): TSshTarget => adminAsPostgres],
  ])("kills a timed-out command and its children as %s", async (_label, target) => {
    const { tag, command } = tagged();
    const error: unknown = await pool
      .run(target(), command, { timeoutMs: 1500 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({
      code: "COMMAND_TIMEOUT",
      remoteKill: "confirmed",
      partial: { stdout: "started\n" },
    });
    expect(await listLiveProcesses(lab, tag)).toEqual([]);
  });

  it("explains a timeout caused by a leftover child holding the output open", async () => {
    const { tag } = tagged();
    const error: unknown = await pool
      .run(postgres, `(${tag}1 &); echo parent done`, { timeoutMs: 1000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({
      remoteKill: "confirmed",
      exitedWithCode: 0,
      partial: { stdout: "parent done\n" },
    });
    expect((error as CommandTimeoutError).message).toContain("pg_ctl start -l");
    expect(await listLiveProcesses(lab, tag)).toEqual([]);
  });

  it("kills a cancelled command", async () => {
    const { tag, command } = tagged();
    const controller = new AbortController();
    const running = pool.run(adminAsPostgres, command, {
      signal: controller.signal,
      onStdout: () => {
        controller.abort();
      },
    });
    const error: unknown = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandCancelledError);
    expect(error).toMatchObject({ remoteKill: "confirmed" });
    expect(await listLiveProcesses(lab, tag)).toEqual([]);
  });

  it("has a remote backstop: the wrapper's own timeout kills the group even with no console left to do it", async () => {
    const { tag, command } = tagged();
    const wrapped = wrapCommand({ command, remoteTimeoutSeconds: 1, nonce: "00000000feedbeef" });
    // Run on the host directly, as postgres, with nobody watching: only `timeout` can end it.
    const result = await lab.exec(wrapped, { user: "postgres", timeoutMs: 10_000 });
    expect(result.code).toBe(124);
    expect(await listLiveProcesses(lab, tag)).toEqual([]);
  });
});
