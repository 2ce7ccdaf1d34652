/**
 * Joins whole units into fewer byte-stream writes (TCP, pipes) without ever splitting one.
 *
 * Why this is safe toward MMDAgent-EX (reference 1.2, Part 5 item 2): its parser splits on LF in a
 * receive buffer, so write boundaries carry no meaning as long as no line is cut across two of
 * them; several complete lines in one `recv()` are parsed as several messages. The danger is a line
 * split between two reads. A join is therefore capped at {@link COALESCE_MAX_BYTES}: it then fits in
 * one TCP segment on any usual path (Ethernet MSS 1460 less options) and far inside MMDAgent-EX's
 * 8191-byte read, so it arrives in one read just as a single short line would. A unit larger than
 * the cap is written alone, exactly as before. WebSocket never goes through here: each unit stays
 * one frame (reference 1.4).
 */

/** Largest write that joins several units. */
export const COALESCE_MAX_BYTES = 1400;

/**
 * Groups `parts` in order into writes of at most `maxBytes` (a part larger than that is a write of
 * its own) and returns them; a single part is returned as is, without copying.
 *
 * @example
 * joinUnits([enc.encode("A|1\n"), enc.encode("B|2\n")]); // [bytes of "A|1\nB|2\n"]
 */
export function joinUnits(
  parts: readonly Uint8Array[],
  maxBytes = COALESCE_MAX_BYTES,
): Uint8Array[] {
  if (parts.length === 1) return [parts[0]];
  const writes: Uint8Array[] = [];
  let i = 0;
  while (i < parts.length) {
    let size = parts[i].length;
    let j = i + 1;
    while (j < parts.length && size + parts[j].length <= maxBytes) size += parts[j++].length;
    if (j === i + 1) {
      writes.push(parts[i]);
    } else {
      const joined = new Uint8Array(size);
      let off = 0;
      for (let k = i; k < j; k++) {
        joined.set(parts[k], off);
        off += parts[k].length;
      }
      writes.push(joined);
    }
    i = j;
  }
  return writes;
}
