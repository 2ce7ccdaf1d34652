/**
 * How to run mmdbot from outside this project: the Deno to name, and the complete
 * `Plugin_AnyScript_Command=` line for an `.mdf`. MMDAgent-EX runs that line without a shell, in
 * the `.mdf`'s folder, with its own PATH: so every path in it is absolute, and Deno is named by a
 * path that stays valid (never a throw-away npx cache folder).
 *
 * @module
 */
import { CLI_MAIN, DEFAULT_MANIFEST, PROJECT_DIR } from "./project.ts";
import { join, resolve as resolvePath } from "node:path";
import { findOnPath } from "./which.ts";

/** The permissions `deno task start` grants the runtime (the bots get far less, per manifest). */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-run",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];

/** Whether `path` is a Deno binary inside npx's cache (`…/_npx/<hash>/…`), which npm may delete. */
export function isNpxCache(path: string): boolean {
  return /[\\/]_npx[\\/]/.test(path);
}

/**
 * The words that start Deno: the running binary's absolute path, or, when that binary lives in
 * npx's cache, `npx -y deno@<version>` (which needs Node's `npx` on the caller's PATH).
 *
 * @example
 * ```ts
 * import { denoWords } from "./invocation.ts";
 * denoWords("/usr/local/bin/deno", "2.9.6"); // ["/usr/local/bin/deno"]
 * denoWords("/home/me/.npm/_npx/1a2b/node_modules/deno/deno", "2.9.6"); // ["npx", "-y", "deno@2.9.6"]
 * ```
 */
export function denoWords(
  execPath: string = Deno.execPath(),
  version: string = Deno.version.deno,
): string[] {
  return isNpxCache(execPath) ? ["npx", "-y", `deno@${version}`] : [execPath];
}

/** Options of {@link anyScriptCommand}. */
export interface AnyScriptCommandOptions {
  /** The bot manifest (default: the project's `bots/bots.yaml`, left out of the line). */
  manifest?: string;
  /** Deno's words (default {@link denoWords}). */
  deno?: string[];
}

/**
 * The value of `Plugin_AnyScript_Command=` that starts this mmdbot as MMDAgent-EX's child, from
 * any folder: absolute paths only, no shell syntax, no quotes (MMDAgent-EX splits at spaces).
 */
export function anyScriptCommand(options: AnyScriptCommandOptions = {}): string {
  const words = [
    ...(options.deno ?? denoWords()),
    "run",
    "--no-prompt",
    "--config",
    join(PROJECT_DIR, "deno.json"),
    ...RUNTIME_PERMISSIONS,
    CLI_MAIN,
    "start",
    "--stdio",
  ];
  if (options.manifest !== undefined && options.manifest !== DEFAULT_MANIFEST) {
    words.push("--bots", options.manifest);
  }
  return words.join(" ");
}

/**
 * Why the AnyScript line cannot work as printed, or undefined: MMDAgent-EX splits the line at
 * spaces and tabs with no way to quote, so no path in it may hold one.
 */
export function anyScriptTrouble(command: string, paths: readonly string[]): string | undefined {
  const bad = paths.filter((p) => /[ \t]/.test(p));
  if (bad.length === 0) return undefined;
  return `MMDAgent-EX splits the AnyScript line at spaces and cannot quote, so these paths break ` +
    `it: ${bad.join(", ")}. Move them to a folder without spaces (or start a wrapper script ` +
    `without spaces in its path). Line: ${command}`;
}

/** Whether a `deno` executable is on `PATH`. */
export function denoOnPath(path?: string): boolean {
  return findOnPath("deno", path ?? safeEnv("PATH")) !== undefined;
}

/**
 * How a person starts Deno in printed next steps: `deno` when one is on PATH, else
 * `npx -y deno@<version>` (the README's set-up needs only Node's npx).
 */
export function denoForPeople(onPath: boolean = denoOnPath()): string {
  return onPath ? "deno" : `npx -y deno@${Deno.version.deno}`;
}

/** Options of {@link mmdbotCommand}. */
export interface MmdbotCommandOptions {
  /** The folder the command will be typed in (default the working directory). */
  cwd?: string;
  /** How Deno is started (default {@link denoForPeople}). */
  deno?: string;
}

/**
 * A command line for people to type: `mmdbot <args>` as it runs on this machine without a global
 * `mmdbot` (and, when no `deno` is on PATH, without a global `deno`): `deno task mmdbot …` or
 * `npx -y deno@<version> task mmdbot …` in the project folder, with `--config <project>/deno.json`
 * from anywhere else. The task then runs in the project folder, so callers pass absolute paths
 * (see {@link shellPath}).
 *
 * @example
 * ```ts
 * import { mmdbotCommand } from "./invocation.ts";
 * mmdbotCommand("stop /home/me/content/main.mdf", { cwd: "/home/me", deno: "deno" });
 * // "deno task --config <project>/deno.json mmdbot stop /home/me/content/main.mdf"
 * ```
 */
export function mmdbotCommand(args: string, options: MmdbotCommandOptions = {}): string {
  const deno = options.deno ?? denoForPeople();
  let here = PROJECT_DIR;
  try {
    here = options.cwd ?? Deno.cwd();
  } catch { /* no read permission for the cwd: assume the project folder */ }
  const task = resolvePath(here) === PROJECT_DIR
    ? `${deno} task mmdbot`
    : `${deno} task --config ${shellPath(join(PROJECT_DIR, "deno.json"))} mmdbot`;
  return args === "" ? task : `${task} ${args}`;
}

/** `path` made absolute and quoted for a POSIX shell when it needs quoting. */
export function shellPath(path: string): string {
  const abs = resolvePath(path);
  return /^[\w@%+=:,./-]+$/.test(abs) ? abs : `'${abs.replaceAll("'", `'\\''`)}'`;
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
