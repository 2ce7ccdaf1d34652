/**
 * Turns a {@link LaunchSpec} (what a bot may do) into a ready-to-spawn {@link LaunchPlan} (the exact
 * command line and environment). A pure function of its inputs, so the argv is unit-tested as is.
 *
 * Two layers, strongest first:
 * - **OS (bubblewrap)**: fresh namespaces, the network namespace shared only when `net` is granted,
 *   all capabilities dropped (bwrap keeps them when started by root), a new session (no TIOCSTI
 *   into the host's terminal), dies with its parent, an empty tmpfs root holding read-only binds of
 *   only the Deno binary and its libraries, the bot API files and the bot's folder, plus granted
 *   paths. This closes the `import()` read hole: a file not bound does not exist.
 * - **Deno permissions**: always applied, also inside the OS layer.
 *
 * Deno flags, always: `--no-prompt` (a prompt would hang a headless bot), `--no-remote`, `--no-npm`
 * (unless the manifest lists npm packages: then `--cached-only` over the folder the host prepared
 * with `prepareNpmCache`, whose `npm/` tree the OS level mounts read-only inside the bot's private
 * DENO_DIR), `--no-config` and `--no-lock` (the project's deno.json and lock file are
 * not the bot's), `--no-check` (type checking is done once by `check` and the host's loader, not on
 * every spawn: it would cost seconds per start and need the type cache), a V8 old-space cap.
 *
 * Limits: CPU time via `prlimit --cpu` (util-linux) wrapped around the whole command when the spec
 * asks for one; memory via V8's `--max-old-space-size` plus the host's watchdog. `RLIMIT_AS` is not
 * used: V8 reserves large virtual ranges up front (pointer-compression cage, Oilpan's caged heap),
 * and measured here `prlimit --as=2000000000 deno` dies at start with "Fatal process out of memory:
 * Oilpan: CagedHeap reservation".
 *
 * @module
 */
import type { Grant } from "../manifest/types.ts";
import type { DetectedSandbox } from "./detect.ts";
import { BWRAP_PACKAGE } from "./detect.ts";
import { describeGrants, describeLevel } from "./report.ts";
import type { LaunchPlan, LaunchSpec } from "./types.ts";
import { MmdbotError } from "../errors/error.ts";

/** Where HOME and DENO_DIR live inside the OS sandbox (a private tmpfs). */
export const SANDBOX_TMP = "/tmp";

/** Options of {@link buildLaunch}. */
export interface BuildOptions {
  /**
   * The host's environment, read only for variables the bot's `env:` grant names (all of them for
   * `env: true`) and, on Windows, the few Deno needs to start. Nothing else is passed on.
   */
  hostEnv?: Readonly<Record<string, string>>;
}

/** Thrown when a bot requires the OS layer (`isolation: os`) and this machine has none. */
export class SandboxUnavailableError extends MmdbotError {
  /** Creates the error for bot `name`; the message names the missing tool and the package. */
  constructor(name: string, why: string) {
    super(
      `bot "${name}" requires isolation: os, but the OS sandbox is not available here: ${why}. ` +
        `Fix: install bwrap (Debian/Ubuntu package "${BWRAP_PACKAGE}": sudo apt-get install ` +
        `${BWRAP_PACKAGE}) on Linux with user namespaces allowed, or set isolation: any for ` +
        `"${name}" in bots/bots.yaml to accept the weaker level.`,
    );
    this.name = "SandboxUnavailableError";
  }
}

/** Environment variables Deno needs on Windows to start at all. */
const WINDOWS_ENV = ["SystemRoot", "SYSTEMROOT", "windir", "TEMP", "TMP", "USERPROFILE"];

/**
 * Builds the command that starts one bot process.
 *
 * @example
 * ```ts
 * const detected = await detectSandbox();
 * const plan = buildLaunch(spec, detected);
 * const child = new Deno.Command(plan.cmd, {
 *   args: plan.args, env: plan.env, clearEnv: true, cwd: plan.cwd,
 *   stdin: "piped", stdout: "piped", stderr: "piped",
 * }).spawn();
 * ```
 * @throws {SandboxUnavailableError} when `spec.require` is `os` and the OS layer is unavailable.
 */
export function buildLaunch(
  spec: LaunchSpec,
  detected: DetectedSandbox,
  options: BuildOptions = {},
): LaunchPlan {
  for (const path of [spec.botDir, spec.entry, ...spec.apiPaths]) {
    if (!path.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(path)) {
      throw new Error(`sandbox: "${path}" must be an absolute path (bot "${spec.name}")`);
    }
  }
  const os = detected.level === "os" && detected.os.available;
  if (spec.require === "os" && !os) throw new SandboxUnavailableError(spec.name, detected.os.why);
  const p = spec.permissions;
  if (p.npm.length > 0 && !spec.npmCache) {
    throw new Error(
      `sandbox: bot "${spec.name}" lists npm packages; the host must prepare them first ` +
        "(prepareNpmCache) and pass the folder as npmCache",
    );
  }

  const home = os
    ? `${SANDBOX_TMP}/home`
    : join(detected.tmpDir, `mmdbot-bot-${spec.name}`, "home");
  // At the OS level the packages appear read-only inside the private DENO_DIR; at the deno level
  // the prepared folder itself is the DENO_DIR (the bot's code has no write permission to it).
  const denoDir = spec.cacheDir ?? (os ? `${SANDBOX_TMP}/deno-dir` : spec.npmCache ??
    join(detected.tmpDir, `mmdbot-bot-${spec.name}`, "deno-dir"));
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_DIR: denoDir,
    HOME: home,
    DENO_NO_UPDATE_CHECK: "1",
    PATH: "/usr/local/bin:/usr/bin:/bin",
  };
  const hostEnv = options.hostEnv ?? {};
  if (detected.platform === "windows") {
    delete env.PATH;
    for (const name of WINDOWS_ENV) if (hostEnv[name] !== undefined) env[name] = hostEnv[name];
  }
  const envNames = p.env === true ? Object.keys(hostEnv) : p.env === false ? [] : p.env;
  for (const name of envNames) {
    if (hostEnv[name] !== undefined && !(name in env)) env[name] = hostEnv[name];
  }

  const readable = unique([...spec.apiPaths, spec.entry, spec.botDir]);
  const denoArgs = [
    "run",
    "--no-prompt",
    "--no-remote",
    p.npm.length > 0 ? "--cached-only" : "--no-npm",
    "--no-config",
    "--no-lock",
    "--no-check",
    `--v8-flags=--max-old-space-size=${spec.heapMb}`,
    ...flag("read", p.read === true ? true : [...readable, ...list(p.read)]),
    ...flag("write", p.write),
    ...flag("net", p.net),
    ...flag("env", p.env),
    ...flag("run", p.run),
    spec.entry,
    ...spec.entryArgs,
  ];

  const grants = describeGrants(spec.botDir, p);
  const level = os ? "os" : "deno";
  const why = describeLevel(level, detected, grants);
  const limit = detected.prlimit && spec.cpuSeconds !== undefined
    ? [detected.prlimit, `--cpu=${spec.cpuSeconds}:${spec.cpuSeconds + 1}`, "--"]
    : [];

  if (!os) {
    const command = [...limit, detected.denoPath, ...denoArgs];
    return { cmd: command[0], args: command.slice(1), env, level, why, cwd: spec.botDir };
  }

  const bwrap = detected.os.path ?? "bwrap";
  const args: string[] = [];
  if (p.write === true) args.push("--bind", "/", "/");
  else if (p.read === true) args.push("--ro-bind", "/", "/");
  args.push(
    "--unshare-all",
    ...(p.net === false || (Array.isArray(p.net) && p.net.length === 0) ? [] : ["--share-net"]),
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
  );
  for (const [name, value] of Object.entries(env)) args.push("--setenv", name, value);
  args.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", SANDBOX_TMP);
  for (const lib of detected.libs) args.push("--ro-bind", lib.source, lib.target);
  args.push("--ro-bind", detected.denoPath, detected.denoPath);
  if (p.net !== false) {
    for (const file of ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"]) {
      args.push("--ro-bind-try", file, file);
    }
  }
  if (p.run !== false && p.read !== true) {
    // Programs need the system's binaries, libraries and configuration. Granting `run` is close to
    // granting everything in Deno's own model; the mount namespace still hides the user's files.
    for (const dir of ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"]) {
      args.push("--ro-bind-try", dir, dir);
    }
  }
  for (const path of unique([...spec.apiPaths, spec.entry])) {
    if (!isInside(path, spec.botDir)) args.push("--ro-bind", path, path);
  }
  const ownWrite = p.write === true || list(p.write).includes(spec.botDir);
  args.push(ownWrite ? "--bind" : "--ro-bind", spec.botDir, spec.botDir);
  for (const path of list(p.read)) if (path !== spec.botDir) args.push("--ro-bind-try", path, path);
  for (const path of list(p.write)) {
    if (path !== spec.botDir) args.push("--bind-try", path, path);
  }
  if (spec.cacheDir) args.push("--bind", spec.cacheDir, spec.cacheDir);
  if (spec.npmCache && p.npm.length > 0) {
    args.push("--ro-bind", `${spec.npmCache}/npm`, `${denoDir}/npm`);
  }
  args.push("--chdir", spec.botDir, detected.denoPath, ...denoArgs);

  const command = [...limit, bwrap, ...args];
  return { cmd: command[0], args: command.slice(1), env, level, why, cwd: spec.botDir };
}

/** `--allow-<name>` for a grant: nothing, the bare flag, or a scoped list. */
function flag(name: string, grant: Grant): string[] {
  if (grant === false) return [];
  if (grant === true) return [`--allow-${name}`];
  if (grant.length === 0) return [];
  for (const item of grant) {
    if (item.includes(",")) {
      throw new Error(`sandbox: "${item}" cannot be granted: Deno separates ${name} scopes by ","`);
    }
  }
  return [`--allow-${name}=${unique(grant).join(",")}`];
}

/** Whether `path` is below `dir` (then binding `dir` covers it). */
function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

function list(grant: Grant): readonly string[] {
  return Array.isArray(grant) ? grant : [];
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function join(dir: string, ...parts: string[]): string {
  const separator = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  return [dir.replace(/[\\/]+$/, ""), ...parts].join(separator);
}
