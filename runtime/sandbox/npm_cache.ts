/**
 * Prepares the npm packages a bot's manifest entry names, before the bot starts: `deno cache` runs
 * in the host (with network, outside any sandbox) into a folder of its own, and the bot process
 * later gets a read-only view of exactly that folder's `npm/` tree with `--cached-only` (see
 * `launch.ts`). The bot itself never downloads, and an import of any other package fails with
 * "npm package not found in cache".
 *
 * One folder per distinct package list (named by its hash), so bots naming the same packages share
 * it and a changed list gets a fresh folder. A folder is prepared under a temporary name and renamed
 * into place once complete, so a half-finished download is never used and two runtimes preparing
 * at once do not see each other's partial work. Later starts find the folder and spawn nothing.
 *
 * @module
 */
import { MmdbotError } from "../errors/error.ts";
/** Name of the file that marks a prepared folder (written last) and lists its packages. */
export const READY_FILE = "mmdbot-packages.json";

/** Options of {@link prepareNpmCache}. */
export interface NpmCacheOptions {
  /** Folder holding the prepared caches (default {@link defaultNpmCacheRoot}). */
  root?: string;
  /** Deno binary that downloads (default `Deno.execPath()`). */
  denoPath?: string;
  /**
   * The host's environment, given to `deno cache` as it is (the download runs as the host, not as
   * the bot: registry, proxy and certificate settings such as NODE_EXTRA_CA_CERTS must apply).
   */
  hostEnv?: Readonly<Record<string, string>>;
}

/** Preparing a bot's npm packages failed; the message names the package and the fix. */
export class NpmCacheError extends MmdbotError {
  /** The package that failed, as the manifest names it (`npm:yaml@2.9.1`), when known. */
  readonly packageName?: string;
  /** Creates the error for bot `bot`. */
  constructor(bot: string, packageName: string | undefined, detail: string) {
    const what = packageName ? `npm package "${packageName}"` : "its npm packages";
    super(
      `bot "${bot}": could not fetch ${what} named in permissions.npm: ${detail}. Fix: check the ` +
        `name and version in bots/bots.yaml (e.g. npm: ["yaml@2.9.1"]) and that the npm ` +
        "registry is reachable (NPM_CONFIG_REGISTRY, HTTPS_PROXY)",
    );
    this.name = "NpmCacheError";
    this.packageName = packageName;
  }
}

/**
 * Where prepared package folders live: `$MMDBOT_NPM_CACHE`, else `$XDG_CACHE_HOME/mmdbot/npm`,
 * else `~/.cache/mmdbot/npm` (`%LOCALAPPDATA%\mmdbot\npm` on Windows).
 */
export function defaultNpmCacheRoot(env: Readonly<Record<string, string>>): string {
  if (env.MMDBOT_NPM_CACHE) return env.MMDBOT_NPM_CACHE;
  if (env.XDG_CACHE_HOME) return `${env.XDG_CACHE_HOME}/mmdbot/npm`;
  if (env.LOCALAPPDATA) return `${env.LOCALAPPDATA}\\mmdbot\\npm`;
  return `${env.HOME ?? "/tmp"}/.cache/mmdbot/npm`;
}

/** The folder name for a package list: the same list (in any order) always maps to it. */
export async function cacheKey(packages: readonly string[]): Promise<string> {
  const text = [...new Set(packages)].sort().join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Makes sure `packages` (`npm:name@version`) are in a prepared folder and returns its absolute
 * path (to be the bot's DENO_DIR). Cheap when already prepared: one stat.
 *
 * @throws {NpmCacheError} naming the package that could not be fetched.
 */
export function prepareNpmCache(
  bot: string,
  packages: readonly string[],
  options: NpmCacheOptions = {},
): Promise<string> {
  const hostEnv = options.hostEnv ?? {};
  const root = options.root ?? defaultNpmCacheRoot(hostEnv);
  const run = async () => {
    const dir = `${root}/${await cacheKey(packages)}`;
    if (await isReady(dir)) return dir;
    const key = dir;
    const pending = inFlight.get(key);
    if (pending) return await pending;
    const work = download(bot, packages, root, dir, options.denoPath ?? Deno.execPath(), hostEnv);
    inFlight.set(key, work);
    try {
      return await work;
    } finally {
      inFlight.delete(key);
    }
  };
  return run();
}

async function isReady(dir: string): Promise<boolean> {
  try {
    await Deno.stat(`${dir}/${READY_FILE}`);
    return true;
  } catch {
    return false;
  }
}

async function download(
  bot: string,
  packages: readonly string[],
  root: string,
  dir: string,
  denoPath: string,
  hostEnv: Readonly<Record<string, string>>,
): Promise<string> {
  await Deno.mkdir(root, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: root, prefix: ".preparing-" });
  const env = { ...hostEnv, NO_COLOR: "1", DENO_DIR: tmp, DENO_NO_UPDATE_CHECK: "1" };
  try {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(denoPath, {
        args: ["cache", "--quiet", "--no-config", "--no-lock", ...packages],
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      throw new NpmCacheError(bot, undefined, `could not run deno cache (${e})`);
    }
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr);
      throw new NpmCacheError(bot, culprit(text, packages), firstError(text));
    }
    await Deno.writeTextFile(
      `${tmp}/${READY_FILE}`,
      JSON.stringify({ packages: [...packages].sort() }) + "\n",
    );
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      // Another runtime finished the same list first: use its folder.
      if (!(await isReady(dir))) throw e;
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
    return dir;
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** The package `deno cache`'s error is about: the one whose name its message quotes. */
export function culprit(stderr: string, packages: readonly string[]): string | undefined {
  const named = packages.map((p) => ({ p, name: packageName(p) }));
  // Longest names first, so "yaml-x" is not reported as "yaml".
  named.sort((a, b) => b.name.length - a.name.length);
  for (const { p, name } of named) {
    if (stderr.includes(`'${name}'`) || stderr.includes(`"${name}"`)) return p;
    if (stderr.includes(`'${name}@`) || stderr.includes(`${name}@`)) return p;
  }
  return packages.length === 1 ? packages[0] : undefined;
}

/** `npm:@scope/name@1.2.3` → `@scope/name`. */
export function packageName(spec: string): string {
  const bare = spec.replace(/^npm:/, "");
  const at = bare.indexOf("@", 1);
  return at === -1 ? bare : bare.slice(0, at);
}

function firstError(text: string): string {
  const line = text.split("\n").find((l) => l.startsWith("error:")) ?? text.trim().split("\n")[0];
  return (line ?? "deno cache failed").replace(/^error:\s*/, "").trim() || "deno cache failed";
}

/**
 * The manifest fix for a bot whose import of an npm package was refused (a package its manifest
 * entry does not name, or any package while it names none), or undefined for other errors.
 *
 * @example
 * ```ts
 * npmImportFix('npm package not found in cache: "left-pad", --cached-only is specified.', "qa");
 * // → 'bot "qa" imports npm package "left-pad", which bots/bots.yaml does not grant: …'
 * ```
 */
export function npmImportFix(message: string, bot: string): string | undefined {
  const missing = message.match(/npm package not found in cache: "([^"]+)"/) ??
    message.match(/Failed loading \S+ for package "([^"]+)"/) ??
    message.match(/Could not find npm package '([^']+)'/);
  if (missing) {
    return `bot "${bot}" imports npm package "${missing[1]}", which bots/bots.yaml does not ` +
      `grant: add it with its version under permissions.npm of "${bot}", e.g. npm: ` +
      `["${missing[1]}@<version>"] (and import it as "npm:${missing[1]}@<version>")`;
  }
  if (/--no-npm is specified/.test(message)) {
    return `bot "${bot}" imports an npm package, but bots/bots.yaml grants it none: list the ` +
      `packages with their versions under permissions.npm of "${bot}", e.g. npm: ["yaml@2.9.1"]`;
  }
  return undefined;
}
