import { createResampler, resample } from "../../runtime/audio/resample.ts";
import { assert, assertEquals } from "../assert.ts";

function tone(hz: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

/** Signal-to-error ratio against the ideal tone at the output rate, away from the edges. */
function snrDb(y: Float32Array, hz: number, rate: number, amp = 0.5): number {
  let err = 0;
  let sig = 0;
  for (let n = 1000; n < y.length - 1000; n++) {
    const e = amp * Math.sin((2 * Math.PI * hz * n) / rate);
    err += (y[n] - e) ** 2;
    sig += e * e;
  }
  return 10 * Math.log10(sig / err);
}

Deno.test("resample keeps in-band tones exact to better than 80 dB from common rates to 16 kHz", () => {
  for (
    const [rate, hz] of [[24000, 1000], [44100, 3000], [48000, 6000], [8000, 1000], [22050, 440]]
  ) {
    const y = resample(tone(hz, rate, 1), rate, 16000);
    assertEquals(y.length, 16000, `${rate} Hz`);
    const snr = snrDb(y, hz, 16000);
    assert(snr > 80, `${rate} Hz, ${hz} Hz tone: SNR ${snr.toFixed(1)} dB`);
  }
});

Deno.test("resample low-passes: tones above 8 kHz do not fold back (at least 70 dB down)", () => {
  for (const hz of [8500, 10000, 11500]) {
    const y = resample(tone(hz, 24000, 1), 24000, 16000);
    let power = 0;
    for (let n = 500; n < y.length - 500; n++) power += y[n] * y[n];
    const db = 10 * Math.log10(power / (y.length - 1000) / 0.125);
    assert(db < -70, `${hz} Hz at 24 kHz leaks into 16 kHz at ${db.toFixed(1)} dB`);
  }
});

Deno.test("resampling a stream in odd-sized chunks gives exactly the whole-buffer result", () => {
  const x = tone(700, 44100, 0.5);
  const whole = resample(x, 44100, 16000);
  const rs = createResampler(44100, 16000);
  const parts: number[] = [];
  for (let i = 0; i < x.length; i += 777) parts.push(...rs.push(x.subarray(i, i + 777)));
  parts.push(...rs.end());
  assertEquals(parts.length, whole.length);
  for (let i = 0; i < whole.length; i++) assert(parts[i] === whole[i], `sample ${i}`);
});

Deno.test("equal rates pass through; bad rates are refused with the allowed range", () => {
  assertEquals(Array.from(resample(Float32Array.of(0.1, 0.2), 16000, 16000)), [
    Math.fround(0.1),
    Math.fround(0.2),
  ]);
  let msg = "";
  try {
    createResampler(0, 16000);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("inRate must be a positive whole number"), msg);
});
