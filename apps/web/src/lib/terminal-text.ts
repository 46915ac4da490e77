// Step output as plain text for a terminal-like pane: ANSI escape sequences and other control characters
// removed, carriage returns resolved the way a terminal shows them. Never HTML: the UI renders it as text.

export type TOutputStream = "STDOUT" | "STDERR" | "SYSTEM";
export type TOutputChunk = { seq: number; stream: TOutputStream; data: string };
export type TOutputRun = { stream: TOutputStream; text: string; firstSeq: number };

/* eslint-disable no-control-regex -- matching control characters is the point of this module */
const ESCAPES = new RegExp(
  [
    "\\x1b\\[[0-?]*[ -/]*[@-~]", // CSI: colours, cursor movement, erase
    "\\x9b[0-?]*[ -/]*[@-~]", // 8-bit CSI
    "\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)", // OSC: window titles, hyperlinks
    "\\x1b[PX^_][^\\x1b]*\\x1b\\\\", // DCS, SOS, PM, APC
    // two- and three-character escapes (charset selection, keypad modes, …); not the introducers above
    "\\x1b[ -/]*[0-OQ-WYZ\\\\`-~]",
  ].join("|"),
  "g",
);
/** An escape sequence cut off at the end of the text (the rest never arrived). */
const TRAILING_PARTIAL_ESCAPE =
  /(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*)?|\x9b[0-?]*)$/;
/** C0 controls except tab and newline (carriage return is handled before), DEL, C1 controls. */
const OTHER_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

/** Removes ANSI/VT escape sequences and control characters; resolves CR the way a terminal would show it. */
export function toTerminalText(raw: string): string {
  const withoutEscapes = raw.replace(ESCAPES, "").replace(TRAILING_PARTIAL_ESCAPE, "");
  const lines = withoutEscapes.replace(/\r\n/g, "\n").split("\n");
  return lines
    .map((line) => {
      // "progress 10%\rprogress 20%" shows as the last rewrite of the line.
      const parts = line
        .split("\r")
        .filter((part, index, all) => part !== "" || index === all.length - 1);
      return (parts[parts.length - 1] ?? "").replace(OTHER_CONTROLS, "");
    })
    .join("\n");
}

/** Chunks in sequence order, without duplicates (a chunk can arrive both stored and live). */
export function mergeChunks(...sources: readonly (readonly TOutputChunk[])[]): TOutputChunk[] {
  const bySeq = new Map<number, TOutputChunk>();
  for (const source of sources) for (const chunk of source) bySeq.set(chunk.seq, chunk);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Adjacent chunks of one stream joined before cleaning, so an escape sequence split across two
 * chunks is still recognised; one run per stream change, for colouring stderr and system lines.
 */
export function toOutputRuns(chunks: readonly TOutputChunk[]): TOutputRun[] {
  const runs: { stream: TOutputStream; raw: string; firstSeq: number }[] = [];
  for (const chunk of chunks) {
    const last = runs[runs.length - 1];
    if (last?.stream === chunk.stream) last.raw += chunk.data;
    else runs.push({ stream: chunk.stream, raw: chunk.data, firstSeq: chunk.seq });
  }
  return runs.map((run) => ({
    stream: run.stream,
    firstSeq: run.firstSeq,
    text: toTerminalText(run.raw),
  }));
}
