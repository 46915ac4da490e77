// Output handling for one command: byte caps, incremental UTF-8 decoding, and removal of the wrapper's start marker.
import { StringDecoder } from "node:string_decoder";
import { findStartMarker, type TStartMarker } from "./wrap-command.ts";
import type { TOutputChunk } from "./types.ts";

/**
 * Remote bytes as text: invalid UTF-8 becomes U+FFFD, and so does NUL, which no consumer of the text can hold
 * (PostgreSQL text and JSON columns refuse it, terminals and C strings end at it). The raw bytes stay in `data`.
 */
function toText(decoded: string): string {
  return decoded.replaceAll("\0", "\uFFFD");
}

export type TOutputCollector = {
  push: (chunk: Buffer) => void;
  text: () => string;
  readonly truncated: boolean;
  readonly bytes: number;
};

/** Keeps at most `maxBytes`; later bytes are counted and dropped, never buffered. */
export function createOutputCollector(maxBytes: number): TOutputCollector {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let bytes = 0;
  return {
    push(chunk) {
      bytes += chunk.length;
      const room = maxBytes - keptBytes;
      if (room <= 0) return;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      kept.push(part);
      keptBytes += part.length;
    },
    text: () => toText(Buffer.concat(kept).toString("utf8")),
    get truncated() {
      return bytes > keptBytes;
    },
    get bytes() {
      return bytes;
    },
  };
}

/** Forwards chunks to a callback with text decoded across chunk boundaries. */
export function createChunkForwarder(
  callback: ((chunk: TOutputChunk) => void) | undefined,
): (data: Buffer) => void {
  if (callback === undefined) return () => undefined;
  const decoder = new StringDecoder("utf8");
  return (data) => {
    callback({ data, text: toText(decoder.write(data)) });
  };
}

/** Marker search gives up after this many bytes of stderr (login-shell noise before it is passed through). */
const markerSearchLimit = 16 * 1024;

export type TMarkerFilter = { push: (chunk: Buffer) => void; end: () => void };

/**
 * Holds stderr back until the wrapper's start marker is seen, reports it, and passes everything else on,
 * so callers never see the marker. If it never comes (sudo refused, shell missing), stderr passes unchanged.
 */
export function createMarkerFilter(
  nonce: string,
  emit: (chunk: Buffer) => void,
  onMarker: (marker: TStartMarker) => void,
): TMarkerFilter {
  let pending: Buffer | undefined = Buffer.alloc(0);
  const flush = (): void => {
    if (pending !== undefined && pending.length > 0) emit(pending);
    pending = undefined;
  };
  return {
    push(chunk) {
      if (pending === undefined) {
        emit(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const found = findStartMarker(pending.toString("latin1"), nonce);
      if (found !== undefined) {
        const before = pending.subarray(0, found.start);
        const after = pending.subarray(found.end);
        pending = undefined;
        if (before.length > 0) emit(before);
        onMarker(found.marker);
        if (after.length > 0) emit(after);
      } else if (pending.length > markerSearchLimit) {
        flush();
      }
    },
    end: flush,
  };
}
