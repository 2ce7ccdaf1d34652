/**
 * The one "file:line with a fix" type of the codebase, and its one formatter. `.mdf` findings,
 * manifest problems, scenario problems, bot checks and `check`'s report all are diagnostics.
 *
 * @module
 */

/** How bad a diagnostic is: `error` makes `check` exit 1 and `start` refuse. */
export type Severity = "error" | "warning" | "info";

/** One thing a person should know about a place in a file, and what to do about it. */
export interface Diagnostic {
  severity: Severity;
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** 1-based line; 0 when about the file as a whole (or a key it lacks). */
  line: number;
  /** 1-based column, when known. */
  col?: number;
  /** A stable identifier, e.g. `retry-count-zero`, for tests and `--json` consumers. */
  code: string;
  message: string;
  /** What to change; empty when there is nothing to do. */
  fix: string;
}

/**
 * Formats a diagnostic the way compilers do: `file:line:col: severity: message (fix: …)`; the
 * line and column only when known.
 *
 * @example
 * ```ts
 * import { formatDiagnostic } from "./diagnostic.ts";
 * formatDiagnostic({
 *   severity: "warning", file: "bots/bots.yaml", line: 3, col: 15, code: "x",
 *   message: "unknown type", fix: "did you mean RECOG_EVENT_STOP?",
 * }); // "bots/bots.yaml:3:15: warning: unknown type (fix: did you mean RECOG_EVENT_STOP?)"
 * ```
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}${d.col ? `:${d.col}` : ""}` : d.file;
  return `${where}: ${d.severity}: ${d.message}${d.fix ? ` (fix: ${d.fix})` : ""}`;
}
