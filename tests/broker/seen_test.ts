/**
 * The edge's memory of handled worker commands: one watermark per worker run, kept in a SQLite
 * file so a restarted edge drops the redeliveries of what it wrote before.
 */
import { assert, assertEquals } from "../assert.ts";
import { MAX_WORKER_RUNS, openSeenCommands, splitCommandId } from "../../runtime/broker/seen.ts";

Deno.test("seen commands: an id at or below its run's watermark is a duplicate, a higher one is new", () => {
  const seen = openSeenCommands();
  assert(seen.first("w1:a:0"));
  assert(seen.first("w1:a:1"));
  assert(!seen.first("w1:a:1"), "a redelivery");
  assert(!seen.first("w1:a:0"), "an older resend");
  assert(seen.first("w1:b:0"), "another run of the same worker counts apart");
  assert(seen.first("w1:a:5"), "a gap (a publish given up) is fine");
  assertEquals(seen.runs, 2);
  assertEquals(splitCommandId("w:x:12"), { run: "w:x", n: 12 });
  assertEquals(splitCommandId("no-number"), undefined);
  seen.close();
});

Deno.test("seen commands: the watermarks survive a restart of the edge through their file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-seen-" });
  try {
    const file = `${dir}/edge.sqlite`;
    const before = openSeenCommands(file);
    for (let n = 0; n < 50; n++) assert(before.first(`w1:r:${n}`));
    assert(before.first("w2:r:7"));
    // Killed: no close. The file holds what was handed to the link.
    const after = openSeenCommands(file);
    assert(!after.first("w1:r:49"));
    assert(!after.first("w2:r:7"));
    assert(after.first("w1:r:50"));
    assertEquals(after.runs, 2);
    before.close();
    after.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("seen commands: past the bound, the run not heard from longest is forgotten, in the file too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-seen-" });
  try {
    const file = `${dir}/edge.sqlite`;
    const seen = openSeenCommands(file);
    for (let i = 0; i <= MAX_WORKER_RUNS; i++) seen.first(`run${i}:0`);
    assertEquals(seen.runs, MAX_WORKER_RUNS);
    assert(seen.first("run0:0"), "the oldest run was forgotten");
    assert(!seen.first(`run${MAX_WORKER_RUNS}:0`));
    seen.close();
    const again = openSeenCommands(file);
    assertEquals(again.runs, MAX_WORKER_RUNS);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
