/**
 * `SND` audio packets toward MMDAgent-EX (reference 1.2 rule 1, 1.3, Part 5 item 6): `SND`, exactly
 * four zero-padded decimal digits giving the payload length N, then N bytes of 16 kHz, 16-bit
 * signed little-endian mono PCM, with no terminator. N must be even (samples are counted as N/2)
 * and at most 8184 (the 8192-byte receive buffer minus the 7-byte header). Each packet is one
 * {@link WireUnit}, so it is written in one write or one frame.
 *
 * Decision: PCM of odd length is refused, not padded: it can only come from a cut in the middle of
 * a sample, and padding would shift every later sample by one byte.
 */
import { makeUnit, type Refusal, RefusedError, type WireUnit } from "./types.ts";

/** Largest payload MMDAgent-EX can hold with its 7-byte header in its 8192-byte buffer. */
export const MAX_SND_PAYLOAD = 8184;

/** Default payload per packet: 40 ms of 16 kHz 16-bit mono (the docs suggest 1024-1280 bytes). */
export const DEFAULT_SND_CHUNK_BYTES = 1280;

/** Bytes per millisecond of 16 kHz, 16-bit, mono PCM. */
export const PCM_BYTES_PER_MS = 32;

/** The three audio control headers. */
export type SndHeaderName = "SNDSTRM" | "SNDFILE" | "SNDBRKS";

/** Options of {@link encodeSnd}. */
export interface SndOptions {
  /** Payload bytes per packet: even, 2 to 8184. Default {@link DEFAULT_SND_CHUNK_BYTES}. */
  chunkBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Cuts PCM into `SND` packets, one {@link WireUnit} each (`kind: "snd"`, `text` = the 7-byte
 * header for logs). Empty PCM gives no packet. Throws a {@link RefusedError} (code
 * `snd-odd-length`) for an odd byte count and a `RangeError` for a bad `chunkBytes`.
 *
 * @example
 * const units = encodeSnd(new Uint8Array(3000)); // SND1280 + 1280, SND1280 + 1280, SND0440 + 440
 */
export function encodeSnd(pcm: Uint8Array, options: SndOptions = {}): WireUnit[] {
  const chunk = options.chunkBytes ?? DEFAULT_SND_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunk) || chunk < 2 || chunk > MAX_SND_PAYLOAD || chunk % 2 !== 0) {
    throw new RangeError(
      `chunkBytes must be an even integer from 2 to ${MAX_SND_PAYLOAD}, got ${chunk} ` +
        `(default ${DEFAULT_SND_CHUNK_BYTES}, about 40 ms)`,
    );
  }
  if (pcm.length % 2 !== 0) {
    throw new RefusedError({
      code: "snd-odd-length",
      reason: `PCM of ${pcm.length} bytes is not a whole number of 16-bit samples; MMDAgent-EX ` +
        "counts samples as bytes/2",
      fix: "send 16 kHz, 16-bit signed little-endian mono PCM cut at sample boundaries " +
        "(an even byte count)",
    });
  }
  const units: WireUnit[] = [];
  for (let at = 0; at < pcm.length; at += chunk) {
    const payload = pcm.subarray(at, Math.min(at + chunk, pcm.length));
    const header = `SND${String(payload.length).padStart(4, "0")}`;
    const bytes = new Uint8Array(7 + payload.length);
    bytes.set(encoder.encode(header), 0);
    bytes.set(payload, 7);
    units.push(makeUnit("snd", bytes, header));
  }
  return units;
}

/**
 * The PCM of one whole `SND` packet made elsewhere (a broker worker's), checked as MMDAgent-EX's
 * receiver reads it: `SND`, four decimal digits N, then exactly N bytes, N even and from 2 to
 * {@link MAX_SND_PAYLOAD}. Anything else is a {@link Refusal} (code `snd-packet`): the binary would
 * take a wrong length as audio and read every later byte shifted. Pass the PCM to
 * {@link encodeSnd} to get the unit to write.
 *
 * @example
 * const pcm = sndPayload(encodeSnd(new Uint8Array(640))[0].bytes); // 640 bytes of PCM
 */
export function sndPayload(packet: Uint8Array): Uint8Array | Refusal {
  const bad = (reason: string): Refusal => ({
    code: "snd-packet",
    reason: `not an SND packet: ${reason}`,
    fix: "send SND + 4 digits N + N bytes of 16 kHz 16-bit mono PCM (N even, 2 to " +
      `${MAX_SND_PAYLOAD}), one packet per message`,
  });
  if (packet.length < 9) return bad(`${packet.length} bytes is shorter than the shortest packet`);
  if (packet[0] !== 0x53 || packet[1] !== 0x4e || packet[2] !== 0x44) {
    return bad("it does not start with SND");
  }
  let n = 0;
  for (let i = 3; i < 7; i++) {
    const d = packet[i] - 0x30;
    if (d < 0 || d > 9) return bad("the 4 characters after SND are not digits");
    n = n * 10 + d;
  }
  if (n === 0 || n % 2 !== 0 || n > MAX_SND_PAYLOAD) {
    return bad(`a payload of ${n} bytes (must be even, 2 to ${MAX_SND_PAYLOAD})`);
  }
  if (packet.length !== 7 + n) {
    return bad(`the header says ${n} bytes but ${packet.length - 7} follow`);
  }
  return packet.subarray(7);
}

/**
 * One audio control header with its LF, in one unit (a header whose LF arrives in a later read
 * wedges MMDAgent-EX's receiver). `SNDFILE` turns silence cutting off until the peer sends
 * `SNDBRKS`; `SNDSTRM` (the default on every new connection) turns it back on.
 *
 * @example
 * sndHeader("SNDBRKS").bytes; // "SNDBRKS\n"
 */
export function sndHeader(name: SndHeaderName): WireUnit {
  if (name !== "SNDSTRM" && name !== "SNDFILE" && name !== "SNDBRKS") {
    throw new RangeError(
      `unknown SND header ${JSON.stringify(name)}: use SNDSTRM, SNDFILE or SNDBRKS`,
    );
  }
  return makeUnit("line", encoder.encode(name + "\n"), name);
}

/**
 * Playing time of PCM bytes at 16 kHz, 16-bit mono, in ms: how long to wait before closing a
 * connection so MMDAgent-EX does not cut the audio off.
 *
 * @example
 * pcmDurationMs(32000); // 1000
 */
export function pcmDurationMs(byteLength: number): number {
  return byteLength / PCM_BYTES_PER_MS;
}
