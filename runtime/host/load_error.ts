/**
 * Turns a bot's load failure or handler error into `file:line:col: message`, pointing into the
 * author's code rather than into mmdbot's: the first stack frame (or the parser's location in the
 * message) inside the bot's folder wins.
 */
import type { ErrorReport } from "../bot/protocol.ts";

/** Where an error happened in the author's code. */
export interface ErrorLocation {
  file: string;
  line: number;
  col: number;
}

const LOCATION = /(file:\/\/[^\s()'"`]+?):(\d+):(\d+)/g;

function toPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
}

/** The first location inside `dir` named by the error's message or stack, if any. */
export function locateError(report: ErrorReport, dir: string): ErrorLocation | undefined {
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  const text = `${report.message}\n${report.stack ?? ""}`;
  let fallback: ErrorLocation | undefined;
  for (const m of text.matchAll(LOCATION)) {
    const loc = { file: toPath(m[1]), line: Number(m[2]), col: Number(m[3]) };
    if (loc.file.startsWith(prefix)) return loc;
    fallback ??= loc;
  }
  return fallback && fallback.file.startsWith(prefix) ? fallback : undefined;
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

/**
 * One readable line: `bots/greeter/bot.ts:3:7: SyntaxError: Expected ';'`. The message's own
 * `at file:…` suffix is dropped when the location is shown in front.
 */
export function formatBotError(report: ErrorReport, dir: string, module?: string): string {
  const loc = locateError(report, dir);
  const firstLine = report.message.split("\n")[0].replace(/\s+at file:\/\/\S+$/, "");
  // Deno reports a parse failure as a TypeError whose message starts with "SyntaxError: ".
  const what = report.name && !/^\w*Error: /.test(firstLine)
    ? `${report.name}: ${firstLine}`
    : firstLine;
  if (loc) return `${displayPath(loc.file)}:${loc.line}:${loc.col}: ${what}`;
  return module ? `${displayPath(module)}: ${what}` : what;
}
