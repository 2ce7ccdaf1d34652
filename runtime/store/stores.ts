/**
 * The host's stores: one SQLite file per bot in one folder, opened on a bot's first request and
 * kept open for the runtime's life (bot restarts and hot reloads do not touch it), and answering a
 * bot's validated request with a result or an error it can act on.
 *
 * Where: `<the manifest's folder>/.mmdbot-store/<bot>.sqlite` by default (`bots/.mmdbot-store/`),
 * so it sits beside the bots it belongs to, survives runtime restarts, and is easy to back up or
 * delete; no bot folder contains it (bot names cannot start with "."), and a bot whose folder
 * would contain it is refused its store.
 *
 * @module
 */
import { DEFAULTS } from "../manifest/schema.ts";
import type { BotSpec } from "../manifest/types.ts";
import type { StoreOp, StoreProblem, StoreResult } from "./protocol.ts";
import { openSqliteStore, type SqliteStore, StoreFailure } from "./sqlite_store.ts";

/** Name of the store folder beside the manifest. */
export const STORE_FOLDER = ".mmdbot-store";

/** The answer to one request: a result, or an error. */
export type StoreReply = { ok: true; result: StoreResult } | { ok: false; error: StoreProblem };

/** Every bot's store, owned by the host. */
export interface Stores {
  /** The folder holding the files. */
  readonly dir: string;
  /** Runs one request of bot `spec` on its own store. Never throws. */
  handle(spec: BotSpec, op: StoreOp): StoreReply;
  /** Closes every open file. */
  close(): void;
}

/** The default store folder of a manifest file: `<its folder>/.mmdbot-store`. */
export function defaultStoreDir(manifestFile: string): string {
  const slash = Math.max(manifestFile.lastIndexOf("/"), manifestFile.lastIndexOf("\\"));
  return `${slash < 0 ? "." : manifestFile.slice(0, slash)}/${STORE_FOLDER}`;
}

/**
 * Opens the stores in `dir` (created on first use).
 *
 * @example
 * ```ts
 * const stores = createStores(defaultStoreDir(manifest.file));
 * stores.handle(spec, { op: "get", key: "user/name" });
 * ```
 */
export function createStores(dir: string): Stores {
  const open = new Map<string, SqliteStore>();
  const storeOf = (spec: BotSpec): SqliteStore => {
    const found = open.get(spec.name);
    if (found) return found;
    const prefix = spec.dir.endsWith("/") ? spec.dir : spec.dir + "/";
    if ((dir + "/").startsWith(prefix)) {
      throw new StoreFailure(
        "unavailable",
        `bot "${spec.name}": its folder ${spec.dir} contains the store folder ${dir}, so it could ` +
          "read and change every bot's store",
        "give the bot a folder of its own (dir: in bots/bots.yaml)",
      );
    }
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = openSqliteStore(`${dir}/${spec.name}.sqlite`, {
      bot: spec.name,
      quotaBytes: (spec.budgets.storeKb ?? DEFAULTS.budgets.store_kb) * 1024,
    });
    open.set(spec.name, store);
    return store;
  };
  return {
    dir,
    handle: (spec, op) => {
      try {
        const store = storeOf(spec);
        switch (op.op) {
          case "get":
            return { ok: true, result: { op: "get", entry: store.get(op.key) } };
          case "list":
            return {
              ok: true,
              result: { op: "list", ...store.list(op.prefix, op.limit, op.reverse, op.cursor) },
            };
          case "commit":
            return { ok: true, result: store.commit(op.checks, op.writes) };
          case "usage":
            return { ok: true, result: { op: "usage", ...store.usage() } };
        }
      } catch (e) {
        if (e instanceof StoreFailure) {
          return { ok: false, error: { code: e.code, message: e.message, fix: e.fix } };
        }
        return {
          ok: false,
          error: {
            code: "unavailable",
            message: `bot "${spec.name}": its store could not be used: ${
              e instanceof Error ? e.message : e
            }`,
            fix: `check that ${dir} is writable and not on a full disk`,
          },
        };
      }
    },
    close: () => {
      for (const store of open.values()) {
        try {
          store.close();
        } catch {
          // already closed
        }
      }
      open.clear();
    },
  };
}
