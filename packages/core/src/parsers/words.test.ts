import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/probe-fixtures.ts";
import { findSection, parseProbeOutput } from "../probe/probe-output.ts";
import { buildHostileValues, canaryPathFor } from "../testing/hostile-values.ts";
import { hasWord, indexWords, isWhitespaceCode, readWords } from "./words.ts";

/** Real lines the parsers split into words: the shm and sem tables, stat records, a semaphore table row. */
function capturedLines(): string[] {
  const out = parseProbeOutput(loadFixture("legacy-semaphores.pg15").text);
  const section = (name: string) => findSection(out, name);
  return [
    ...(section("sysv_shm")?.content ?? []),
    ...(section("sysv_sem")?.content ?? []),
    ...(section("procs")?.records ?? []),
    ...(out.sections.find((s) => s.name === "sem_info")?.content ?? []),
  ];
}

const ODD_LINES = [
  "",
  " ",
  " \t\u00a0\u2028\ufeff ",
  "key",
  "  key  shmid\tperms\u3000size\u2029cpid ",
  "key key shmid key",
  "keys shmid- -key k",
  // The 1 MiB payloads add nothing here that a shorter line does not: each is split several times per test.
  ...buildHostileValues("key shmid", canaryPathFor("words0"))
    .map((v) => v.value)
    .filter((value) => value.length < 4096),
  `${"a ".repeat(2000)}key ${"\t".repeat(100)}shmid`,
];

describe("isWhitespaceCode", () => {
  it("agrees with \\s on every UTF-16 code unit", () => {
    const disagreeing: number[] = [];
    for (let code = 0; code <= 0xffff; code += 1) {
      if (isWhitespaceCode(code) !== /\s/.test(String.fromCharCode(code))) disagreeing.push(code);
    }
    expect(disagreeing).toEqual([]);
  });
});

describe("readWords", () => {
  it("reads what trim().split(/\\s+/) reads, up to the limit, and no word for a blank line", () => {
    for (const line of [...capturedLines(), ...ODD_LINES]) {
      const split = line.trim() === "" ? [] : line.trim().split(/\s+/);
      for (const limit of [0, 1, 5, 20, Infinity]) {
        expect(readWords(line, limit), JSON.stringify(line)).toEqual(split.slice(0, limit));
      }
    }
  });
});

describe("hasWord", () => {
  it("is true exactly when the word is one of split(/\\s+/)'s words", () => {
    for (const line of [...capturedLines(), ...ODD_LINES, "keykey key", "xkey keyx", "key\u00a0"]) {
      const words = line.trim().split(/\s+/);
      for (const word of ["key", "shmid", "nattch", "P", "0", "1"]) {
        expect(hasWord(line, word), `${word} in ${JSON.stringify(line)}`).toBe(
          words.includes(word),
        );
      }
    }
  });
});

describe("indexWords", () => {
  it("finds each name where a Map of all words would, the last occurrence winning", () => {
    const names = ["key", "shmid", "perms", "size", "cpid", "nattch", "uid", "semid", "ctime"];
    for (const line of [...capturedLines(), ...ODD_LINES]) {
      const words = line.trim().split(/\s+/);
      const all = new Map(words.map((word, index) => [word, index]));
      const expected = new Map(
        names.filter((name) => all.has(name)).map((name) => [name, all.get(name)]),
      );
      expect(indexWords(line, names), JSON.stringify(line)).toEqual(expected);
    }
  });

  it("finds the columns of a real /proc/sysvipc/shm header", () => {
    const header = findSection(parseProbeOutput(loadFixture("zombies.pg15").text), "sysv_shm")
      ?.content[0];
    expect(indexWords(header ?? "", ["key", "shmid", "nattch", "ctime"])).toEqual(
      new Map([
        ["key", 0],
        ["shmid", 1],
        ["nattch", 6],
        ["ctime", 13],
      ]),
    );
  });
});
