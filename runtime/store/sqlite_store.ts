/**
 * One bot's store: a SQLite file (`node:sqlite`, built into Deno 2.9.6) owned by the host. The bot
 * never opens it; it asks the host over IPC, and the host runs the request here on that bot's own
 * file, so one bot cannot see or fill another's.
 *
 * Why SQLite and not Deno KV: `node:sqlite` is stable in Deno 2.9.6 (Deno KV still needs
 * `--unstable-kv`, which every command and the test task would have to carry), it is one ordinary
 * file per bot that a person can inspect with the `sqlite3` tool or delete, and a real transaction
 * (`BEGIN IMMEDIATE`) makes checked multi-key commits and the quota check one atomic step. The API is
 * synchronous: requests are small (one key, or one page of keys) and run in well under a
 * millisecond here, so they are run inline rather than on a worker.
 *
 * Every write bumps the store's version counter and stamps the entries it writes, so a bot can do
 * compare-and-set (`ctx.store.update`). The bytes held (UTF-8 of keys plus values) are kept in a
 * meta row updated in the same transaction, and a commit that would pass the quota is rolled back.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import {
  MAX_KEY_LENGTH,
  MAX_LIST,
  MAX_VALUE_JSON,
  type StoreCheck,
  type StoreEntry,
  type StoreProblem,
  type StoreResult,
  type StoreWrite,
} from "./protocol.ts";
import { MmdbotError } from "../errors/error.ts";

/** A store request failed; `code` says why, the message and fix say what to do. */
export class StoreFailure extends MmdbotError {
  /** What kind of failure. */
  readonly code: StoreProblem["code"];
  /** What to change. */
  readonly fix?: string;
  /** Creates the failure. */
  constructor(code: StoreProblem["code"], message: string, fix?: string) {
    super(message);
    this.name = "StoreFailure";
    this.code = code;
    this.fix = fix;
  }
}

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Most bytes (UTF-8 keys plus JSON values) the store may hold. */
  quotaBytes: number;
  /** The bot's name, for error messages. */
  bot: string;
}

/** A bot's store, as the host uses it. */
export interface SqliteStore {
  /** The entry at `key`, or null. */
  get(key: string): StoreEntry | null;
  /** Entries whose key starts with `prefix`, in key order (reversed on request), after `cursor`. */
  list(prefix: string, limit: number, reverse: boolean, cursor?: string): {
    entries: StoreEntry[];
    cursor?: string;
  };
  /** Applies `writes` if every check holds, all or nothing; throws `StoreFailure` over quota. */
  commit(checks: readonly StoreCheck[], writes: readonly StoreWrite[]): StoreResult & {
    op: "commit";
  };
  /** Bytes held, the quota and the number of keys. */
  usage(): { bytes: number; quotaBytes: number; keys: number };
  /** Closes the file. */
  close(): void;
}

const encoder = new TextEncoder();
const bytesOf = (s: string) => encoder.encode(s).length;

/** Opens (creating when needed) the store file at `path`. */
export function openSqliteStore(path: string, options: SqliteStoreOptions): SqliteStore {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 2000");
  db.exec(
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, " +
      "version INTEGER NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID",
  );
  db.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  db.exec("INSERT OR IGNORE INTO meta VALUES ('version', 0), ('bytes', 0), ('keys', 0)");

  const q = {
    get: db.prepare("SELECT key, value, version FROM kv WHERE key = ?"),
    size: db.prepare("SELECT size FROM kv WHERE key = ?"),
    put: db.prepare(
      "INSERT INTO kv (key, value, version, size) VALUES (?, ?, ?, ?) ON CONFLICT(key) " +
        "DO UPDATE SET value = excluded.value, version = excluded.version, size = excluded.size",
    ),
    del: db.prepare("DELETE FROM kv WHERE key = ?"),
    meta: db.prepare("SELECT value FROM meta WHERE name = ?"),
    setMeta: db.prepare("UPDATE meta SET value = ? WHERE name = ?"),
    // The range bound makes the primary-key index stop at the end of the prefix; the substr test
    // is the exact condition (keys may not contain U+10FFFF, see checkKey).
    asc: db.prepare(
      "SELECT key, value, version FROM kv WHERE key >= ? AND key > ? AND key < ? " +
        "AND substr(key, 1, ?) = ? ORDER BY key ASC LIMIT ?",
    ),
    desc: db.prepare(
      "SELECT key, value, version FROM kv WHERE key >= ? AND key < ? AND key < ? " +
        "AND substr(key, 1, ?) = ? ORDER BY key DESC LIMIT ?",
    ),
  };
  const meta = (name: string) => Number((q.meta.get(name) as { value: number }).value);

  const entry = (row: unknown): StoreEntry => {
    const r = row as { key: string; value: string; version: number };
    return { key: r.key, value: r.value, version: Number(r.version) };
  };

  const inTransaction = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      db.exec("COMMIT");
      return result;
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  };

  return {
    get: (key) => {
      checkKey(key);
      const row = q.get.get(key);
      return row ? entry(row) : null;
    },
    list: (prefix, limit, reverse, cursor) => {
      if (prefix !== "") checkKey(prefix, "prefix");
      const n = Math.max(1, Math.min(limit, MAX_LIST));
      const end = prefix + "\u{10FFFF}";
      const chars = [...prefix].length;
      const rows = reverse
        ? q.desc.all(prefix, cursor ?? end, end, chars, prefix, n + 1)
        : q.asc.all(prefix, cursor ?? "", end, chars, prefix, n + 1);
      const entries = rows.slice(0, n).map(entry);
      return rows.length > n ? { entries, cursor: entries.at(-1)!.key } : { entries };
    },
    commit: (checks, writes) => {
      for (const c of checks) checkKey(c.key);
      for (const w of writes) {
        checkKey(w.key);
        if (w.op === "set") checkValue(w.value);
      }
      return inTransaction(() => {
        for (const c of checks) {
          const row = q.get.get(c.key) as { version: number } | undefined;
          const version = row ? Number(row.version) : null;
          if (version !== c.version) return { op: "commit", ok: false } as const;
        }
        if (writes.length === 0) return { op: "commit", ok: true, version: meta("version") };
        let bytes = meta("bytes");
        let keys = meta("keys");
        const version = meta("version") + 1;
        let grew = false;
        for (const w of writes) {
          const old = q.size.get(w.key) as { size: number } | undefined;
          if (old) {
            bytes -= Number(old.size);
            keys--;
          }
          if (w.op === "set") {
            const size = bytesOf(w.key) + bytesOf(w.value);
            q.put.run(w.key, w.value, version, size);
            bytes += size;
            keys++;
            if (!old || size > Number(old.size)) grew = true;
          } else if (old) {
            q.del.run(w.key);
          }
        }
        // A commit that only shrinks the store is always allowed, so a bot over a lowered quota
        // can still clean up.
        if (grew && bytes > options.quotaBytes) {
          throw new StoreFailure(
            "quota",
            `bot "${options.bot}": this write would make its store hold ${bytes} bytes, over its ` +
              `quota of ${options.quotaBytes} bytes (nothing was written)`,
            "delete keys it no longer needs (ctx.store.delete, or history(...).append with " +
              "keep:), or raise budgets.store_kb of this bot in bots/bots.yaml",
          );
        }
        q.setMeta.run(bytes, "bytes");
        q.setMeta.run(keys, "keys");
        q.setMeta.run(version, "version");
        return { op: "commit", ok: true, version } as const;
      });
    },
    usage: () => ({ bytes: meta("bytes"), quotaBytes: options.quotaBytes, keys: meta("keys") }),
    close: () => db.close(),
  };
}

function checkKey(key: string, what = "key"): void {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StoreFailure(
      "invalid",
      `a store ${what} must be a string of 1 to ${MAX_KEY_LENGTH} characters`,
      'use short keys with "/" as a separator, e.g. "user/name"',
    );
  }
  if (key.includes("\u{10FFFF}")) {
    throw new StoreFailure("invalid", `a store ${what} may not contain U+10FFFF`);
  }
}

function checkValue(value: string): void {
  if (typeof value !== "string" || value.length > MAX_VALUE_JSON) {
    throw new StoreFailure(
      "invalid",
      `a stored value must be JSON text of at most ${MAX_VALUE_JSON} characters`,
      "store big data in several keys, or in a file of the bot's folder (write: [.])",
    );
  }
}
