/**
 * How MMDAgent-EX turns `.mdf` text into numbers and switches. Each Plugin_Remote key has its own
 * rule (reference 2.7); these functions reproduce them exactly so the plan matches the binary.
 */

/** The result of {@link atoi}: the number C's `atoi` returns, and what it silently ignored. */
export interface AtoiResult {
  value: number;
  /** Text after the number that `atoi` ignored (e.g. `abc` in `50001abc`). */
  junk: string;
  /** True when no digits were found (`atoi` then returns 0). */
  noDigits: boolean;
}

/**
 * C `atoi`: skips leading whitespace, reads an optional sign and decimal digits, ignores the rest.
 *
 * @example
 * ```ts
 * atoi("50001abc"); // { value: 50001, junk: "abc", noDigits: false }
 * ```
 */
export function atoi(text: string): AtoiResult {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(text)!;
  const digits = m[2];
  if (digits === "") {
    return { value: 0, junk: text.slice(m[0].length - m[1].length), noDigits: true };
  }
  // Beyond int range atoi is undefined behaviour; clamp so the result stays meaningful.
  const n = Math.min(Number(digits), 2 ** 31 - 1);
  return { value: m[1] === "-" ? -n : n, junk: text.slice(m[0].length), noDigits: false };
}

/** The 16-bit port a C `int` becomes in `htons()` / Poco's `UInt16`. */
export function toPort16(n: number): number {
  return ((n % 65536) + 65536) % 65536;
}

/**
 * Plugin_Remote's main switches (`EnableServer`, `EnableClient`, their old names, `AllLog`,
 * `Speak_16k`): on when the key is present and its value is not exactly `false`.
 */
export function onUnlessFalse(value: string | undefined): boolean {
  return value !== undefined && value !== "false";
}

/** `EnableLocalLipsync` / `EnableLocalPassthrough`: on only for `true`, `True`, `yes`, `Yes`. */
export function onForTrueYes(value: string | undefined): boolean {
  return value === "true" || value === "True" || value === "yes" || value === "Yes";
}
