/**
 * Mistakes that would otherwise be silent, found before a bot runs (`start` logs them as warnings,
 * `check` lists them): a message type one small edit from a catalog name (`RECOG_EVENT_STPO`) in
 * a `receive` list, an `on`, a `waitFor`, a `hear` pattern starting with a literal type, or an
 * outgoing `sendRaw` line; and a handler or wait for a type the bot's `receive` list filters out,
 * which would never fire. Custom message types stay allowed (decisions.md): only near misses of a
 * catalog name are reported.
 *
 * The bot's sources are read as text (its folder's `.ts`/`.js` files, tests left out), with no
 * code run: what a literal says is known, computed names are not guessed at.
 *
 * @module
 */
import { join, relative } from "node:path";
import { CATALOG } from "../catalog/messages.gen.ts";
import type { Diagnostic } from "../text/diagnostic.ts";
import { closest } from "../text/suggest.ts";
import type { BotSpec, Manifest } from "./types.ts";

const NAMES: readonly string[] = Object.keys(CATALOG);
const KNOWN = new Set(NAMES);

/** Files of one bot folder read at most, and bytes per file. */
export const SCAN_MAX_FILES = 100;
export const SCAN_MAX_BYTES = 512 * 1024;

/**
 * The catalog name `type` most likely meant, when it is not one itself but one small edit (a
 * letter added, missing, changed or two swapped, or only the case) away from one.
 *
 * @example
 * ```ts
 * import { suggestType } from "./lint_bots.ts";
 * suggestType("RECOG_EVENT_STPO"); // "RECOG_EVENT_STOP"
 * suggestType("MY_CUSTOM_EVENT"); // undefined
 * ```
 */
export function suggestType(type: string): string | undefined {
  if (KNOWN.has(type) || type === "*") return undefined;
  return closest(type, NAMES, { maxDistance: 1 });
}

/** How a bot's source uses a message type. */
export type TypeUseKind = "on" | "waitFor" | "hear" | "send";

/** One use of a message type found in a bot's source. */
export interface TypeUse {
  kind: TypeUseKind;
  /** The message type. */
  type: string;
  /** 1-based line and column of the literal. */
  line: number;
  col: number;
}

const STRING = String.raw`(?:"([^"\\\n]*)"|'([^'\\\n]*)'|\x60([^\x60\\$\n]*)\x60)`;
const PATTERNS: [TypeUseKind, RegExp][] = [
  ["on", new RegExp(String.raw`\.on\(\s*` + STRING, "g")],
  ["on", new RegExp(String.raw`\.on\(\s*\[([^\]\n]*)\]`, "g")],
  ["waitFor", new RegExp(String.raw`\.waitFor\(\s*` + STRING, "g")],
  ["waitFor", new RegExp(String.raw`\.waitFor\(\s*\[([^\]\n]*)\]`, "g")],
  ["hear", /\.hear\(\s*\/\^\(?([A-Z][A-Z0-9_]*)(?:\\\||\$|\/|\)|\|)/g],
  ["send", new RegExp(String.raw`\.sendRaw\(\s*` + STRING, "g")],
  // No `ctx.speak` entry: the host's speech floor answers it with its own utterance's result, so
  // a bot that speaks need not receive SYNTH_EVENT_STOP.
];

/** Every literal use of a message type in `text`, in source order. */
export function scanTypeUses(text: string): TypeUse[] {
  const uses: TypeUse[] = [];
  const starts = lineStarts(text);
  for (const [kind, re] of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const at = position(starts, m.index + m[0].length - (m[0].length - m[0].indexOf("(") - 1));
      const literal = m[1] ?? m[2] ?? m[3] ?? "";
      const list = m[0].includes("[")
        ? [...literal.matchAll(/["'`]([^"'`]+)["'`]/g)].map((x) => x[1])
        : [kind === "send" ? literal.split("|")[0] : literal];
      for (const type of list) {
        if (/^[A-Za-z][A-Za-z0-9_]*$/.test(type)) uses.push({ kind, type, ...at });
      }
    }
  }
  return uses.sort((a, b) => a.line - b.line || a.col - b.col);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; col: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - starts[lo] + 1 };
}

const WHAT: Record<TypeUseKind, string> = {
  on: "a handler for",
  waitFor: "a waitFor of",
  hear: "a hear pattern for",
  send: "a line of type",
};

/** Where a `receive` list is, for the fix text: the manifest line, or the bot's entry. */
function receiveWhere(spec: BotSpec): string {
  const at = spec.receiveAt ?? spec.origin;
  return `${at.file}:${at.line}`;
}

/** Warnings about one bot's `receive` list: near misses of catalog names. */
export function lintReceive(spec: BotSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = spec.receiveAt ?? spec.origin;
  for (const type of spec.receive) {
    const guess = suggestType(type);
    if (!guess) continue;
    out.push({
      severity: "warning",
      file: at.file,
      line: at.line,
      code: "type-typo",
      message: `bot "${spec.name}": receive lists "${type}", which is not a message MMDAgent-EX ` +
        `sends; a custom type is allowed, but this one is one edit from ${guess}`,
      fix: `did you mean ${guess}?`,
    });
  }
  return out;
}

/** Warnings about the uses found in one file of a bot. */
export function lintUses(spec: BotSpec, file: string, uses: readonly TypeUse[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const all = spec.receive.includes("*");
  const receives = new Set(spec.receive);
  for (const u of uses) {
    const guess = suggestType(u.type);
    if (guess) {
      out.push({
        severity: "warning",
        file,
        line: u.line,
        col: u.col,
        code: "type-typo",
        message: `bot "${spec.name}": ${WHAT[u.kind]} "${u.type}", which is not in the message ` +
          `catalog (custom types are allowed; this one is one edit from ${guess})`,
        fix: `did you mean ${guess}?`,
      });
      continue;
    }
    if (u.kind === "send" || all || receives.has(u.type)) continue;
    out.push({
      severity: "warning",
      file,
      line: u.line,
      col: u.col,
      code: "type-not-received",
      message: `bot "${spec.name}": ${WHAT[u.kind]} ${u.type}, but the bot's receive list ` +
        `(${receiveWhere(spec)}) filters ${u.type} out, so it never fires`,
      fix: `add ${u.type} to receive: at ${receiveWhere(spec)}`,
    });
  }
  return out;
}

/** The bot's own source files (not its tests), bounded. */
async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string, depth: number) => {
    if (depth > 4 || files.length >= SCAN_MAX_FILES) return;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (files.length >= SCAN_MAX_FILES) return;
      const full = join(d, e.name);
      if (e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules") {
        await walk(full, depth + 1);
      } else if (e.isFile && /\.(m?[jt]sx?)$/.test(e.name) && !/[._]test\.[^.]+$/.test(e.name)) {
        files.push(full);
      }
    }
  };
  await walk(dir, 0);
  return files;
}

/** Options of {@link lintBots}. */
export interface LintBotsOptions {
  /** Directory shown paths are relative to (default `Deno.cwd()`). */
  cwd?: string;
}

/** Every warning of this module for every bot of the manifest (enabled ones). */
export async function lintBots(
  manifest: Pick<Manifest, "bots">,
  options: LintBotsOptions = {},
): Promise<Diagnostic[]> {
  const cwd = options.cwd ?? Deno.cwd();
  const out: Diagnostic[] = [];
  for (const spec of manifest.bots) out.push(...await lintBot(spec, cwd));
  return out;
}

/** The warnings for one bot: its receive list, then each source file. */
export async function lintBot(spec: BotSpec, cwd: string = Deno.cwd()): Promise<Diagnostic[]> {
  const out = lintReceive(spec);
  for (const file of await sourceFiles(spec.dir)) {
    let text: string;
    try {
      const info = await Deno.stat(file);
      if (info.size > SCAN_MAX_BYTES) continue;
      text = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    out.push(...lintUses(spec, shown(file, cwd), scanTypeUses(text)));
  }
  return out;
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") || rel === "" ? path : rel;
}
