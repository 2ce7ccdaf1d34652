/**
 * The data that crosses the wire room's edges. Transports hand raw chunks to the decoder and get
 * {@link InboundLine}s back; everything written toward MMDAgent-EX is a {@link WireUnit}, which only
 * the guard (`wire/guard.ts`) and the SND encoder (`wire/snd.ts`) create.
 */

/** One line received from MMDAgent-EX, terminator removed, decoded leniently. */
export interface InboundLine {
  /** The text with invalid UTF-8 replaced by U+FFFD. */
  text: string;
  /** Bytes on the wire, without the terminator. */
  byteLength: number;
  /** True when the bytes were not valid UTF-8 (counted and logged by the caller). */
  invalidUtf8: boolean;
  /** True when the line ended at a frame or stream end without LF (MMDAgent-EX truncation). */
  unterminated: boolean;
}

/** A line the decoder refused to keep (over the inbound limit): reported, never buffered. */
export interface DroppedLine {
  /** Bytes dropped, counted up to the point where the line ended. */
  byteLength: number;
  /** The first bytes, decoded leniently, so the report can show what it was. */
  head: string;
}

declare const wireUnitBrand: unique symbol;

/**
 * Bytes cleared for exactly one write (one TCP `write`, one WebSocket frame, one stdout write).
 * Branded so that nothing but the guard and the SND encoder can produce one.
 */
export interface WireUnit {
  readonly kind: "line" | "snd";
  /** The bytes to write, terminator included. Never split across writes. */
  readonly bytes: Uint8Array;
  /** For lines: the text without its LF (for logs, echo matching and records). */
  readonly text: string;
  readonly [wireUnitBrand]: true;
}

// Refusals live in a leaf module that the catalog and the bot process share; re-exported here for
// the wire's own users.
export {
  type KnownRefusalCode,
  type Refusal,
  type RefusalCode,
  RefusedError,
} from "../errors/refusal.ts";

/** Brands bytes as a unit; for `wire/` only (guard and SND encoder). */
export function makeUnit(kind: WireUnit["kind"], bytes: Uint8Array, text: string): WireUnit {
  return { kind, bytes, text } as WireUnit;
}
