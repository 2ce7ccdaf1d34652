/**
 * The contract between the host (which supervises bot processes) and the sandbox (which decides how
 * a bot process is started). The host never builds a command line itself.
 */
import type { BotPermissions } from "../manifest/types.ts";

/** How strongly a bot is isolated. */
export type IsolationLevel = "os" | "deno";

/** Everything the sandbox needs to start one bot process. */
export interface LaunchSpec {
  name: string;
  /** Absolute path of the bot's folder; bound read-only (plus granted paths). */
  botDir: string;
  /** Absolute path of the bot process entry (`runtime/bot/entry.ts`). */
  entry: string;
  /** Absolute paths the bot process must read to run the bot API (entry, mod.ts, runtime/bot/ …). */
  apiPaths: readonly string[];
  /** Arguments passed to the entry after the script path. */
  entryArgs: readonly string[];
  permissions: BotPermissions;
  heapMb: number;
  /** OS CPU-time limit in seconds for the whole process, where the OS layer can set one. */
  cpuSeconds?: number;
  /** Required level; `os` makes {@link LaunchPlan} creation fail without the OS layer. */
  require: "os" | "any";
  /**
   * Host folder (must exist) used as the bot's DENO_DIR and bound read-write, for a cache that
   * survives restarts or for pre-fetched npm packages. Without it the OS level uses a private
   * tmpfs and the `deno` level a per-bot folder under the temporary directory.
   */
  cacheDir?: string;
  /**
   * Host folder prepared by `prepareNpmCache` for the packages in `permissions.npm` (required when
   * there are any). The OS level mounts its `npm/` tree read-only; nothing else of it is visible.
   */
  npmCache?: string;
}

/** A ready-to-spawn command. */
export interface LaunchPlan {
  cmd: string;
  args: string[];
  /** The complete environment of the child (the parent's is never inherited). */
  env: Record<string, string>;
  level: IsolationLevel;
  /** Why this level was chosen, for `start`/`check` output. */
  why: string;
  /** Working directory for the child: the bot's folder. */
  cwd?: string;
}
