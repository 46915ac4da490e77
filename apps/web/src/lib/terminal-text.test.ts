import { describe, expect, it } from "vitest";
import { mergeChunks, toOutputRuns, toTerminalText } from "./terminal-text.ts";

describe("toTerminalText", () => {
  it("removes colour, cursor and title sequences but keeps the text", () => {
    expect(toTerminalText("\x1b[1;31mFATAL\x1b[0m: lock file\n")).toBe("FATAL: lock file\n");
    expect(toTerminalText("\x1b]0;pg_ctl\x07waiting\x1b[2K\x1b[1G done")).toBe("waiting done");
    expect(toTerminalText("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\")).toBe("link");
    expect(toTerminalText("\x1b(Bplain\x1b=")).toBe("plain");
  });

  it("drops a sequence cut off at the end and other control characters", () => {
    expect(toTerminalText("done\x1b[3")).toBe("done");
    expect(toTerminalText("a\x00b\x07c\x7fd\tz")).toBe("abcd\tz");
  });

  it("shows the last rewrite of a line that used carriage returns", () => {
    expect(toTerminalText("progress 10%\rprogress 90%\nnext\r\n")).toBe("progress 90%\nnext\n");
  });

  it("keeps markup as literal text (the UI never renders it as HTML)", () => {
    expect(toTerminalText("<img src=x onerror=alert(1)>")).toBe("<img src=x onerror=alert(1)>");
  });
});

describe("output chunks", () => {
  it("merges stored and live chunks by sequence number without duplicates", () => {
    const stored = [
      { seq: 1, stream: "STDOUT" as const, data: "a" },
      { seq: 2, stream: "STDOUT" as const, data: "b" },
    ];
    const live = [
      { seq: 3, stream: "STDERR" as const, data: "c" },
      { seq: 2, stream: "STDOUT" as const, data: "b" },
    ];
    expect(mergeChunks(stored, live).map((chunk) => chunk.data)).toEqual(["a", "b", "c"]);
  });

  it("joins adjacent chunks of a stream so a split escape sequence is still removed", () => {
    const runs = toOutputRuns([
      { seq: 1, stream: "STDOUT", data: "ok \x1b[3" },
      { seq: 2, stream: "STDOUT", data: "2mgreen\x1b[0m\n" },
      { seq: 3, stream: "SYSTEM", data: "re-diagnosis failed\n" },
    ]);
    expect(runs).toEqual([
      { stream: "STDOUT", firstSeq: 1, text: "ok green\n" },
      { stream: "SYSTEM", firstSeq: 3, text: "re-diagnosis failed\n" },
    ]);
  });
});
