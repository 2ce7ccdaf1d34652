/**
 * Turns a bot's load failure or handler error into `file:line:col: message`, pointing into the
 * author's code rather than into mmdbot's: the first stack frame (or the parser's location in the
 * message) inside the bot's folder wins.
 *
 * A bot controls every character of an error report (up to the IPC limit, 64 KiB per field), and
 * the host's event loop serves all bots: everything here is one left-to-right pass over a bounded
 * prefix, with no backtracking regular expression. The regular expressions this replaced were
 * quadratic (`(file:\/\/[^\s()]+?):(\d+):(\d+)` over `file://file://…`, `\s+at file:` over a run
 * of spaces): one forged 64 KiB error took the host 0.7 to 8.5 s, and every bot's answers waited.
 */
import type { ErrorReport } from "../bot/protocol.ts";
import { withPermissionFix } from "../manifest/permission_hint.ts";
import { fileURLToPath } from "node:url";

/** Where an error happened in the author's code. */
export interface ErrorLocation {
  file: string;
  line: number;
  col: number;
}

/** Characters of an error's message searched for a location and shown (its first line). */
export const ERROR_MESSAGE_SCAN = 4096;
/** Characters of an error's stack searched for a location (about 100 frames). */
export const ERROR_STACK_SCAN = 16 * 1024;
/** Locations looked at per text (each costs a URL parse). */
export const MAX_LOCATIONS = 64;
/** Longest error text shown in the log, status and `check` (the rest is cut with `…`). */
export const ERROR_TEXT_MAX = 1000;

const SCHEME = "file://";

/** Characters that end a `file://` URL in a message or stack (as the old pattern's `[^\s()'"`]`). */
function endsUrl(c: number): boolean {
  // ( ) ' " `
  if (c === 0x28 || c === 0x29 || c === 0x27 || c === 0x22 || c === 0x60) return true;
  return isSpace(c);
}

/** JavaScript's `\s` for one UTF-16 unit. */
function isSpace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0) return true;
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** End (exclusive) of the digit run starting at `i`, or `i` when there is none. */
function digitsEnd(text: string, i: number, end: number): number {
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  return i;
}

function toPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/**
 * Every `file://…:line:col` in `text`, in order, in one pass: the shortest URL (at least one
 * character after `file://`) followed by `:digits:digits`, never crossing a character that ends a
 * URL. Each character is looked at a bounded number of times, whatever the input.
 */
export function* fileLocations(text: string): Generator<ErrorLocation> {
  let from = 0;
  for (;;) {
    const start = text.indexOf(SCHEME, from);
    if (start === -1) return;
    // The span a URL starting here may cover; every later `file://` inside it ends at the same
    // place, so when no location is found in the span, none starts inside it either.
    let spanEnd = start + SCHEME.length;
    while (spanEnd < text.length && !endsUrl(text.charCodeAt(spanEnd))) spanEnd++;
    let found = false;
    let colon = text.indexOf(":", start + SCHEME.length + 1);
    while (colon !== -1 && colon < spanEnd) {
      const lineEnd = digitsEnd(text, colon + 1, spanEnd);
      if (lineEnd > colon + 1 && text.charCodeAt(lineEnd) === 0x3a && lineEnd < spanEnd) {
        const colEnd = digitsEnd(text, lineEnd + 1, spanEnd);
        if (colEnd > lineEnd + 1) {
          yield {
            file: toPath(text.slice(start, colon)),
            line: Number(text.slice(colon + 1, lineEnd)),
            col: Number(text.slice(lineEnd + 1, colEnd)),
          };
          from = colEnd;
          found = true;
          break;
        }
      }
      // The digits just read hold no colon: the next candidate is past them.
      colon = text.indexOf(":", Math.max(colon + 1, lineEnd));
    }
    if (!found) from = spanEnd;
  }
}

/** The first location inside `dir` named by the error's message or stack, if any. */
export function locateError(report: ErrorReport, dir: string): ErrorLocation | undefined {
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  const message = String(report.message ?? "").slice(0, ERROR_MESSAGE_SCAN);
  const stack = String(report.stack ?? "").slice(0, ERROR_STACK_SCAN);
  for (const text of [message, stack]) {
    let seen = 0;
    for (const loc of fileLocations(text)) {
      if (loc.file.startsWith(prefix)) return loc;
      // V8 keeps 10 frames by default; a text naming this many files is not a real stack.
      if (++seen >= MAX_LOCATIONS) break;
    }
  }
  return undefined;
}

/** Shows a path relative to `cwd` when it is inside it. */
export function displayPath(path: string, cwd: string = safeCwd()): string {
  const prefix = cwd.endsWith("/") ? cwd : cwd + "/";
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function safeCwd(): string {
  try {
    return Deno.cwd();
  } catch {
    return "/";
  }
}

/** Cuts `text` to `max` characters, marking the cut. */
export function cutText(text: string, max: number = ERROR_TEXT_MAX): string {
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/**
 * The line without a trailing `  at file://…` (Deno appends the location to a parse error's
 * message): the last ` at file://` is the only one that can be followed by non-spaces to the end.
 */
function dropTrailingLocation(line: string): string {
  const at = line.lastIndexOf("at " + SCHEME);
  if (at <= 0 || !isSpace(line.charCodeAt(at - 1))) return line;
  const rest = at + 3 + SCHEME.length;
  if (rest >= line.length) return line;
  for (let i = rest; i < line.length; i++) if (isSpace(line.charCodeAt(i))) return line;
  let cut = at - 1;
  while (cut > 0 && isSpace(line.charCodeAt(cut - 1))) cut--;
  return line.slice(0, cut);
}

/** True when `line` starts with `\w*Error: ` (Deno's "SyntaxError: " inside a TypeError). */
function startsWithErrorName(line: string): boolean {
  let i = 0;
  while (i < line.length && i < 200) {
    const c = line.charCodeAt(i);
    const word = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c === 0x5f;
    if (!word) break;
    i++;
  }
  return i >= 5 && line.startsWith("Error: ", i - 5);
}

/**
 * One readable line: `bots/greeter/bot.ts:3:7: SyntaxError: Expected ';'`. The message's own
 * `at file:…` suffix is dropped when the location is shown in front. At most
 * {@link ERROR_TEXT_MAX} characters of the message are shown.
 */
export function formatBotError(report: ErrorReport, dir: string, module?: string): string {
  const loc = locateError(report, dir);
  const message = String(report.message ?? "").slice(0, ERROR_MESSAGE_SCAN);
  const nl = message.indexOf("\n");
  const firstLine = cutText(dropTrailingLocation(nl === -1 ? message : message.slice(0, nl)));
  const name = cutText(String(report.name ?? ""), 200);
  const said = name && !startsWithErrorName(firstLine) ? `${name}: ${firstLine}` : firstLine;
  // A permission error names the manifest entry to add, not Deno's command-line flag.
  const what = withPermissionFix(said);
  if (loc) return `${displayPath(loc.file)}:${loc.line}:${loc.col}: ${what}`;
  return module ? `${displayPath(module)}: ${what}` : what;
}
