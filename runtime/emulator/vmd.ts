/**
 * Reads how long a VMD motion is, from its file header, so that a ONCE motion ends when the real
 * MMDAgent-EX would end it. VMD layout (little-endian): 30-byte signature, model name (20 bytes in
 * "Vocaloid Motion Data 0002", 10 in the older "Vocaloid Motion Data file"), uint32 bone keyframe
 * count, 111-byte bone keyframes (15-byte name, uint32 frame at offset 15, 12 bytes position,
 * 16 bytes rotation, 64 bytes interpolation), uint32 morph keyframe count, 23-byte morph keyframes
 * (15-byte name, uint32 frame, float weight), then camera (61-byte) keyframes.
 */

const BONE_KEY = 111;
const MORPH_KEY = 23;
const CAMERA_KEY = 61;

/** The last keyframe number of a VMD file, or undefined when it is not a VMD file. */
export function vmdLastFrame(bytes: Uint8Array): number | undefined {
  if (bytes.length < 30) return undefined;
  const sig = new TextDecoder("latin1").decode(bytes.subarray(0, 30));
  let off: number;
  if (sig.startsWith("Vocaloid Motion Data 0002")) off = 50;
  else if (sig.startsWith("Vocaloid Motion Data file")) off = 40;
  else return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let last = 0;
  const section = (size: number, frameAt: number): boolean => {
    if (off + 4 > bytes.length) return false;
    const count = view.getUint32(off, true);
    off += 4;
    if (off + count * size > bytes.length) return false;
    for (let i = 0; i < count; i++) {
      last = Math.max(last, view.getUint32(off + i * size + frameAt, true));
    }
    off += count * size;
    return true;
  };
  if (!section(BONE_KEY, 15)) return undefined;
  if (section(MORPH_KEY, 15)) section(CAMERA_KEY, 0);
  return last;
}

/** Builds a minimal VMD with one bone keyframe per given frame number (for tests and examples). */
export function makeVmd(frames: number[], morphFrames: number[] = []): Uint8Array {
  const out = new Uint8Array(
    50 + 4 + frames.length * BONE_KEY + 4 + morphFrames.length * MORPH_KEY,
  );
  out.set(new TextEncoder().encode("Vocaloid Motion Data 0002"), 0);
  const view = new DataView(out.buffer);
  let off = 50;
  view.setUint32(off, frames.length, true);
  off += 4;
  for (const f of frames) {
    view.setUint32(off + 15, f, true);
    off += BONE_KEY;
  }
  view.setUint32(off, morphFrames.length, true);
  off += 4;
  for (const f of morphFrames) {
    view.setUint32(off + 15, f, true);
    off += MORPH_KEY;
  }
  return out;
}
