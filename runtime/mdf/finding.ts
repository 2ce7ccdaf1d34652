/**
 * The shape of everything the `.mdf` room reports: findings (lint results a person reads as
 * `file:line: severity: message (fix: …)`) and {@link MdfError}, the typed error thrown or returned
 * when a file cannot be used at all.
 */
import type { Origin } from "./plan_types.ts";

/** How bad a finding is: `error` makes `check` exit 1. */
export type Severity = "error" | "warning" | "info";

/** One lint result, always tied to a place in a file. */
export interface Finding {
  severity: Severity;
  /** The file the finding is about (as the user named it). */
  file: string;
  /** 1-based line; 0 when the finding is about the file as a whole or a missing key. */
  line: number;
  /** A stable identifier, e.g. `retry-count-zero`, for tests and `--json` consumers. */
  code: string;
  message: string;
  /** What to change; empty when there is nothing to do. */
  fix: string;
}

/** Builds a finding at an origin (or at line 0 of a file). */
export function finding(
  severity: Severity,
  at: Origin,
  code: string,
  message: string,
  fix = "",
): Finding {
  return { severity, file: at.file, line: at.line, code, message, fix };
}

/** Formats a finding the way compilers do: `file:line: severity: message (fix: …)`. */
export function formatFinding(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}` : f.file;
  return `${where}: ${f.severity}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ""}`;
}

/**
 * A problem that makes an `.mdf` unusable as MMDAgent-EX would use it (unreadable file, an
 * unterminated `%ENV{`, a self-referencing variable). Carries `file:line` and a fix.
 *
 * @example
 * ```ts
 * throw new MdfError("env-unterminated", { file: "a.mdf", line: 3 }, "…", "close it with `}`");
 * ```
 */
export class MdfError extends Error {
  /** Stable identifier, as in {@link Finding.code}. */
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly fix: string;
  /** The message without place and fix. */
  readonly detail: string;

  constructor(code: string, at: Origin, message: string, fix: string) {
    super(`${at.line > 0 ? `${at.file}:${at.line}` : at.file}: ${message} (fix: ${fix})`);
    this.name = "MdfError";
    this.code = code;
    this.file = at.file;
    this.line = at.line;
    this.fix = fix;
    this.detail = message;
  }

  /** The error as an `error` finding, so `check` can list it with the others. */
  toFinding(): Finding {
    return {
      severity: "error",
      file: this.file,
      line: this.line,
      code: this.code,
      message: this.detail,
      fix: this.fix,
    };
  }
}
