/**
 * Reads `bots/bots.yaml` into a validated {@link Manifest}: YAML parsed with `npm:yaml` (keeping
 * node positions so every problem points at `file:line:col`), checked with the zod schema, defaults
 * applied, paths resolved (a bot's folder is `<manifest dir>/<name>/` unless `dir:` says otherwise;
 * permission paths are relative to the bot's folder). Every problem is collected, not just the
 * first, so one `check` run shows everything to fix.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { isInside } from "../paths/inside.ts";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { CATALOG } from "../catalog/messages.gen.ts";
import { BOT_NAME, type BotEntry, DEFAULTS, KNOWN_KEYS, manifestSchema } from "./schema.ts";
import { closest } from "../text/suggest.ts";
import type { BargeIn, BotSpec, Grant, Manifest } from "./types.ts";
import { mmdbotCommand } from "../paths/invocation.ts";
import { MmdbotError } from "../errors/error.ts";

/** One thing wrong with the manifest, with where it is and how to fix it. */
export interface ManifestProblem {
  /** The manifest path as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** 1-based line and column. */
  line: number;
  col: number;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** Formats one problem as `bots/bots.yaml:12:5: <what> (fix: …)`. */
export function formatProblem(p: ManifestProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message} (fix: ${p.fix})`;
}

/**
 * Thrown by {@link loadManifest} and {@link parseManifest}; `message` lists every problem, one per
 * line, and `problems` has them as data.
 */
export class ManifestError extends MmdbotError {
  /** Every problem found. */
  readonly problems: readonly ManifestProblem[];
  /** Creates the error from its problems (listed in file order). */
  constructor(problems: readonly ManifestProblem[]) {
    const noun = problems.length === 1 ? "problem" : "problems";
    problems = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    super(
      `${problems.length} ${noun} in the bot manifest:\n` +
        problems.map((p) => "  " + formatProblem(p)).join("\n"),
    );
    this.name = "ManifestError";
    this.problems = problems;
  }
}

/** Options of {@link loadManifest} and {@link parseManifest}. */
export interface LoadOptions {
  /**
   * Command names `allow:` may list. Defaults to every command of the generated catalog
   * (`runtime/catalog/messages.gen.ts`).
   */
  knownCommands?: Iterable<string>;
  /** Check that each bot's folder and module exist (default true; `false` for pure parsing). */
  checkFiles?: boolean;
  /** Directory that shown paths are relative to (default `Deno.cwd()`). */
  cwd?: string;
}

/** Command names from the catalog, computed once. */
const CATALOG_COMMANDS: readonly string[] = Object.entries(CATALOG)
  .filter(([, entry]) => entry.direction === "command")
  .map(([name]) => name);

/**
 * Reads and validates a manifest file.
 *
 * @example
 * ```ts
 * const manifest = await loadManifest("bots/bots.yaml");
 * for (const bot of manifest.bots) console.log(bot.name, bot.module);
 * ```
 * @throws {ManifestError} listing every problem with file:line:col and a fix.
 */
export async function loadManifest(path: string, options: LoadOptions = {}): Promise<Manifest> {
  const cwd = options.cwd ?? Deno.cwd();
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `file not found: ${file}`
      : `${error instanceof Error ? error.message : String(error)} (${file})`;
    throw new ManifestError([{
      file: displayPath(file, cwd),
      line: 1,
      col: 1,
      message: `cannot read the bot manifest: ${why}`,
      fix:
        `create it with \`${mmdbotCommand("new <name>")}\`, or pass the right path with --bots ` +
        "(a relative --bots path is resolved against the working directory)",
    }]);
  }
  return parseManifest(text, file, options);
}

/**
 * Validates manifest text; `file` is the manifest's path (bot folders are resolved against its
 * directory).
 *
 * @throws {ManifestError} listing every problem with file:line:col and a fix.
 */
export function parseManifest(text: string, file: string, options: LoadOptions = {}): Manifest {
  const cwd = options.cwd ?? Deno.cwd();
  const absFile = resolve(cwd, file);
  const shown = displayPath(absFile, cwd);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: ManifestProblem[] = [];
  const at = (offset: number, message: string, fix: string) => {
    const { line, col } = lineCounter.linePos(offset);
    problems.push({ file: shown, line, col, message, fix });
  };

  for (const error of doc.errors) {
    at(error.pos[0], `YAML syntax: ${firstLine(error.message)}`, yamlFix(error.code));
  }
  if (problems.length > 0) throw new ManifestError(problems);

  const data = doc.toJS() ?? {};
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const found of describeIssue(issue)) {
        at(locate(doc.contents, found.path, found.key), found.message, found.fix);
      }
    }
    throw new ManifestError(problems);
  }

  const manifestDir = resolve(absFile, "..");
  const known = new Set(options.knownCommands ?? CATALOG_COMMANDS);
  const checkFiles = options.checkFiles ?? true;
  const bots: BotSpec[] = [];
  const disabled: BotSpec[] = [];
  const folders = new Map<string, string>();

  for (const [name, raw] of Object.entries(parsed.data.bots)) {
    const entry: BotEntry = raw ?? {};
    const botAt = (path: (string | number)[], message: string, fix: string, key?: string) =>
      at(locate(doc.contents, ["bots", name, ...path], key), message, fix);
    const keyOffset = locate(doc.contents, ["bots"], name);

    if (!BOT_NAME.test(name)) {
      const suggestion = name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[-_]+/, "");
      at(
        keyOffset,
        `bot name "${name}" may only hold a-z, 0-9, _ and -, starting with a letter or digit`,
        `rename it${suggestion ? `, e.g. "${suggestion}"` : ""} (its folder is named after it)`,
      );
    }

    const dir = entry.dir === undefined ? join(manifestDir, name) : resolve(manifestDir, entry.dir);
    const module = resolve(dir, entry.module ?? DEFAULTS.module);
    if (!isInside(module, dir)) {
      botAt(
        ["module"],
        `module ${entry.module} is outside the bot's folder ${displayPath(dir, cwd)}`,
        "move the module into the bot's folder: a bot sees only its own folder",
      );
    } else if (checkFiles) {
      if (!isDirectory(dir)) {
        at(
          entry.dir === undefined ? keyOffset : locate(doc.contents, ["bots", name, "dir"]),
          `bot "${name}": folder ${dir} does not exist`,
          `create it (\`${mmdbotCommand(`new ${name}`)}\`) or set dir: to the bot's folder`,
        );
      } else if (!isFile(module)) {
        at(
          entry.module === undefined ? keyOffset : locate(doc.contents, ["bots", name, "module"]),
          `bot "${name}": module ${module} does not exist`,
          `create it or set module: to the file inside ${displayPath(dir, cwd)}`,
        );
      }
    }
    const owner = folders.get(dir);
    if (owner !== undefined) {
      at(
        keyOffset,
        `bots "${owner}" and "${name}" share the folder ${displayPath(dir, cwd)}`,
        "give each bot its own folder: isolation is per folder",
      );
    }
    folders.set(dir, name);

    (entry.allow ?? []).forEach((command, index) => {
      if (!known.has(command)) {
        const guess = closest(command, known);
        botAt(
          ["allow", index],
          `"${command}" is not an MMDAgent-EX command of the catalog`,
          guess ? `did you mean ${guess}?` : "list catalog command names, e.g. allow: [EXECUTE]",
        );
      }
    });
    (entry.receive ?? []).forEach((type, index) => {
      if (type !== "*" && !/^[^|\s]+$/.test(type)) {
        botAt(
          ["receive", index],
          `"${type}" is not a message type`,
          'list message types without spaces or "|", e.g. receive: [RECOG_EVENT_STOP]',
        );
      }
    });

    const p = entry.permissions ?? {};
    const spec: BotSpec = {
      name,
      dir,
      module,
      permissions: {
        read: resolvePaths(p.read ?? false, dir),
        write: resolvePaths(p.write ?? false, dir),
        net: p.net ?? false,
        env: p.env ?? false,
        run: resolveRun(p.run ?? false, dir),
        npm: (p.npm ?? []).map((s) => s.startsWith("npm:") ? s : `npm:${s}`),
      },
      allow: entry.allow ?? [],
      receive: entry.receive ?? DEFAULTS.receive,
      budgets: {
        handlerMs: entry.budgets?.handler_ms ?? DEFAULTS.budgets.handler_ms,
        heapMb: entry.budgets?.heap_mb ?? DEFAULTS.budgets.heap_mb,
        messagesPerSecond: entry.budgets?.messages_per_second ??
          DEFAULTS.budgets.messages_per_second,
        burst: entry.budgets?.burst ?? DEFAULTS.budgets.burst,
        ...(entry.budgets?.store_kb === undefined ? {} : { storeKb: entry.budgets.store_kb }),
        ...(entry.budgets?.load_ms === undefined ? {} : { loadMs: entry.budgets.load_ms }),
        timers: entry.budgets?.timers ?? DEFAULTS.budgets.timers,
        rssMb: entry.budgets?.rss_mb ??
          (entry.budgets?.heap_mb ?? DEFAULTS.budgets.heap_mb) + RSS_OVER_HEAP_MB,
      },
      restart: {
        initialBackoffMs: entry.restart?.initial_backoff_ms ?? DEFAULTS.restart.initial_backoff_ms,
        maxBackoffMs: entry.restart?.max_backoff_ms ?? DEFAULTS.restart.max_backoff_ms,
        maxFailures: entry.restart?.max_failures ?? DEFAULTS.restart.max_failures,
        windowMs: entry.restart?.window_ms ?? DEFAULTS.restart.window_ms,
      },
      isolation: entry.isolation ?? DEFAULTS.isolation,
      origin: { file: shown, line: lineCounter.linePos(keyOffset).line },
      ...(entry.receive === undefined ? {} : {
        receiveAt: {
          file: shown,
          line: lineCounter.linePos(locate(doc.contents, ["bots", name], "receive")).line,
        },
      }),
    };
    if (entry.speech) {
      spec.speech = {};
      if (entry.speech.priority !== undefined) spec.speech.priority = entry.speech.priority;
      if (entry.speech.barge_in !== undefined) spec.speech.bargeIn = bargeIn(entry.speech.barge_in);
    }
    if (spec.restart.maxBackoffMs < spec.restart.initialBackoffMs) {
      botAt(
        ["restart", "max_backoff_ms"],
        "max_backoff_ms is smaller than initial_backoff_ms",
        "raise max_backoff_ms or lower initial_backoff_ms",
      );
    }
    (entry.enabled ?? DEFAULTS.enabled ? bots : disabled).push(spec);
  }

  if (problems.length > 0) throw new ManifestError(problems);
  const manifest: Manifest = { file: absFile, bots, disabled };
  const c = parsed.data.conversation;
  if (c) {
    manifest.conversation = {};
    if (c.floor) manifest.conversation.floor = c.floor;
    if (c.barge_in) manifest.conversation.bargeIn = bargeIn(c.barge_in);
    if (c.false_interruption) manifest.conversation.falseInterruption = c.false_interruption;
  }
  return manifest;
}

/** `barge_in:` as written to the policy the host applies. */
function bargeIn(b: "stop" | "finish-sentence" | "ignore" | { after_ms: number }): BargeIn {
  return typeof b === "string" ? b : { afterMs: b.after_ms };
}

/** A problem derived from one zod issue, before it is given a position. */
interface Found {
  path: (string | number)[];
  /** When set, point at this key of the map at `path` (for unknown keys). */
  key?: string;
  message: string;
  fix: string;
}

/** Hints by the name of the field an issue is about. */
const FIELD_FIX: Record<string, string> = {
  bots: "put the bots under a top-level map, e.g.\n    bots:\n      greeter: {}",
  module: "give the module's file inside the bot folder, e.g. module: bot.ts",
  dir: "give the bot's folder relative to the manifest, e.g. dir: greeter",
  enabled: "write enabled: true or enabled: false",
  isolation: "write isolation: os (never run without the OS sandbox) or isolation: any",
  allow: "list dangerous command names the bot may send, e.g. allow: [EXECUTE]",
  receive: 'list message types, e.g. receive: [RECOG_EVENT_STOP], or ["*"] for all',
  read: "write read: false, read: true or a list of paths, e.g. read: [data/]",
  write: "write write: false, write: true or a list of paths, e.g. write: [out/]",
  net: "write net: false, net: true or a list of hosts, e.g. net: [api.example.com:443]",
  env: "write env: false, env: true or a list of variable names, e.g. env: [OPENAI_API_KEY]",
  run: "write run: false, run: true or a list of programs, e.g. run: [curl]",
  npm:
    'list npm packages with their versions, fetched before the bot starts, e.g. npm: ["yaml@2.9.1"]',
  permissions: "write a map, e.g. permissions: { read: [data/] }",
  budgets: "write a map, e.g. budgets: { handler_ms: 2000, heap_mb: 64 }",
  restart: "write a map, e.g. restart: { max_failures: 5 }",
  speech: "write a map, e.g. speech: { priority: 1, barge_in: stop }",
  conversation: "write a map, e.g. conversation: { floor: first-claim, barge_in: stop }",
  barge_in: "write stop, finish-sentence, ignore, or { after_ms: 500 }",
  floor: "write first-claim (one bot answers a turn), queue (all, in order) or priority",
  false_interruption: "write resume (say the cut sentence again) or drop",
};

/** Which {@link KNOWN_KEYS} list applies to the object at `path`. */
function keyLevel(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "root";
  if (path.length === 2) return "bot";
  return String(path[path.length - 1]);
}

/** Turns one zod issue into located, actionable problems. */
function describeIssue(issue: z.core.$ZodIssue): Found[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== "symbol");
  const where = describePath(path);
  if (issue.code === "unrecognized_keys") {
    const known = KNOWN_KEYS[keyLevel(path)] ?? [];
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      return {
        path,
        key,
        message: `unknown key "${key}"${where ? ` in ${where}` : ""}`,
        fix: guess ? `did you mean "${guess}"?` : `use one of: ${known.join(", ")}`,
      };
    });
  }
  const field = [...path].reverse().find((k): k is string => typeof k === "string") ?? "bots";
  let message = issue.message;
  if (issue.code === "invalid_type" && path.length === 2 && path[0] === "bots") {
    message = "a bot entry must be a map of settings (or empty for all defaults)";
  } else if (issue.code === "invalid_type" && message.startsWith("Invalid input")) {
    message = `expected ${issue.expected}`;
  }
  const fix = FIELD_FIX[field] ??
    (field.endsWith("_ms") || field.endsWith("_mb") || field === "burst" ||
        field.endsWith("_second") || field === "max_failures"
      ? `write a whole number, e.g. ${field}: ${defaultOf(field)}`
      : "see the manifest reference in the README");
  return [{ path, message: where ? `${where}: ${message}` : message, fix }];
}

/** A readable name for a path: `bot "greeter" permissions.read`. */
function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "";
  if (path[0] !== "bots" || path.length < 2) return path.join(".");
  const rest = path.slice(2).map((k) => typeof k === "number" ? `[${k}]` : `.${k}`).join("");
  return `bot "${path[1]}"${rest ? ` ${rest.slice(rest.startsWith(".") ? 1 : 0)}` : ""}`;
}

/**
 * Default `rss_mb` above `heap_mb`: an idle Deno process is about 36 MiB resident here, and its
 * code, stacks and buffers outside the V8 heap need room.
 */
export const RSS_OVER_HEAP_MB = 192;

/** The default of a numeric budget or restart field, for examples in fixes. */
function defaultOf(field: string): number {
  const all: Record<string, number> = { ...DEFAULTS.budgets, ...DEFAULTS.restart };
  return all[field] ?? 1;
}

/**
 * Source offset of the node at `path` (or of the key `key` in the map there), falling back to the
 * deepest part of the path that exists so every problem has a position.
 */
function locate(root: unknown, path: readonly (string | number)[], key?: string): number {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0] ?? 0;
  const segments = key === undefined ? path : [...path, key];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const isLastKey = key !== undefined && i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) =>
        isScalar(item.key) ? String(item.key.value) === String(segment) : false
      );
      if (!pair) break;
      const keyNode = pair.key as Node;
      offset = keyNode.range?.[0] ?? offset;
      if (isLastKey) break;
      node = pair.value as Node | null;
      if (node?.range) offset = node.range[0];
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      node = item;
      if (item.range) offset = item.range[0];
    } else {
      break;
    }
  }
  return offset;
}

/** Resolves a path grant against the bot's folder. */
function resolvePaths(grant: Grant, dir: string): Grant {
  return Array.isArray(grant) ? grant.map((p) => resolve(dir, p)) : grant;
}

/** `run:` entries with a path separator are paths (relative to the bot); bare names stay names. */
function resolveRun(grant: Grant, dir: string): Grant {
  return Array.isArray(grant)
    ? grant.map((p) => p.includes("/") || p.includes("\\") ? resolve(dir, p) : p)
    : grant;
}

/** `path` relative to `cwd` when it lies below it, else absolute. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : path;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

function yamlFix(code: string): string {
  if (code === "DUPLICATE_KEY") return "remove or rename the second entry with this key";
  if (code === "TAB_AS_INDENT") return "indent with spaces, not tabs";
  return "fix the YAML syntax at this position (indentation, quotes, colons)";
}
