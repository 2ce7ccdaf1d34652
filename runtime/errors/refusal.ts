/**
 * Why a line was refused, as data ({@link Refusal}) and as an error ({@link RefusedError}). A leaf
 * module: the catalog, the wire guard, the host and the bot process all speak it, and none of them
 * owns it. Loaded inside bot processes too, so it imports nothing but the error base.
 *
 * @module
 */
import { MmdbotError } from "./error.ts";

export { MmdbotError };

/**
 * The stable codes of a {@link Refusal}. Byte and line rules (the guard): `empty`, `empty-type`,
 * `control-char`, `invalid-utf8`, `too-long`, `snd-prefix`, `snd-odd-length`, `snd-packet` (a
 * whole packet made elsewhere, e.g. by a broker worker), `short-s-line`, `unknown-avatar-command`,
 * `no-avatar-controller`, `field-separator`. Command rules (the catalog): `crash-trigger`,
 * `bad-arguments`, `empty-field`, `ignored-command`, `type-typo`.
 * Policy (the host): `acl-denied`, `rate-limit`, `too-many-setup-lines`, `too-many-timers`,
 * `send-failed`, `unknown-bot`, `turn-ended`, `floor-taken`. Bot side: `too-many` (setup lines
 * per message), `bad-type`. Audio: `audio-path`, `audio-missing`.
 *
 * Open for codes a new feature adds before it is listed here (any other string type-checks), but
 * a code listed here never changes meaning: match on these.
 */
export type RefusalCode = KnownRefusalCode | (string & Record<never, never>);

/** The codes listed in {@link RefusalCode}. */
export type KnownRefusalCode =
  | "empty"
  | "empty-type"
  | "control-char"
  | "invalid-utf8"
  | "too-long"
  | "snd-prefix"
  | "snd-odd-length"
  | "snd-packet"
  | "short-s-line"
  | "unknown-avatar-command"
  | "no-avatar-controller"
  | "field-separator"
  | "crash-trigger"
  | "bad-arguments"
  | "empty-field"
  | "ignored-command"
  | "type-typo"
  | "acl-denied"
  | "rate-limit"
  | "too-many-setup-lines"
  | "too-many-timers"
  | "send-failed"
  | "unknown-bot"
  | "turn-ended"
  | "floor-taken"
  | "too-many"
  | "bad-type"
  | "audio-path"
  | "audio-missing";

/** Why a line was refused; reaches whoever tried to send it. */
export interface Refusal {
  /** Stable machine-readable code (see {@link RefusalCode}). */
  code: RefusalCode;
  /** What is wrong, in words a bot author understands. */
  reason: string;
  /** The safe alternative, when there is one. */
  fix?: string;
  /** The offending bytes as hex (first 32), when bytes are the problem. */
  bytes?: string;
}

/** Thrown (or rejected with) by `send` paths that refuse a line; carries the {@link Refusal}. */
export class RefusedError extends MmdbotError {
  /** The structured refusal. */
  readonly refusal: Refusal;
  /** Wraps a refusal as an error whose message names the reason and the fix. */
  constructor(refusal: Refusal) {
    super(refusal.fix ? `${refusal.reason} (fix: ${refusal.fix})` : refusal.reason);
    this.name = "RefusedError";
    this.refusal = refusal;
  }
}
