/**
 * What `mmdbot check` does with the bots of a manifest: for each bot, the isolation level it would
 * get here (or why it would be refused), a type check of its module (`deno check` with the
 * repository's config), and a real load: the bot process is started exactly as the host starts it
 * (the sandbox's launch plan, the bot's permissions, {@link startInstance}'s spawn and IPC), waited
 * for until `ready` or its load error, then stopped. Every failure becomes a {@link BotProblem}
 * pointing at `file:line:col` in the author's code, with a fix.
 *
 * Why both: bots run with `--no-check` (type checking on every spawn would cost seconds), so a
 * type error only surfaces as a wrong value at run time; and a module can type-check yet fail to
 * load inside the sandbox (a read outside its folder at top level, a missing default export).
 *
 * @module
 */
import { realClock } from "../clock/clock.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import type { BotSpec, Manifest } from "../manifest/types.ts";
import type { DetectedSandbox } from "../sandbox/detect.ts";
import { SandboxUnavailableError } from "../sandbox/launch.ts";
import { createLauncher } from "../sandbox/launcher.ts";
import { npmImportFix } from "../sandbox/npm_cache.ts";
import { isolationLine, refusedLine } from "../sandbox/report.ts";
import type { IsolationLevel, LaunchPlan } from "../sandbox/types.ts";
import { launchSpecOf } from "./host.ts";
import { startInstance } from "./instance.ts";
import { displayPath } from "./load_error.ts";
import { permissionFix } from "../manifest/permission_hint.ts";
import { fileURLToPath } from "node:url";

/** One thing wrong with a bot, at a place in a file. */
export interface BotProblem {
  /** `type-error`, `load-error` or `isolation-unavailable`. */
  code: string;
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  col: number;
  message: string;
  fix: string;
}

/** What was found out about one bot. */
export interface BotCheck {
  name: string;
  /** The level the bot would run with; undefined when it would be refused. */
  level?: IsolationLevel;
  /** The line `start` and `check` print: `greeter: os (bubblewrap 0.8.0: …)` or `NOT STARTED`. */
  line: string;
  /** Whether `deno check` passed (undefined when not run). */
  typeChecked?: boolean;
  /** Whether the bot process loaded the module and said `ready` (undefined when not tried). */
  loaded?: boolean;
  problems: BotProblem[];
}

/** Options of {@link validateBots}. */
export interface ValidateOptions {
  /** The sandbox found on this machine (`detectSandbox()`). */
  detected: DetectedSandbox;
  /** Bots checked at once (default 2: each check is a `deno check` plus a bot process). */
  concurrency?: number;
  /** Receives the bot processes' output while they load (default: silent). */
  logger?: Logger;
  /** The Deno config used for type checking (default: this repository's deno.json). */
  config?: string;
  /** Skip the type check (tests of the load path). */
  typeCheck?: boolean;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** This repository's Deno config: bots are type-checked as the repository's code is. */
export const REPO_CONFIG: string = ROOT + "deno.json";

/**
 * Checks every bot of the manifest (enabled ones are also loaded; disabled ones are only type
 * checked), at most `concurrency` at a time; results come back in manifest order.
 *
 * @example
 * ```ts
 * const checks = await validateBots(await loadManifest("bots/bots.yaml"), {
 *   detected: await detectSandbox(),
 * });
 * for (const c of checks) console.log(c.line);
 * ```
 */
export async function validateBots(
  manifest: Manifest,
  options: ValidateOptions,
): Promise<BotCheck[]> {
  const enabled = manifest.bots.map((spec) => ({ spec, enabled: true }));
  const disabled = (manifest.disabled ?? []).map((spec) => ({ spec, enabled: false }));
  return await mapLimit(
    [...enabled, ...disabled],
    Math.max(1, options.concurrency ?? 2),
    ({ spec, enabled }) => checkBot(spec, enabled, options),
  );
}

async function checkBot(
  spec: BotSpec,
  enabled: boolean,
  options: ValidateOptions,
): Promise<BotCheck> {
  const problems: BotProblem[] = [];
  let plan: LaunchPlan | undefined;
  let line: string;
  try {
    plan = await createLauncher(options.detected)(launchSpecOf(spec));
    line = enabled
      ? isolationLine(spec.name, plan)
      : `${spec.name}: disabled (enabled: false), would run at ${plan.level}`;
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    line = refusedLine(spec.name, error);
    const [message, fix] = splitFix(error.message);
    problems.push({
      code: error instanceof SandboxUnavailableError ? "isolation-unavailable" : "launch-error",
      file: spec.origin.file,
      line: spec.origin.line,
      col: 0,
      message,
      fix: fix || "fix the bot's entry in the manifest",
    });
  }
  const check: BotCheck = { name: spec.name, level: plan?.level, line, problems };

  if (options.typeCheck ?? true) {
    const typeProblems = await typeCheckBot(spec, options.config ?? REPO_CONFIG);
    check.typeChecked = typeProblems.length === 0;
    problems.push(...typeProblems);
  }
  if (plan && enabled) {
    const loadProblem = await loadBot(spec, plan, options.logger ?? silentLogger);
    check.loaded = loadProblem === undefined;
    // A syntax error fails both checks at the same place: say it once.
    if (loadProblem && !problems.some((p) => samePlace(p, loadProblem))) {
      problems.push(loadProblem);
    }
  }
  return check;
}

/**
 * Type-checks one bot's module with `deno check` (no remote imports; npm only when the manifest
 * grants npm packages), returning each error at its `file:line:col`.
 */
export async function typeCheckBot(
  spec: BotSpec,
  config: string = REPO_CONFIG,
): Promise<BotProblem[]> {
  const args = ["check", "--quiet", "--config", config, "--no-lock", "--no-remote"];
  if (spec.permissions.npm.length === 0) args.push("--no-npm");
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(Deno.execPath(), {
      args: [...args, spec.module],
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return [problemAt(spec, "type-error", `could not run deno check: ${e}`, "")];
  }
  if (out.success) return [];
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  const found = parseDenoCheck(text, spec.module);
  return found.length > 0 ? found : [
    problemAt(spec, "type-error", `deno check failed: ${firstMeaningfulLine(text)}`, ""),
  ];
}

const TS_ERROR = /^(TS\d+) \[ERROR\]: (.*)$/;
const PLAIN_ERROR = /^error: (.*)$/;
const AT = /^\s+at (file:\/\/\S+?):(\d+):(\d+)\s*$/;

/**
 * Parses `deno check` output (with NO_COLOR) into problems: each `TS1234 [ERROR]: …` or
 * `error: …` block with its `at file:///…:line:col`; `fallbackFile` when a block has no location.
 */
export function parseDenoCheck(text: string, fallbackFile: string): BotProblem[] {
  const problems: BotProblem[] = [];
  let open: { message: string; ts?: string } | undefined;
  const close = (file: string, line: number, col: number) => {
    if (!open) return;
    problems.push({
      code: "type-error",
      file: displayPath(file),
      line,
      col,
      message: open.ts ? `${open.ts}: ${open.message}` : open.message,
      fix: fixFor(open.ts, open.message, file),
    });
    open = undefined;
  };
  for (const raw of text.split("\n")) {
    const ts = raw.match(TS_ERROR);
    const plain = raw.match(PLAIN_ERROR);
    const at = raw.match(AT);
    if (ts) {
      close(fallbackFile, 0, 0);
      open = { ts: ts[1], message: ts[2] };
    } else if (plain) {
      close(fallbackFile, 0, 0);
      // The summary after TS errors, not an error of its own.
      if (!/^Type checking failed\.?$/.test(plain[1].trim())) open = { message: plain[1] };
    } else if (at && open) {
      close(fileOf(at[1]), Number(at[2]), Number(at[3]));
    }
  }
  close(fallbackFile, 0, 0);
  return problems;
}

/**
 * Starts the bot process as the host does (same launch plan, same spawn and IPC through
 * {@link startInstance}), waits for `ready` or the load error, and stops it. Returns the load
 * error as a problem at the author's `file:line:col`, or undefined when the bot loaded.
 */
export async function loadBot(
  spec: BotSpec,
  plan: LaunchPlan,
  logger: Logger = silentLogger,
): Promise<BotProblem | undefined> {
  let nextId = 1;
  const instance = startInstance({
    spec,
    plan,
    clock: realClock,
    clockMode: "real",
    log: logger.child(`bot:${spec.name}`),
    nextId: () => nextId++,
    // Only the module is imported: no hook runs, so nothing should be sent; refuse if it is.
    send: () =>
      Promise.resolve({
        ok: false,
        refusal: { code: "check", reason: "`mmdbot check` only loads the bot" },
      }),
    setup: () => {},
    onExit: () => {},
    onError: () => {},
  });
  const result = await instance.loaded;
  await instance.stop();
  if (result.ok) return undefined;
  return parseLoadError(result.error, spec);
}

/** Splits `bots/x/bot.ts:3:7: SyntaxError: …` (from `formatBotError`) into a problem. */
export function parseLoadError(error: string, spec: BotSpec): BotProblem {
  const m = error.match(/^(.+?):(\d+):(\d+): (.*)$/s);
  const file = m ? m[1] : displayPath(spec.module);
  const message = m ? m[4] : error.replace(/^.+?\.(ts|js|tsx|jsx|mts|mjs): /, "");
  return {
    code: "load-error",
    file,
    line: m ? Number(m[2]) : 0,
    col: m ? Number(m[3]) : 0,
    message: message.split("\n")[0],
    fix: loadFix(message, spec.name),
  };
}

function loadFix(message: string, bot: string): string {
  const npm = npmImportFix(message, bot);
  if (npm) return npm;
  if (/SyntaxError/.test(message)) return "fix the syntax at this position";
  if (/createBot\(\)|default export/.test(message)) {
    return "end the module with `export default bot;` where bot = createBot()";
  }
  if (/NotCapable|Requires (read|write|net|env|run|ffi|sys) access/i.test(message)) {
    const grant = permissionFix(message);
    return `move this access into a handler, or ${
      grant ?? "grant it under permissions: in the manifest"
    }`;
  }
  if (/Module not found|Cannot resolve|Import .* not a dependency/i.test(message)) {
    return "import only files inside the bot's folder and the mmdbot API (mod.ts)";
  }
  return "fix the module so it loads: this is what the bot process reported while importing it";
}

function fixFor(ts: string | undefined, message: string, file: string): string {
  if (ts === "TS2307" || /Module not found|Cannot find module/.test(message)) {
    return "check the import path: a bot imports files from its own folder and mmdbot's mod.ts";
  }
  if (/SyntaxError|parse/i.test(message)) return "fix the syntax at this position";
  return `correct the code at this position (full message: deno check ${displayPath(file)})`;
}

function problemAt(spec: BotSpec, code: string, message: string, fix: string): BotProblem {
  return {
    code,
    file: displayPath(spec.module),
    line: 0,
    col: 0,
    message,
    fix: fix || `run deno check ${displayPath(spec.module)} to see the full output`,
  };
}

function samePlace(a: BotProblem, b: BotProblem): boolean {
  return a.file === b.file && a.line === b.line && a.col === b.col;
}

/** `message. Fix: what to do` → [message, what to do]. */
function splitFix(text: string): [string, string] {
  const i = text.indexOf(" Fix: ");
  return i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + 6)];
}

function fileOf(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function firstMeaningfulLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !/^Check /.test(l)) ??
    "no output";
}

/** Runs `fn` over `items` with at most `limit` running at once; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
