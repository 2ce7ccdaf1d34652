/**
 * What a bot may ask of its store and what it gets back: plain types shared by the bot side
 * (`runtime/bot/store.ts`, no npm) and the host (`runtime/store/serve.ts`, which validates them
 * with zod). Values travel as JSON text, so the host stores exactly what the bot serialised and
 * its size is known without parsing.
 *
 * @module
 */

/** Longest key, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024;
/** Longest value, as JSON text (one value must fit one IPC message with room to spare). */
export const MAX_VALUE_JSON = 48 * 1024;
/** Most keys one `list` returns (its `limit` is capped here; page on with `cursor`). */
export const MAX_LIST = 1000;
/** Most checks plus operations in one atomic commit. */
export const MAX_COMMIT_OPS = 100;

/** A write inside an atomic commit. */
export type StoreWrite =
  | { op: "set"; key: string; value: string }
  | { op: "delete"; key: string };

/**
 * A condition of an atomic commit: the key's current version is `version` (`null`: the key must
 * not exist).
 */
export interface StoreCheck {
  key: string;
  version: number | null;
}

/** One request of a bot to its store. */
export type StoreOp =
  | { op: "get"; key: string }
  | { op: "list"; prefix: string; limit: number; reverse: boolean; cursor?: string }
  | { op: "commit"; checks: StoreCheck[]; writes: StoreWrite[] }
  | { op: "usage" };

/** One stored entry (value as JSON text). */
export interface StoreEntry {
  key: string;
  value: string;
  version: number;
}

/** The answer to a {@link StoreOp}. */
export type StoreResult =
  | { op: "get"; entry: StoreEntry | null }
  | { op: "list"; entries: StoreEntry[]; cursor?: string }
  /** `ok: false` when a check failed (nothing was written). */
  | { op: "commit"; ok: boolean; version?: number }
  | { op: "usage"; bytes: number; quotaBytes: number; keys: number };

/** Why a request failed: `quota` (over the bot's budget), `invalid`, `unavailable`. */
export interface StoreProblem {
  code: "quota" | "invalid" | "unavailable";
  message: string;
  fix?: string;
}
