/**
 * The one base class of every error mmdbot throws on purpose, so a caller can tell mmdbot's errors
 * from anything else with one `instanceof`, and the error that caused one travels in `cause`.
 *
 * @module
 */

/**
 * Base of mmdbot's own errors. `name` is the subclass's name; `cause` the error behind it, if any.
 *
 * @example
 * ```ts
 * import { MmdbotError } from "./error.ts";
 * class ConfigError extends MmdbotError {}
 * const e = new ConfigError("bad port", { cause: new RangeError("70000") });
 * console.log(e.name, e instanceof MmdbotError, e.cause instanceof RangeError); // ConfigError true true
 * ```
 */
export class MmdbotError extends Error {
  /** Makes the error; `options.cause` keeps the error it wraps. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
