/**
 * `ctx.store`: the bot's memory that survives restarts, hot reloads and runtime restarts. The data
 * lives in a SQLite file owned by the host (`runtime/store/`); this side only sends requests over
 * IPC and waits for the answers, so a bot can reach its own store and nobody else's. Values are
 * anything JSON can carry. Plain Deno only (a bot process loads no npm code of ours).
 *
 * @module
 */
import { MmdbotError } from "../errors/error.ts";
import type { BotFeature } from "./context.ts";
import type { FeatureIO } from "./engine.ts";
import type { BotToHost, HostToBot } from "./protocol.ts";
import { IPC_MAX_TEXT } from "./protocol.ts";
import type {
  StoreCheck,
  StoreEntry,
  StoreOp,
  StoreProblem,
  StoreResult,
  StoreWrite,
} from "../store/protocol.ts";

/** A store request failed: over the quota (`quota`), a bad key or value (`invalid`), or the host could not use the file (`unavailable`). */
export class StoreError extends MmdbotError {
  /** Why. */
  readonly code: "quota" | "invalid" | "unavailable";
  /** What to change, when known. */
  readonly fix?: string;
  /** Creates the error from the host's answer. */
  constructor(problem: StoreProblem) {
    super(problem.fix ? `${problem.message}. Fix: ${problem.fix}` : problem.message);
    this.code = problem.code;
    this.fix = problem.fix;
  }
}

/** One stored entry with the version of its last write (for compare-and-set). */
export interface Entry<T = unknown> {
  /** The key. */
  key: string;
  /** The value, parsed from its JSON. */
  value: T;
  /** The store's version at the entry's last write. */
  version: number;
}

/** Options of {@link BotStore.list}. */
export interface ListOptions {
  /** Only keys starting with this (default: all). */
  prefix?: string;
  /** Most entries to return (default 100, at most 1000). */
  limit?: number;
  /** Newest-key-first order (default: ascending key order). */
  reverse?: boolean;
  /** Continue after this key (the `cursor` of the previous page). */
  cursor?: string;
}

/** One checked, all-or-nothing change (see {@link BotStore.commit}). */
export interface Commit {
  /** Keys whose version must still be this (`null`: must not exist), or nothing is written. */
  checks?: { key: string; version: number | null }[];
  /** Keys to set. */
  set?: Record<string, unknown>;
  /** Keys to delete. */
  delete?: string[];
}

/** One turn of a conversation, as an LLM chat API takes it. */
export interface ChatMessage {
  /** Who said it. */
  role: "system" | "user" | "assistant";
  /** What was said. */
  content: string;
  /** Host time it was added (ms), set by `append`. */
  at?: number;
}

/** A conversation's turns in the store (see {@link BotStore.history}). */
export interface History {
  /**
   * Adds a turn at the end. With `keep`, the turn `keep` places back is deleted in the same
   * commit, so the history never holds more than `keep` turns (when always appended with it).
   */
  append(turn: ChatMessage, options?: { keep?: number }): Promise<void>;
  /** The last `n` turns, oldest first. */
  last(n: number): Promise<ChatMessage[]>;
  /** Deletes every turn. */
  clear(): Promise<void>;
}

/** The bot's own persistent key-value store (`ctx.store`). */
export interface BotStore {
  /** The value at `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** The entry at `key` with its version, or undefined. */
  getEntry<T = unknown>(key: string): Promise<Entry<T> | undefined>;
  /** Stores `value` (anything JSON can carry) at `key`. Rejects with `StoreError` over the quota. */
  set(key: string, value: unknown): Promise<void>;
  /** Deletes `key` (nothing happens when it does not exist). */
  delete(key: string): Promise<void>;
  /** Entries by key prefix, in key order; `cursor` is set when there are more. */
  list<T = unknown>(options?: ListOptions): Promise<{ entries: Entry<T>[]; cursor?: string }>;
  /**
   * Reads `key`, computes the new value with `fn` and writes it only if nobody wrote the key in
   * between (else reads again, up to 10 times). `fn` returning undefined deletes the key. Returns
   * the value written.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const visits = await ctx.store.update<number>("visits", (n) => (n ?? 0) + 1);
   * });
   * ```
   */
  update<T>(key: string, fn: (old: T | undefined) => T | undefined): Promise<T | undefined>;
  /** Applies checks and writes all or nothing; resolves false when a check failed. */
  commit(change: Commit): Promise<boolean>;
  /** Bytes held (UTF-8 of keys and JSON values), the bot's quota, and the number of keys. */
  usage(): Promise<{ bytes: number; quotaBytes: number; keys: number }>;
  /**
   * A conversation history kept under `history/<name>/` (summarising is left to the bot).
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const text = ctx.args.result ?? "";
   *   const chat = ctx.store.history("chat");
   *   await chat.append({ role: "user", content: text }, { keep: 200 });
   *   const messages = await chat.last(20);
   * });
   * ```
   */
  history(name?: string): History;
}

/** The client half: the store API and the hook that settles its requests. */
export interface StoreClient {
  store: BotStore;
  /** Settles the request a `stored` message answers. */
  receive(msg: Extract<HostToBot, { t: "stored" }>): void;
}

const MAX_ATTEMPTS = 10;

/** Creates `ctx.store` over `post` (which queues one message to the host). */
export function createStoreClient(post: (msg: BotToHost) => void, now: () => number): StoreClient {
  let nextReq = 1;
  const pending = new Map<number, { resolve(r: StoreResult): void; reject(e: unknown): void }>();

  const ask = (op: StoreOp): Promise<StoreResult> => {
    const req = nextReq++;
    const msg: BotToHost = { t: "store", req, op };
    const size = JSON.stringify(msg).length;
    if (size > IPC_MAX_TEXT) {
      return Promise.reject(
        new StoreError({
          code: "invalid",
          message:
            `this store request is ${size} characters as JSON, more than the ${IPC_MAX_TEXT} ` +
            "one message to the host may carry",
          fix: "store big data in several keys, or in a file of the bot's folder (write: [.])",
        }),
      );
    }
    return new Promise((resolve, reject) => {
      pending.set(req, { resolve, reject });
      post(msg);
    });
  };

  const encode = (key: string, value: unknown): string => {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new StoreError({
        code: "invalid",
        message: `the value for "${key}" cannot be stored: JSON has no form for it`,
        fix: "store plain data (objects, arrays, strings, numbers, booleans, null)",
      });
    }
    return text;
  };
  const decode = <T>(e: StoreEntry): Entry<T> => ({
    key: e.key,
    value: JSON.parse(e.value) as T,
    version: e.version,
  });

  const getEntry = async <T>(key: string): Promise<Entry<T> | undefined> => {
    const r = await ask({ op: "get", key });
    return r.op === "get" && r.entry ? decode<T>(r.entry) : undefined;
  };
  const commit = async (change: Commit): Promise<boolean> => {
    const writes: StoreWrite[] = [];
    for (const [key, value] of Object.entries(change.set ?? {})) {
      writes.push({ op: "set", key, value: encode(key, value) });
    }
    for (const key of change.delete ?? []) writes.push({ op: "delete", key });
    const checks: StoreCheck[] = change.checks ?? [];
    const r = await ask({ op: "commit", checks, writes });
    return r.op === "commit" && r.ok;
  };
  const list = async <T>(options: ListOptions = {}) => {
    const r = await ask({
      op: "list",
      prefix: options.prefix ?? "",
      limit: Math.max(1, Math.min(options.limit ?? 100, 1000)),
      reverse: options.reverse ?? false,
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    });
    if (r.op !== "list") return { entries: [] };
    const entries = r.entries.map((e) => decode<T>(e));
    return r.cursor !== undefined ? { entries, cursor: r.cursor } : { entries };
  };

  const store: BotStore = {
    get: async <T>(key: string) => (await getEntry<T>(key))?.value,
    getEntry,
    set: async (key, value) => {
      await commit({ set: { [key]: value } });
    },
    delete: async (key) => {
      await commit({ delete: [key] });
    },
    list,
    update: async <T>(key: string, fn: (old: T | undefined) => T | undefined) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const old = await getEntry<T>(key);
        const next = fn(old?.value);
        const checks = [{ key, version: old?.version ?? null }];
        const ok = next === undefined
          ? await commit({ checks, delete: [key] })
          : await commit({ checks, set: { [key]: next } });
        if (ok) return next;
      }
      throw new StoreError({
        code: "unavailable",
        message: `"${key}" kept changing during ${MAX_ATTEMPTS} attempts to update it`,
        fix: "update it from one handler at a time",
      });
    },
    commit,
    usage: async () => {
      const r = await ask({ op: "usage" });
      return r.op === "usage"
        ? { bytes: r.bytes, quotaBytes: r.quotaBytes, keys: r.keys }
        : { bytes: 0, quotaBytes: 0, keys: 0 };
    },
    history: (name = "default") => history(name),
  };

  const history = (name: string): History => {
    const base = `history/${name}/`;
    const counter = `${base}next`;
    const item = (n: number) => `${base}t/${String(n).padStart(12, "0")}`;
    return {
      append: async (turn, options = {}) => {
        const entry: ChatMessage = { role: turn.role, content: turn.content, at: turn.at ?? now() };
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const next = await getEntry<number>(counter);
          const n = next?.value ?? 0;
          const drop = options.keep !== undefined && n - options.keep >= 0
            ? [item(n - options.keep)]
            : [];
          const ok = await commit({
            checks: [{ key: counter, version: next?.version ?? null }],
            set: { [counter]: n + 1, [item(n)]: entry },
            delete: drop,
          });
          if (ok) return;
        }
        throw new StoreError({
          code: "unavailable",
          message: `history "${name}" kept changing during ${MAX_ATTEMPTS} attempts to append`,
        });
      },
      last: async (n) => {
        if (n <= 0) return [];
        const { entries } = await list<ChatMessage>({
          prefix: `${base}t/`,
          limit: Math.min(n, 1000),
          reverse: true,
        });
        return entries.map((e) => e.value).reverse();
      },
      clear: async () => {
        for (;;) {
          const { entries } = await list({ prefix: base, limit: 100 });
          if (entries.length === 0) return;
          await commit({ delete: entries.map((e) => e.key) });
        }
      },
    };
  };

  return {
    store,
    receive: (msg) => {
      const p = pending.get(msg.req);
      if (!p) return;
      pending.delete(msg.req);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new StoreError(msg.error));
    },
  };
}

/** The store as a bot-side feature: `ctx.store` on every context, `stored` answers settled. */
export function storeFeature(io: FeatureIO): BotFeature {
  const client = createStoreClient(io.post, io.now);
  return {
    context: { store: client.store },
    receive: { stored: (msg) => client.receive(msg as Extract<HostToBot, { t: "stored" }>) },
  };
}
