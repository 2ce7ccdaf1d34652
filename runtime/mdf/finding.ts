/**
 * The shape of everything the `.mdf` room reports: findings (lint results a person reads as
 * `file:line: severity: message (fix: …)`) and {@link MdfError}, the typed error thrown or returned
 * when a file cannot be used at all.
 */
import type { Origin } from "./plan_types.ts";

/** How bad a finding is: `error` makes `check` exit 1. */
export type { Severity } from "../text/diagnostic.ts";
import type { Diagnostic, Severity } from "../text/diagnostic.ts";
import { formatDiagnostic } from "../text/diagnostic.ts";
import { MmdbotError } from "../errors/error.ts";

/** One lint result, always tied to a place in a file: a {@link Diagnostic}. */
export type Finding = Diagnostic;

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

/** Formats a finding: `file:line[:col]: severity: message (fix: …)` ({@link formatDiagnostic}). */
export const formatFinding: (f: Finding) => string = formatDiagnostic;

/**
 * A problem that makes an `.mdf` unusable as MMDAgent-EX would use it (unreadable file, an
 * unterminated `%ENV{`, a self-referencing variable). Carries `file:line` and a fix.
 *
 * @example
 * ```ts
 * throw new MdfError("env-unterminated", { file: "a.mdf", line: 3 }, "…", "close it with `}`");
 * ```
 */
export class MdfError extends MmdbotError {
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
