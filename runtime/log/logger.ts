/**
 * The runtime's log. Everything goes to stderr (stdout is reserved for message lines in `listen` and
 * `start --stdio`), as readable text by default or JSON lines with `--log-json`.
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The ordered list of levels, for CLI validation and help texts. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Structured fields attached to one record. */
export type LogFields = Record<string, unknown>;

/** One log record. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  scope: string;
  msg: string;
  fields?: LogFields;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

/** A scoped logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a sub-scope, e.g. `bot:greeter`. */
  child(scope: string): Logger;
  /** True when records at `level` would be written (to skip building costly messages). */
  enabled(level: LogLevel): boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  /** Defaults to writing to stderr. */
  sink?: LogSink;
  scope?: string;
  /** Colour for text output; defaults to stderr being a terminal and NO_COLOR unset. */
  color?: boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const encoder = new TextEncoder();

/** The mutable part shared by a logger and its children, so `setLevel` reaches all of them. */
interface LogState {
  level: LogLevel;
  sink: LogSink;
}

/** Creates a logger; children share its level and sink. */
export function createLogger(
  options: LoggerOptions = {},
): Logger & { setLevel(l: LogLevel): void } {
  const color = options.color ?? defaultColor();
  const state: LogState = {
    level: options.level ?? "info",
    sink: options.sink ?? (options.json ? jsonSink : textSink(color)),
  };
  const root = make(state, options.scope ?? "mmdbot");
  return Object.assign(root, { setLevel: (l: LogLevel) => (state.level = l) });
}

function make(state: LogState, scope: string): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < RANK[state.level]) return;
    state.sink({ time: new Date().toISOString(), level, scope, msg, fields });
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (sub) => make(state, `${scope}:${sub}`),
    enabled: (level) => RANK[level] >= RANK[state.level],
  };
}

function defaultColor(): boolean {
  try {
    return Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
  } catch {
    return false;
  }
}

function writeErr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** JSON lines on stderr. */
export const jsonSink: LogSink = (r) => writeErr(JSON.stringify(r) + "\n");

const COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** Human-readable lines on stderr: `warn  scope: message key=value`. */
export function textSink(color: boolean): LogSink {
  return (r) => writeErr(formatText(r, color) + "\n");
}

/** Formats one record as a single readable line. */
export function formatText(r: LogRecord, color = false): string {
  const level = r.level.padEnd(5);
  const extra = r.fields
    ? Object.entries(r.fields).map(([k, v]) =>
      ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
    )
      .join("")
    : "";
  const head = color ? `${COLORS[r.level]}${level}\x1b[0m` : level;
  return `${head} ${r.scope}: ${r.msg}${extra}`;
}

/** A logger that drops everything (for tests that assert on other outputs). */
export const silentLogger: Logger = make({ level: "error", sink: () => {} }, "silent");

/** A logger that keeps records in memory, for tests that assert on what was logged. */
export function memoryLogger(level: LogLevel = "debug"): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(make({ level, sink: (r) => records.push(r) }, "test"), { records });
}
