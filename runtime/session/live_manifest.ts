/**
 * The manifest is live: saving `bots/bots.yaml` while `start` runs applies it (added bots start,
 * removed bots stop, a changed entry restarts only that bot), and `reload` re-reads it too. An
 * invalid edit is reported with `file:line:col` and the running set is kept. The connection is
 * never touched: only the host's bots change.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "../log/logger.ts";
import type { Host, ManifestChange } from "../host/host.ts";
import { loadManifest, ManifestError } from "../manifest/load.ts";
import { lintBots } from "../manifest/lint_bots.ts";
import type { Manifest } from "../manifest/types.ts";
import { formatDiagnostic } from "../text/diagnostic.ts";

/** Quiet time after the last write before the manifest is re-read (editors save in steps). */
export const MANIFEST_DEBOUNCE_MS = 200;

/** What one re-read did. */
export type ManifestReread =
  | { ok: true; change: ManifestChange }
  | { ok: false; error: ManifestError };

/** A live manifest. */
export interface LiveManifest {
  /** Re-reads and applies the manifest now (what a save and `reload` do). */
  reread(): Promise<ManifestReread>;
  /** Stops watching. */
  close(): void;
}

/** Options of {@link liveManifest}. */
export interface LiveManifestOptions {
  /** The manifest file. */
  file: string;
  host: Host;
  logger: Logger;
  /** Watch the file for saves (default true). */
  watch?: boolean;
  /** Applied to each manifest read (e.g. `start`'s default load timeout). */
  prepare?: (m: Manifest) => Manifest;
}

/** Starts watching `file` and applying it to `host`. */
export function liveManifest(options: LiveManifestOptions): LiveManifest {
  const file = resolve(options.file);
  const log = options.logger;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const apply = async (): Promise<ManifestReread> => {
    let next: Manifest;
    try {
      next = await loadManifest(file);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      log.error(`${e.message}\n  the running bots are kept; fix the manifest and save it again`);
      return { ok: false, error: e };
    }
    if (options.prepare) next = options.prepare(next);
    for (const d of await lintBots(next)) log.warn(formatDiagnostic(d));
    const change = await options.host.applyManifest(next);
    const parts = [
      change.added.length ? `started ${change.added.join(", ")}` : "",
      change.removed.length ? `stopped ${change.removed.join(", ")}` : "",
      change.restarted.length ? `restarted ${change.restarted.join(", ")}` : "",
    ].filter((p) => p !== "");
    log.info(
      `manifest ${basename(file)} applied: ${parts.length ? parts.join("; ") : "no change"}`,
    );
    return { ok: true, change };
  };
  const reread = () => {
    const run = chain.then(apply);
    chain = run.catch(() => {});
    return run;
  };

  let watcher: Deno.FsWatcher | undefined;
  if (options.watch !== false) {
    try {
      watcher = Deno.watchFs(dirname(file), { recursive: false });
    } catch (err) {
      log.warn(`cannot watch ${file} for changes: ${err instanceof Error ? err.message : err}`);
    }
  }
  if (watcher) {
    const w = watcher;
    let timer: ReturnType<typeof setTimeout> | undefined;
    (async () => {
      try {
        for await (const ev of w) {
          if (ev.kind === "access" || ev.kind === "other") continue;
          // Editors write a temp file and rename it over the manifest: match on the name.
          if (!ev.paths.some((p) => resolve(p) === file)) continue;
          clearTimeout(timer);
          timer = setTimeout(() => {
            if (!closed) void reread();
          }, MANIFEST_DEBOUNCE_MS);
        }
      } catch { /* closed */ }
      clearTimeout(timer);
    })();
  }

  return {
    reread,
    close() {
      closed = true;
      try {
        watcher?.close();
      } catch { /* closed */ }
    },
  };
}
