/**
 * Writes chime.wav, the chime bot's sound: 1.2 s of a struck bell (three partials, each decaying),
 * 22.05 kHz mono 16-bit, so playing it also exercises the host's resampling to 16 kHz. Kept in the
 * repository (53 KB); run `deno run --allow-write=bots/chime bots/chime/make_chime.ts` to remake it.
 */
const RATE = 22050;
const SECONDS = 1.2;

/** The chime's samples. */
export function chimeSamples(): Int16Array {
  const n = Math.round(RATE * SECONDS);
  const out = new Int16Array(n);
  const partials = [[880, 1, 2.5], [1320, 0.5, 4], [2217, 0.25, 7]] as const;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    let v = 0;
    for (const [hz, gain, decay] of partials) {
      v += gain * Math.exp(-decay * t) * Math.sin(2 * Math.PI * hz * t);
    }
    // A 5 ms attack, so the first sample is no click.
    const attack = Math.min(1, t / 0.005);
    out[i] = Math.round(12000 * attack * v);
  }
  return out;
}

/** A RIFF/WAVE file of 16-bit mono PCM at `rate`. */
export function wav16(samples: Int16Array, rate: number): Uint8Array {
  const data = samples.length * 2;
  const buf = new ArrayBuffer(44 + data);
  const v = new DataView(buf);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, "RIFF");
  v.setUint32(4, 36 + data, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, data, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, samples[i], true);
  return new Uint8Array(buf);
}

if (import.meta.main) {
  await Deno.writeFile(new URL("./chime.wav", import.meta.url), wav16(chimeSamples(), RATE));
}
