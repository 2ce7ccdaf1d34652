/**
 * Writes traffic records to a JSON-lines file (`start --record file.jsonl`): one record per line,
 * appended as they happen so a crash loses at most the line being written.
 */
import type { TrafficRecord } from "./schema.ts";

/** An open recording. */
export interface RecordWriter {
  write(record: TrafficRecord): void;
  /** Number of records written. */
  readonly count: number;
  close(): void;
}

/** Creates (truncates) `path` and returns a writer. */
export function openRecordWriter(path: string): RecordWriter {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let count = 0;
  let closed = false;
  return {
    write(record) {
      if (closed) return;
      const bytes = encoder.encode(JSON.stringify(record) + "\n");
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      count++;
    },
    get count() {
      return count;
    },
    close() {
      if (closed) return;
      closed = true;
      file.close();
    },
  };
}
