/**
 * The host's stores on real SQLite files: prefixes, versions and checked commits, the quota, one
 * file per bot, and data kept when the file is opened again.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import type { BotSpec } from "../../runtime/manifest/types.ts";
import { openSqliteStore } from "../../runtime/store/sqlite_store.ts";
import { createStores, defaultStoreDir, type StoreReply } from "../../runtime/store/stores.ts";

function spec(name: string, dir = `/nonexistent/bots/${name}`, storeKb?: number): BotSpec {
  return {
    name,
    dir,
    module: `${dir}/bot.ts`,
    permissions: { read: false, write: false, net: false, env: false, run: false, npm: [] },
    allow: [],
    receive: ["*"],
    budgets: {
      handlerMs: 2000,
      heapMb: 64,
      messagesPerSecond: 20,
      burst: 40,
      ...(storeKb ? { storeKb } : {}),
    },
    restart: { initialBackoffMs: 500, maxBackoffMs: 30000, maxFailures: 5, windowMs: 60000 },
    isolation: "any",
    origin: { file: "bots/bots.yaml", line: 1 },
  };
}

const set = (key: string, value: unknown) => ({
  op: "commit" as const,
  checks: [],
  writes: [{ op: "set" as const, key, value: JSON.stringify(value) }],
});

function ok(reply: StoreReply) {
  if (!reply.ok) throw new Error(`store failed: ${reply.error.message}`);
  return reply.result;
}

Deno.test("get, set, delete and list by prefix, in key order, paged, reversed", async () => {
  const dir = await Deno.makeTempDir();
  const store = openSqliteStore(`${dir}/a.sqlite`, { bot: "a", quotaBytes: 1 << 20 });
  try {
    for (const k of ["user/b", "user/a", "users", "user/c", "other", "user/ü"]) {
      store.commit([], [{ op: "set", key: k, value: JSON.stringify(k) }]);
    }
    assertEquals(store.get("user/a")?.value, '"user/a"');
    assertEquals(store.get("nope"), null);
    const page1 = store.list("user/", 2, false);
    assertEquals(page1.entries.map((e) => e.key), ["user/a", "user/b"]);
    const page2 = store.list("user/", 2, false, page1.cursor);
    assertEquals(page2.entries.map((e) => e.key), ["user/c", "user/ü"]);
    assertEquals(page2.cursor, undefined);
    assertEquals(store.list("user/", 10, true).entries.map((e) => e.key), [
      "user/ü",
      "user/c",
      "user/b",
      "user/a",
    ]);
    assertEquals(store.list("", 100, false).entries.length, 6);
    store.commit([], [{ op: "delete", key: "user/b" }]);
    assertEquals(store.list("user/", 10, false).entries.map((e) => e.key), [
      "user/a",
      "user/c",
      "user/ü",
    ]);
    assertEquals(store.usage().keys, 5);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a commit writes all or nothing: a failed version check writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const store = openSqliteStore(`${dir}/a.sqlite`, { bot: "a", quotaBytes: 1 << 20 });
  try {
    const first = store.commit([{ key: "n", version: null }], [
      { op: "set", key: "n", value: "1" },
    ]);
    assert(first.ok);
    const v = store.get("n")!.version;
    assertEquals(v, first.version);
    // Someone else wrote "n" since version v was read: the stale commit changes nothing.
    store.commit([], [{ op: "set", key: "n", value: "2" }]);
    const stale = store.commit([{ key: "n", version: v }], [
      { op: "set", key: "n", value: "99" },
      { op: "set", key: "side", value: "1" },
    ]);
    assertEquals(stale.ok, false);
    assertEquals(store.get("n")!.value, "2");
    assertEquals(store.get("side"), null);
    assertEquals(store.commit([{ key: "n", version: null }], []).ok, false);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("over the quota a write is refused with the fix and nothing is written; shrinking is allowed", async () => {
  const dir = await Deno.makeTempDir();
  const stores = createStores(dir);
  const bot = spec("small", undefined, 1);
  try {
    ok(stores.handle(bot, set("a", "x".repeat(600))));
    const refused = stores.handle(bot, set("b", "y".repeat(600)));
    assert(!refused.ok);
    assertEquals(refused.error.code, "quota");
    assertMatch(refused.error.message, /bot "small".*over its quota of 1024 bytes/);
    assertMatch(refused.error.fix ?? "", /budgets\.store_kb/);
    assertEquals(
      (ok(stores.handle(bot, { op: "get", key: "b" })) as { entry: unknown }).entry,
      null,
    );
    const usage = ok(stores.handle(bot, { op: "usage" }));
    assertEquals(usage, { op: "usage", bytes: 1 + 602, quotaBytes: 1024, keys: 1 });
    ok(stores.handle(bot, set("a", "short")));
  } finally {
    stores.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("each bot has its own file; data survives closing and opening again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let stores = createStores(dir);
    ok(stores.handle(spec("a"), set("k", "from a")));
    ok(stores.handle(spec("b"), set("k", "from b")));
    stores.close();
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sqlite")).sort(),
      [
        "a.sqlite",
        "b.sqlite",
      ],
    );
    stores = createStores(dir);
    const a = ok(stores.handle(spec("a"), { op: "get", key: "k" })) as { entry: { value: string } };
    const b = ok(stores.handle(spec("b"), { op: "get", key: "k" })) as { entry: { value: string } };
    assertEquals([a.entry.value, b.entry.value], ['"from a"', '"from b"']);
    stores.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the store folder sits beside the manifest, and a bot whose folder holds it gets none", () => {
  assertEquals(defaultStoreDir("/p/bots/bots.yaml"), "/p/bots/.mmdbot-store");
  const stores = createStores("/p/bots/.mmdbot-store");
  const reply = stores.handle(spec("wide", "/p/bots"), { op: "get", key: "k" });
  assert(!reply.ok);
  assertEquals(reply.error.code, "unavailable");
  assertMatch(reply.error.message, /contains the store folder/);
  stores.close();
});
