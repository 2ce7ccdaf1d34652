/**
 * The host's launcher: prepares a bot's npm packages when its manifest names any, then builds its
 * launch plan. The one place `start`, `check` and the test kit turn a bot into a command, so every
 * one of them fetches packages ahead of the start and hands env grants the host's values.
 *
 * @module
 */
import type { DetectedSandbox } from "./detect.ts";
import { buildLaunch } from "./launch.ts";
import { prepareNpmCache } from "./npm_cache.ts";
import type { LaunchPlan, LaunchSpec } from "./types.ts";

/** Options of {@link createLauncher}. */
export interface LauncherOptions {
  /**
   * The host's environment: the source of the variables a bot's `env:` grant names and of the
   * registry/proxy settings for fetching packages (default: this process's environment).
   */
  hostEnv?: Readonly<Record<string, string>>;
  /** Folder of prepared package caches (default `defaultNpmCacheRoot`). */
  npmRoot?: string;
}

/**
 * A launcher for `createHost`: `await launcher(spec)` fetches the bot's npm packages (once per
 * package list; later calls cost a stat) and returns the plan.
 *
 * @example
 * ```ts
 * const launcher = createLauncher(await detectSandbox());
 * const plan = await launcher(launchSpecOf(spec));
 * ```
 * @throws {NpmCacheError} when a package cannot be fetched (the message names it).
 */
export function createLauncher(
  detected: DetectedSandbox,
  options: LauncherOptions = {},
): (spec: LaunchSpec) => Promise<LaunchPlan> {
  return async (spec) => {
    const hostEnv = options.hostEnv ?? safeEnv();
    const npm = spec.permissions.npm;
    const npmCache = npm.length > 0 && !spec.npmCache
      ? await prepareNpmCache(spec.name, npm, { root: options.npmRoot, hostEnv })
      : spec.npmCache;
    return buildLaunch({ ...spec, npmCache }, detected, { hostEnv });
  };
}

function safeEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}
