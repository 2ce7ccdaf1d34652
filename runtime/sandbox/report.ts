/**
 * One line per bot for `start` and `check`: which isolation level it runs with and what it can
 * reach, e.g. `greeter: os (bubblewrap 0.8.0: own folder read-only, no network)` or
 * `greeter: deno (WEAKER: bwrap not found on PATH …; own folder read-only, no network)`.
 *
 * @module
 */
import type { BotPermissions, Grant } from "../manifest/types.ts";
import type { DetectedSandbox } from "./detect.ts";
import type { IsolationLevel, LaunchPlan } from "./types.ts";

/** What a bot can reach, in words: `own folder read-only, no network`. */
export function describeGrants(botDir: string, permissions: BotPermissions): string {
  const parts: string[] = [];
  const writesOwn = permissions.write === true ||
    (Array.isArray(permissions.write) && permissions.write.includes(botDir));
  parts.push(writesOwn ? "own folder read-write" : "own folder read-only");
  if (permissions.read === true) parts.push("reads everything");
  else if (isList(permissions.read)) parts.push(`also reads ${count(permissions.read, "path")}`);
  if (permissions.write === true) parts.push("writes everywhere");
  else if (isList(permissions.write)) {
    const others = permissions.write.filter((p) => p !== botDir);
    if (others.length > 0) parts.push(`writes ${count(others, "path")}`);
  }
  parts.push(
    permissions.net === true
      ? "full network"
      : isList(permissions.net)
      ? `network to ${permissions.net.join(", ")}`
      : "no network",
  );
  if (permissions.env === true) parts.push("all environment variables");
  else if (isList(permissions.env)) parts.push(`env ${permissions.env.join(", ")}`);
  if (permissions.run === true) parts.push("runs any program");
  else if (isList(permissions.run)) parts.push(`runs ${permissions.run.join(", ")}`);
  if (permissions.npm.length > 0) parts.push(`npm ${permissions.npm.join(", ")}`);
  return parts.join(", ");
}

/** The `why` of a {@link LaunchPlan}: the tool (or the weakness) and the grants. */
export function describeLevel(
  level: IsolationLevel,
  detected: DetectedSandbox,
  grants: string,
): string {
  if (level === "os") {
    return `bubblewrap ${detected.os.version ?? ""}: ${grants}`.replace(" :", ":");
  }
  return `WEAKER: ${detected.os.why}; Deno permissions only, import() can read any file; ${grants}`;
}

/**
 * The per-bot line printed by `start` and `check`.
 *
 * @example
 * ```ts
 * isolationLine("greeter", plan); // "greeter: os (bubblewrap 0.8.0: own folder read-only, no network)"
 * ```
 */
export function isolationLine(name: string, plan: Pick<LaunchPlan, "level" | "why">): string {
  return `${name}: ${plan.level} (${plan.why})`;
}

/** The line for a bot that cannot start because it requires the OS layer. */
export function refusedLine(name: string, error: Error): string {
  return `${name}: NOT STARTED (${error.message})`;
}

function isList(grant: Grant): grant is readonly string[] {
  return Array.isArray(grant) && grant.length > 0;
}

function count(list: readonly string[], noun: string): string {
  return list.length === 1 ? list[0] : `${list.length} ${noun}s`;
}
