/**
 * Which worker commands an edge has already handed to MMDAgent-EX's connection, so a redelivered
 * or resent command is written once. A command id is `<worker run>:<n>` with `n` counting up in
 * publishing order (one channel, one queue: the edge receives them in that order, redeliveries
 * included), so one number per worker run says it all: anything at or below it was handled.
 *
 * Why a watermark per run and not a set of ids: the memory is bounded by the number of worker
 * runs (each restart of a worker is one), not by the number of commands, so no old id falls out
 * of a window while its redelivery is still possible.
 *
 * With a `file`, the watermarks are kept in a SQLite file (`node:sqlite`; WAL, no fsync: it has
 * to survive a killed edge process, not a power cut), written in the same turn the command is
 * handed to the link. A restarted edge therefore drops the redeliveries of what it wrote before
 * it died. Without a file (tests, `--no-store`), they live as long as the process.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** Worker runs remembered; the one not heard from longest is forgotten first. */
export const MAX_WORKER_RUNS = 10_000;

/** The memory of handled commands. */
export interface SeenCommands {
  /**
   * True when the command `id` is new (it is then remembered as handled); false for a duplicate.
   * An id that is not `<run>:<n>` is treated as new and not remembered.
   */
  first(id: string): boolean;
  /** Worker runs remembered. */
  readonly runs: number;
  /** Where they are kept, if anywhere. */
  readonly file?: string;
  /** Closes the file. */
  close(): void;
}

/** Splits `<run>:<n>`; undefined when the id has no number at its end. */
export function splitCommandId(id: string): { run: string; n: number } | undefined {
  const at = id.lastIndexOf(":");
  if (at <= 0) return undefined;
  const n = Number(id.slice(at + 1));
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  return { run: id.slice(0, at), n };
}

/**
 * Opens the memory, loading what `file` holds (created when missing).
 *
 * @example
 * const seen = openSeenCommands();
 * seen.first("w1:abc:0"); // true
 * seen.first("w1:abc:0"); // false: a redelivery
 */
export function openSeenCommands(file?: string): SeenCommands {
  const marks = new Map<string, number>();
  let db: DatabaseSync | undefined;
  let upsert: StatementSync | undefined;
  let forget: StatementSync | undefined;
  let last = Date.now();
  if (file) {
    db = new DatabaseSync(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = OFF");
    db.exec(
      "CREATE TABLE IF NOT EXISTS handled " +
        "(run TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)",
    );
    const rows = db.prepare(
      "SELECT run, n, at FROM (SELECT run, n, at FROM handled ORDER BY at DESC LIMIT ?) " +
        "ORDER BY at ASC",
    ).all(MAX_WORKER_RUNS) as { run: string; n: number; at: number }[];
    for (const r of rows) {
      marks.set(r.run, r.n);
      last = Math.max(last, r.at);
    }
    upsert = db.prepare(
      "INSERT INTO handled (run, n, at) VALUES (?, ?, ?) " +
        "ON CONFLICT(run) DO UPDATE SET n = excluded.n, at = excluded.at",
    );
    forget = db.prepare("DELETE FROM handled WHERE run = ?");
  }
  return {
    first(id) {
      const parts = splitCommandId(id);
      if (!parts) return true;
      const mark = marks.get(parts.run);
      if (mark !== undefined && parts.n <= mark) return false;
      // Re-inserted so the Map's order is the order runs were last heard from.
      marks.delete(parts.run);
      marks.set(parts.run, parts.n);
      // Strictly increasing, so the file's order matches the Map's after a restart.
      last = Math.max(last + 1, Date.now());
      upsert?.run(parts.run, parts.n, last);
      if (marks.size > MAX_WORKER_RUNS) {
        const oldest = marks.keys().next().value!;
        marks.delete(oldest);
        forget?.run(oldest);
      }
      return true;
    },
    get runs() {
      return marks.size;
    },
    file,
    close() {
      db?.close();
      db = undefined;
      upsert = forget = undefined;
    },
  };
}
