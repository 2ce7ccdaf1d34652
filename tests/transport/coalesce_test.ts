import { assert, assertEquals } from "../assert.ts";
import { COALESCE_MAX_BYTES, joinUnits } from "../../runtime/transport/coalesce.ts";
import { bytes } from "./helpers.ts";

const dec = new TextDecoder();
const texts = (writes: Uint8Array[]) => writes.map((w) => dec.decode(w));

Deno.test("coalesce: a single unit is written as is, without a copy", () => {
  const one = bytes("A|1\n");
  const writes = joinUnits([one]);
  assertEquals(writes.length, 1);
  assert(writes[0] === one, "the same buffer");
});

Deno.test("coalesce: complete units are joined in order into one write up to the cap", () => {
  assertEquals(texts(joinUnits([bytes("A|1\n"), bytes("B|2\n"), bytes("C|3\n")])), [
    "A|1\nB|2\nC|3\n",
  ]);
  // 12 bytes fit under a 10-byte cap only as 8 + 4: the third unit starts a new write.
  assertEquals(texts(joinUnits([bytes("A|1\n"), bytes("B|2\n"), bytes("C|3\n")], 10)), [
    "A|1\nB|2\n",
    "C|3\n",
  ]);
});

Deno.test("coalesce: a unit over the cap goes alone, whole, and no write is ever split inside a unit", () => {
  const big = bytes("MESSAGE|" + "x".repeat(COALESCE_MAX_BYTES) + "\n");
  const parts = [bytes("A|1\n"), big, bytes("B|2\n"), bytes("C|3\n")];
  const writes = joinUnits(parts);
  assertEquals(writes.length, 3);
  assert(writes[1] === big, "the oversized unit is its own write");
  for (const w of writes) {
    assert(w.length <= COALESCE_MAX_BYTES || w === big, `write of ${w.length} bytes`);
    assertEquals(w.at(-1), 0x0a, "every write ends where a unit ends");
  }
  assertEquals(texts(writes).join(""), texts(parts).join(""));
});

Deno.test("coalesce: the default cap keeps a join within one Ethernet TCP segment", () => {
  assert(COALESCE_MAX_BYTES <= 1448, `cap ${COALESCE_MAX_BYTES}`);
  const many = Array.from({ length: 500 }, (_, i) => bytes(`MESSAGE|line ${i}\n`));
  const writes = joinUnits(many);
  assert(writes.length > 1, "500 units do not fit one write");
  for (const w of writes) assert(w.length <= COALESCE_MAX_BYTES, `write of ${w.length} bytes`);
  assertEquals(texts(writes).join(""), texts(many).join(""));
});
