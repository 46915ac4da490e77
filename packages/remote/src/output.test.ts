import { describe, expect, it } from "vitest";
import { createChunkForwarder, createMarkerFilter, createOutputCollector } from "./output.ts";
import type { TOutputChunk } from "./types.ts";
import type { TStartMarker } from "./wrap-command.ts";

describe("createOutputCollector", () => {
  it("keeps output up to the cap, counts the rest and flags truncation", () => {
    const collector = createOutputCollector(10);
    collector.push(Buffer.from("hello "));
    collector.push(Buffer.from("world, and more"));
    expect(collector.text()).toBe("hello worl");
    expect(collector.truncated).toBe(true);
    expect(collector.bytes).toBe(21);
  });

  it("decodes NUL and invalid UTF-8 to U+FFFD: the text fits the store, a terminal and JSON", () => {
    const collector = createOutputCollector(100);
    collector.push(Buffer.from([0x62, 0x61, 0x6e, 0x00, 0xff, 0xfe, 0x0a]));
    expect(collector.text()).toBe("ban\uFFFD\uFFFD\uFFFD\n");
  });

  it("is not truncated at exactly the cap", () => {
    const collector = createOutputCollector(5);
    collector.push(Buffer.from("12345"));
    expect([collector.text(), collector.truncated]).toEqual(["12345", false]);
  });
});

describe("createChunkForwarder", () => {
  it("decodes UTF-8 characters split across chunks", () => {
    const seen: TOutputChunk[] = [];
    const forward = createChunkForwarder((chunk) => seen.push(chunk));
    const bytes = Buffer.from("é€", "utf8");
    forward(bytes.subarray(0, 1));
    forward(bytes.subarray(1, 3));
    forward(bytes.subarray(3));
    expect(seen.map((chunk) => chunk.text).join("")).toBe("é€");
    expect(Buffer.concat(seen.map((chunk) => chunk.data))).toEqual(bytes);
  });

  it("gives NUL as U+FFFD in the text and keeps it in the bytes", () => {
    const seen: TOutputChunk[] = [];
    createChunkForwarder((chunk) => seen.push(chunk))(Buffer.from("a\0b"));
    expect(seen[0]?.text).toBe("a\uFFFDb");
    expect(seen[0]?.data).toEqual(Buffer.from("a\0b"));
  });
});

describe("createMarkerFilter", () => {
  const nonce = "00112233aabbccdd";
  const marker = `\x1epgrescue ${nonce} 77 12345\x1e\n`;

  const run = (chunks: string[]): { out: string; markers: TStartMarker[] } => {
    const out: Buffer[] = [];
    const markers: TStartMarker[] = [];
    const filter = createMarkerFilter(
      nonce,
      (chunk) => out.push(chunk),
      (found) => markers.push(found),
    );
    for (const chunk of chunks) filter.push(Buffer.from(chunk, "latin1"));
    filter.end();
    return { out: Buffer.concat(out).toString("latin1"), markers };
  };

  it("removes the marker even when it arrives byte by byte", () => {
    const bytes = Buffer.from(`noise\n${marker}`, "latin1");
    const oneByteChunks = Array.from(bytes, (byte) => String.fromCharCode(byte));
    const result = run([...oneByteChunks, "err1\n", "err2\n"]);
    expect(result).toEqual({
      out: "noise\nerr1\nerr2\n",
      markers: [{ pgid: 77, startTime: "12345" }],
    });
  });

  it("passes stderr unchanged when the marker never comes (sudo refused)", () => {
    expect(run(["sudo: a password is required\n"])).toEqual({
      out: "sudo: a password is required\n",
      markers: [],
    });
  });

  it("only strips the first marker: later look-alikes are the command's own output", () => {
    expect(run([marker + marker]).out).toBe(marker);
  });
});
