/**
 * Finds out once, at start-up, how strongly bot processes can be isolated on this machine.
 *
 * The strong level (`os`) is bubblewrap on Linux: a fresh mount, PID, IPC, UTS, cgroup (and
 * network) namespace in which the bot sees only the Deno binary, its libraries, the bot API files
 * and its own folder. It is only reported available after a real probe succeeded here (bwrap being
 * installed is not enough: containers and some distributions forbid unprivileged user
 * namespaces), and the probe runs Deno itself inside the exact bind layout bots get, so a missing
 * shared library shows up now rather than as a bot that never starts.
 *
 * Everything else (Windows, macOS, Linux without a working bwrap) gets the `deno` level: Deno's
 * permission flags only, which do NOT stop `import()` from reading files (see {@link weakerWarning}).
 *
 * @module
 */
import type { IsolationLevel } from "./types.ts";

/** A shared library to bind into the sandbox: `source` (real file) appears at `target`. */
export interface LibBind {
  source: string;
  target: string;
}

/** What {@link detectSandbox} found; plain data, so `buildLaunch` stays a pure function. */
export interface DetectedSandbox {
  /** The strongest level available here. */
  level: IsolationLevel;
  /** The OS layer, when there is one. */
  os: {
    available: boolean;
    /** `bubblewrap` when found (even if it does not work here), else null. */
    tool: "bubblewrap" | null;
    /** Absolute path of `bwrap`, when found. */
    path?: string;
    /** e.g. `0.8.0`. */
    version?: string;
    /** Why it is or is not available, for `start`/`check` output. */
    why: string;
  };
  /** Absolute path of the Deno binary bots run with (`Deno.execPath()` by default). */
  denoPath: string;
  /** Shared libraries the Deno binary needs, bound read-only at the OS level. */
  libs: readonly LibBind[];
  /** Absolute path of `prlimit` (util-linux), used for the CPU-time limit; absent elsewhere. */
  prlimit?: string;
  /** Operating system (`Deno.build.os`). */
  platform: string;
  /** A host temporary directory for per-bot caches at the `deno` level. */
  tmpDir: string;
}

/** Options of {@link detectSandbox}. */
export interface DetectOptions {
  /** Force the weaker level (e.g. to test it, or `MMDBOT_SANDBOX=deno`). */
  force?: "deno";
  /** Deno binary to run bots with (default `Deno.execPath()`). */
  denoPath?: string;
  /** Where to look for `bwrap`, `prlimit` and `ldd` (default: the `PATH` environment variable). */
  searchPath?: string;
}

/** The Debian/Ubuntu package that provides `bwrap`. */
export const BWRAP_PACKAGE = "bubblewrap";

/**
 * Detects the isolation level available here. Call once at start-up; it spawns a few short
 * processes (`bwrap --version`, `ldd`, two probes).
 *
 * @example
 * ```ts
 * const detected = await detectSandbox();
 * if (detected.level === "deno") console.error(weakerWarning(detected));
 * ```
 */
export async function detectSandbox(options: DetectOptions = {}): Promise<DetectedSandbox> {
  const platform = Deno.build.os;
  const denoPath = options.denoPath ?? Deno.execPath();
  const searchPath = options.searchPath ?? Deno.env.get("PATH") ?? "";
  const tmpDir = Deno.env.get("TMPDIR") ?? Deno.env.get("TEMP") ?? Deno.env.get("TMP") ??
    (platform === "windows" ? "C:\\Windows\\Temp" : "/tmp");
  const base = { denoPath, platform, tmpDir, libs: [] as LibBind[] };

  if (platform !== "linux") {
    return weak(base, null, `no OS sandbox on ${platform} (bubblewrap is Linux-only)`);
  }
  const prlimit = findProgram("prlimit", searchPath);
  const withLimits = prlimit ? { ...base, prlimit } : base;
  if (options.force === "deno") {
    return weak(withLimits, null, "the weaker level was requested (MMDBOT_SANDBOX=deno)");
  }
  const bwrap = findProgram("bwrap", searchPath);
  if (!bwrap) {
    return weak(
      withLimits,
      null,
      `bwrap not found on PATH (install the ${BWRAP_PACKAGE} package: apt-get install ${BWRAP_PACKAGE})`,
    );
  }
  const version = (await run(bwrap, ["--version"])).stdout.trim().replace(/^bubblewrap\s+/, "");
  const found = { tool: "bubblewrap" as const, path: bwrap, version };

  const namespaces = await run(bwrap, [
    "--unshare-all",
    "--die-with-parent",
    "--ro-bind",
    "/",
    "/",
    "true",
  ]);
  if (!namespaces.ok) {
    return weak(
      withLimits,
      found,
      `bwrap ${version} cannot create namespaces here (${firstLine(namespaces.stderr)}); ` +
        "unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, " +
        "AppArmor's apparmor_restrict_unprivileged_userns, or a container without them)",
    );
  }

  const ldd = findProgram("ldd", searchPath);
  const libs = ldd ? await sharedLibraries(ldd, denoPath) : undefined;
  const layouts: LibBind[][] = [];
  if (libs) layouts.push(libs);
  layouts.push(libraryDirs());
  for (const layout of layouts) {
    const probe = await run(bwrap, [...probeArgs(denoPath, layout), denoPath, "--version"]);
    if (probe.ok && probe.stdout.startsWith("deno ")) {
      return {
        ...withLimits,
        libs: layout,
        level: "os",
        os: {
          available: true,
          ...found,
          why: `bubblewrap ${version} works here (Deno runs in a private mount namespace)`,
        },
      };
    }
  }
  return weak(
    withLimits,
    found,
    `bwrap ${version} works, but Deno would not start inside it with its libraries bound`,
  );
}

/**
 * A loud, multi-line warning for `start` and `check` when bots run at the weaker level: what it
 * does not protect, and how to get the strong level.
 */
export function weakerWarning(detected: DetectedSandbox): string {
  const fix = detected.platform === "linux"
    ? `install bubblewrap (Debian/Ubuntu: sudo apt-get install ${BWRAP_PACKAGE}; ` +
      `Fedora: sudo dnf install ${BWRAP_PACKAGE}) and make sure user namespaces are allowed`
    : "run mmdbot on Linux with bubblewrap for the strong level";
  return [
    "WARNING: bots run with WEAKER isolation (Deno permissions only).",
    `  why: ${detected.os.why}`,
    "  A bot can still read any file this user can read through import() with",
    '  { with: { type: "text" } } / "json" / "bytes", and through import error messages.',
    "  Network, writes, environment, subprocesses and FFI stay denied unless granted.",
    `  fix: ${fix}. Bots with isolation: os in bots/bots.yaml will not start.`,
  ].join("\n");
}

/** Parses `ldd` output into binds of each library's real file at the path the loader asks for. */
export function parseLdd(text: string): { target: string }[] {
  const targets: { target: string }[] = [];
  for (const line of text.split("\n")) {
    const arrow = line.match(/=>\s+(\/\S+)/);
    const bare = line.match(/^\s*(\/\S+)\s+\(/);
    const target = arrow?.[1] ?? bare?.[1];
    if (target && !targets.some((t) => t.target === target)) targets.push({ target });
  }
  return targets;
}

/** The bwrap arguments of the detection probe: the same library layout bots get. */
function probeArgs(denoPath: string, libs: readonly LibBind[]): string[] {
  const args = ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--clearenv"];
  args.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp");
  for (const lib of libs) args.push("--ro-bind", lib.source, lib.target);
  args.push("--ro-bind", denoPath, denoPath, "--setenv", "DENO_DIR", "/tmp/deno-dir");
  return args;
}

/** The libraries `ldd` lists for the Deno binary, each with its real file as the bind source. */
async function sharedLibraries(ldd: string, denoPath: string): Promise<LibBind[] | undefined> {
  const out = await run(ldd, [denoPath]);
  if (!out.ok) return undefined;
  const binds: LibBind[] = [];
  for (const { target } of parseLdd(out.stdout)) {
    try {
      binds.push({ source: Deno.realPathSync(target), target });
    } catch {
      return undefined;
    }
  }
  return binds;
}

/** Fallback when `ldd` is missing or not enough: the system library folders, read-only. */
function libraryDirs(): LibBind[] {
  const dirs = ["/lib", "/lib64", "/lib32", "/usr/lib", "/usr/lib64", "/usr/lib32"];
  const binds: LibBind[] = [];
  for (const dir of dirs) {
    try {
      binds.push({ source: Deno.realPathSync(dir), target: dir });
    } catch {
      // not on this system
    }
  }
  return binds;
}

function weak(
  base: Omit<DetectedSandbox, "level" | "os">,
  found: { tool: "bubblewrap"; path: string; version: string } | null,
  why: string,
): DetectedSandbox {
  return { ...base, level: "deno", os: { available: false, tool: null, ...found, why } };
}

/** The first executable named `name` in the `:`-separated `searchPath`. */
function findProgram(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a short command with an empty environment; never throws. */
async function run(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      ok: out.success,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (error) {
    return { ok: false, stdout: "", stderr: String(error) };
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] || "no error message";
}
