import { assert, assertEquals } from "../assert.ts";
import { createBackoff } from "../../runtime/transport/backoff.ts";

Deno.test("backoff: starts at 250 ms and doubles up to the 10 s ceiling (no jitter at random 0.5)", () => {
  const b = createBackoff({ random: () => 0.5 });
  const seq = Array.from({ length: 9 }, () => b.next());
  assertEquals(seq, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
});

Deno.test("backoff: jitter stays within ±20 % of the base delay", () => {
  const low = createBackoff({ random: () => 0 });
  const high = createBackoff({ random: () => 0.999999 });
  assertEquals([low.next(), low.next()], [200, 400]);
  assertEquals([high.next(), high.next()], [300, 600]);
  const real = createBackoff();
  for (let i = 0; i < 50; i++) {
    const d = real.next();
    const base = Math.min(10_000, 250 * 2 ** i);
    assert(d >= base * 0.8 - 1 && d <= base * 1.2 + 1, `attempt ${i}: ${d} vs base ${base}`);
  }
});

Deno.test("backoff: reset() goes back to the first delay", () => {
  const b = createBackoff({ random: () => 0.5 });
  b.next();
  b.next();
  b.next();
  assertEquals(b.attempt, 3);
  b.reset();
  assertEquals([b.attempt, b.next()], [0, 250]);
});
