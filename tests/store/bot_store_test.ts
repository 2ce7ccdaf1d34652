/**
 * `ctx.store` from real bot processes (at the OS level when bubblewrap works here): what a bot
 * stores survives a runtime restart, another bot cannot see it, every test kit runtime starts
 * empty, updates are atomic, the quota and the history helper work as documented.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("./fixtures/bots.yaml", import.meta.url);

async function ask(rt: Awaited<ReturnType<typeof createTestRuntime>>, text: string) {
  rt.clearSent();
  await rt.say(text);
  return await rt.waitForSent(/^MESSAGE\|/);
}

Deno.test("what a bot stores survives a runtime restart, and only that bot sees it", async () => {
  const storeDir = await Deno.makeTempDir({ prefix: "mmdbot-store-test-" });
  try {
    {
      await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST, storeDir });
      assertEquals(await ask(rt, "remember name Ada"), "MESSAGE|stored|name");
      assertEquals(await ask(rt, "recall name"), "MESSAGE|recall|name|Ada");
    }
    {
      await using rt = await createTestRuntime({
        bots: ["memo", "other"],
        manifest: MANIFEST,
        storeDir,
      });
      await rt.say("recall name");
      const lines = rt.sent().filter((l) => l.startsWith("MESSAGE|recall"));
      // memo (restarted runtime) still knows; "other" runs the same code on its own store.
      assertEquals(lines.sort(), ["MESSAGE|recall|name|(nothing)", "MESSAGE|recall|name|Ada"]);
    }
  } finally {
    await Deno.remove(storeDir, { recursive: true });
  }
});

Deno.test("every test kit runtime starts with an empty store", async () => {
  {
    await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST });
    assertEquals(await ask(rt, "remember x 1"), "MESSAGE|stored|x");
  }
  await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST });
  assertEquals(await ask(rt, "recall x"), "MESSAGE|recall|x|(nothing)");
  assertEquals(await ask(rt, "list"), "MESSAGE|list|");
});

Deno.test("concurrent updates of one key all count; delete and list by prefix", async () => {
  await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST });
  assertEquals(await ask(rt, "count"), "MESSAGE|count|5|5");
  await ask(rt, "remember a 1");
  await ask(rt, "remember b 2");
  assertEquals(await ask(rt, "list"), "MESSAGE|list|memo/a,memo/b");
  assertEquals(await ask(rt, "forget a"), "MESSAGE|forgot|a");
  assertEquals(await ask(rt, "list"), "MESSAGE|list|memo/b");
});

Deno.test("a write over the bot's quota rejects with StoreError code quota and the fix", async () => {
  await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST });
  assertEquals(await ask(rt, "usage"), "MESSAGE|usage|0|4096");
  const line = await ask(rt, "big 5000");
  assertMatch(line, /^MESSAGE\|error\|quota\|bot "memo".*quota of 4096 bytes.*budgets\.store_kb/);
  assertEquals(await ask(rt, "big 100"), "MESSAGE|big stored");
});

Deno.test("the history helper appends turns and returns the last ones, keeping at most keep", async () => {
  await using rt = await createTestRuntime({ bots: ["memo"], manifest: MANIFEST });
  assertEquals(await ask(rt, "chat one"), "MESSAGE|chat|one");
  assertEquals(await ask(rt, "chat two"), "MESSAGE|chat|one,two");
  await ask(rt, "chat three");
  assertEquals(await ask(rt, "chat four"), "MESSAGE|chat|two,three,four");
});
