/**
 * Hot reload: watches each bot's folder and asks the host to reload the bot whose files changed,
 * debounced (editors write a file in several steps). The host keeps the previous version running
 * when the new one fails to load, and never touches the MMDAgent-EX connection.
 */

/**
 * Files whose change reloads a bot: code and configuration. Data a bot writes into its own folder
 * (e.g. `notes.txt`) must not restart it.
 */
export const RELOAD_EXTENSIONS = /\.(ts|tsx|mts|js|mjs|jsx|json|jsonc|yaml|yml)$/;

/** Quiet time after the last change before a reload. */
export const RELOAD_DEBOUNCE_MS = 150;

/** A running watcher. */
export interface BotWatcher {
  /** Stops watching. */
  close(): void;
}

/** Watches `bots` (name → folder) and calls `onChange(name)` once per burst of changes. */
export function watchBots(
  bots: readonly { name: string; dir: string }[],
  onChange: (name: string) => void,
  debounceMs = RELOAD_DEBOUNCE_MS,
): BotWatcher {
  const dirs = bots.map((b) => ({ ...b, prefix: b.dir.endsWith("/") ? b.dir : b.dir + "/" }));
  const watcher = Deno.watchFs(dirs.map((b) => b.dir), { recursive: true });
  const pending = new Map<string, number>();
  let closed = false;
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind === "access" || event.kind === "other") continue;
        for (const path of event.paths) {
          if (!RELOAD_EXTENSIONS.test(path)) continue;
          const bot = dirs.find((b) => path.startsWith(b.prefix) || path === b.dir);
          if (!bot) continue;
          clearTimeout(pending.get(bot.name));
          pending.set(
            bot.name,
            setTimeout(() => {
              pending.delete(bot.name);
              if (!closed) onChange(bot.name);
            }, debounceMs) as unknown as number,
          );
        }
      }
    } catch {
      // Closed while waiting.
    }
  })();
  return {
    close() {
      closed = true;
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    },
  };
}
