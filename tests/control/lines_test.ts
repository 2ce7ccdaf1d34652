/** The bounded line splitter used for control JSON lines and stdin messages. */
import { readLines, textLines } from "../../runtime/control/lines.ts";
import { assertEquals } from "../assert.ts";

function streamOf(chunks: (string | number[])[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? enc.encode(c) : new Uint8Array(c)),
  );
}

async function collect(s: ReadableStream<Uint8Array>, max: number) {
  const out: (string | number)[] = [];
  for await (const l of readLines(s, max)) {
    out.push(l.ok ? new TextDecoder().decode(l.bytes) : -l.tooLong);
  }
  return out;
}

Deno.test("readLines joins lines split at every chunk boundary and yields a last line without LF", async () => {
  const text = "alpha\nbe|ta\n\ngamma";
  for (let cut = 0; cut <= text.length; cut++) {
    const got = await collect(streamOf([text.slice(0, cut), text.slice(cut)]), 100);
    assertEquals(got, ["alpha", "be|ta", "", "gamma"], `cut at ${cut}`);
  }
});

Deno.test("readLines reports a line over the limit (with its size) without keeping it, then goes on", async () => {
  const long = "x".repeat(50);
  const got = await collect(streamOf(["ok\n", long.slice(0, 20), long.slice(20) + "\nnext\n"]), 10);
  assertEquals(got, ["ok", -50, "next"]);
  assertEquals(await collect(streamOf(["short\n", long]), 10), ["short", -50]);
});

Deno.test("textLines removes one trailing CR and turns invalid UTF-8 into an error for that line only", async () => {
  const out: string[] = [];
  for await (const l of textLines(streamOf(["MESSAGE|a\r\n", [0x41, 0x80, 0x0a], "日本\n"]))) {
    out.push(typeof l === "string" ? l : `error: ${l.message}`);
  }
  assertEquals(out, ["MESSAGE|a", "error: input line is not valid UTF-8", "日本"]);
});
