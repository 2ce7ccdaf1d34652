/**
 * Runs one hostile bot fixture (tests/sandbox/hostile/<name>/bot.ts) as the bot process entry,
 * started exactly as the host would start a bot: through buildLaunch, with a cleared environment.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BotPermissions } from "../../runtime/manifest/types.ts";
import type { DetectedSandbox } from "../../runtime/sandbox/detect.ts";
import { buildLaunch } from "../../runtime/sandbox/launch.ts";
import type { LaunchPlan } from "../../runtime/sandbox/types.ts";

/** Folder of the hostile fixtures. */
export const HOSTILE = join(dirname(fileURLToPath(import.meta.url)), "hostile");
/** The repository root (its deno.json is one of the "runtime's own files" targets). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** No permissions at all: the default of a manifest entry. */
export const NONE: BotPermissions = {
  read: false,
  write: false,
  net: false,
  env: false,
  run: false,
  npm: [],
};

/** What a fixture printed about its attempt. */
export interface Verdict {
  escape: string;
  /** Which target, for fixtures that try one escape on several targets. */
  target?: string;
  ok: boolean;
  detail: string;
}

/** The finished run of one fixture. */
export interface FixtureRun {
  plan: LaunchPlan;
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** Every verdict line the fixture printed, in order. */
  verdicts: Verdict[];
}

/** Options of {@link runFixture}. */
export interface RunOptions {
  /** Passed to the fixture as its JSON argument. */
  cfg?: Record<string, unknown>;
  permissions?: Partial<BotPermissions>;
  heapMb?: number;
  cpuSeconds?: number;
  hostEnv?: Record<string, string>;
  /**
   * Start the bot from a parent process whose own initial environment holds these variables (as a
   * host holding API keys would), so `/proc/<ppid>/environ` is worth reading for a hostile bot.
   */
  parentEnv?: Record<string, string>;
  /** Generous guard against hangs; the child is killed after it. */
  timeoutMs?: number;
}

/** Builds the launch plan for fixture `name`. */
export function fixturePlan(
  name: string,
  detected: DetectedSandbox,
  options: RunOptions = {},
): LaunchPlan {
  const botDir = join(HOSTILE, name);
  return buildLaunch(
    {
      name,
      botDir,
      entry: join(botDir, "bot.ts"),
      apiPaths: [],
      entryArgs: [JSON.stringify(options.cfg ?? {})],
      permissions: { ...NONE, ...options.permissions },
      heapMb: options.heapMb ?? 64,
      cpuSeconds: options.cpuSeconds,
      require: "any",
    },
    detected,
    { hostEnv: options.hostEnv },
  );
}

/** The command that starts `plan`, optionally under a parent holding `parentEnv`. */
export function fixtureCommand(
  plan: LaunchPlan,
  options: RunOptions = {},
  io: { stdout: "piped" | "null"; stderr?: "piped" | "null" } = { stdout: "piped" },
): Deno.Command {
  if (options.parentEnv) {
    // sh keeps running as the bot's parent (the command is not its last), with the secret in its
    // initial environment; `env -i` hands the bot only the plan's environment.
    const assignments = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`);
    return new Deno.Command("/bin/sh", {
      args: ["-c", 'env -i "$@"; exit $?', "host", ...assignments, plan.cmd, ...plan.args],
      env: { PATH: "/usr/bin:/bin", ...options.parentEnv },
      clearEnv: true,
      cwd: plan.cwd,
      stdin: "null",
      stdout: io.stdout,
      stderr: io.stderr ?? "piped",
    });
  }
  return new Deno.Command(plan.cmd, {
    args: plan.args,
    env: plan.env,
    clearEnv: true,
    cwd: plan.cwd,
    stdin: "null",
    stdout: io.stdout,
    stderr: io.stderr ?? "piped",
  });
}

/** Runs fixture `name` to completion (or until the guard kills it) and parses its verdict. */
export async function runFixture(
  name: string,
  detected: DetectedSandbox,
  options: RunOptions = {},
): Promise<FixtureRun> {
  const plan = fixturePlan(name, detected, options);
  const child = fixtureCommand(plan, options).spawn();
  const guard = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 30_000);
  const out = await child.output();
  clearTimeout(guard);
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const stderr = decoder.decode(out.stderr);
  return { plan, code: out.code, signal: out.signal, stdout, stderr, verdicts: verdictsOf(stdout) };
}

/** The verdict lines in a fixture's output. */
export function verdictsOf(stdout: string): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const line of stdout.split("\n")) {
    try {
      const parsed = JSON.parse(line);
      if (parsed && typeof parsed.escape === "string") verdicts.push(parsed);
    } catch {
      // not a verdict line
    }
  }
  return verdicts;
}
