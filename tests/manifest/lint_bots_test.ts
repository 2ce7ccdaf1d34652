/** Mistakes that would be silent, found in manifests and bot sources before the bots run. */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import {
  lintBot,
  lintBots,
  lintReceive,
  lintUses,
  scanTypeUses,
  suggestType,
} from "../../runtime/manifest/lint_bots.ts";
import { loadManifest, parseManifest } from "../../runtime/manifest/load.ts";
import { permissionFix, withPermissionFix } from "../../runtime/manifest/permission_hint.ts";
import { STARTER_RECEIVE } from "../../runtime/cli/new.ts";
import type { BotSpec } from "../../runtime/manifest/types.ts";

function spec(yaml: string, name = "b"): BotSpec {
  const m = parseManifest(yaml, "/p/bots/bots.yaml", { checkFiles: false, cwd: "/p" });
  return m.bots.find((b) => b.name === name)!;
}

Deno.test("suggestType: one edit from a catalog name is a near miss; catalog and custom names are not", () => {
  assertEquals(suggestType("RECOG_EVENT_STPO"), "RECOG_EVENT_STOP");
  assertEquals(suggestType("SYNTH_STRAT"), "SYNTH_START");
  assertEquals(suggestType("recog_event_stop"), "RECOG_EVENT_STOP");
  assertEquals(suggestType("RECOG_EVENT_STOP"), undefined);
  assertEquals(suggestType("MESSAGE_PING"), undefined);
  assertEquals(suggestType("*"), undefined);
});

Deno.test("scanTypeUses finds on, on([…]), waitFor, hear(/^TYPE…/) and sendRaw with their positions; ctx.speak needs no type", () => {
  const text = 'bot.on("RECOG_EVENT_STPO", h);\n' +
    "bot.hear(/^KEY\\|(\\w)$/, h);\n" +
    "bot.on(['TIMER_EVENT_STOP', 'KEY'], h);\n" +
    "  await ctx.waitFor(`SYNTH_EVENT_STOP`);\n" +
    '  ctx.sendRaw("SYNTH_STRAT|mei|v|hi");\n' +
    '  ctx.speak("mei", "v", "t");\n' +
    "  bot.on(type, h); // computed: not guessed\n";
  const uses = scanTypeUses(text).map((u) => `${u.line}:${u.kind}:${u.type}`);
  assertEquals(uses, [
    "1:on:RECOG_EVENT_STPO",
    "2:hear:KEY",
    "3:on:TIMER_EVENT_STOP",
    "3:on:KEY",
    "4:waitFor:SYNTH_EVENT_STOP",
    "5:send:SYNTH_STRAT",
  ]);
  assertEquals(scanTypeUses('bot.on("X")')[0].col, 8, "the column of the literal");
});

Deno.test("a receive list with a near miss warns at its manifest line with did you mean", () => {
  const b = spec("bots:\n  b:\n    receive: [RECOG_EVENT_STPO, MY_EVENT]\n");
  const ws = lintReceive(b);
  assertEquals(ws.length, 1, "the custom MY_EVENT stays allowed");
  assertEquals([ws[0].file, ws[0].line, ws[0].severity], ["bots/bots.yaml", 3, "warning"]);
  assertEquals(ws[0].fix, "did you mean RECOG_EVENT_STOP?");
});

Deno.test("a handler and a hear for types the receive list filters out warn naming the manifest line; a speak does not (the floor answers it)", () => {
  const b = spec("bots:\n  b:\n    receive: [RECOG_EVENT_STOP]\n");
  const ws = lintUses(
    b,
    "bots/b/bot.ts",
    scanTypeUses(
      'bot.on("RECOG_EVENT_STOP", h);\nbot.hear(/^KEY\\|/, h);\nctx.speak("m", "v", "t");\n' +
        'ctx.sendRaw("MOTION_ADD|mei|a|b.vmd");\n',
    ),
  );
  assertEquals(ws.map((w) => `${w.line}:${w.code}`), ["2:type-not-received"]);
  assertIncludes(ws[0].message, "filters KEY out, so it never fires");
  assertEquals(ws[0].fix, "add KEY to receive: at bots/bots.yaml:3");
  const all = spec("bots:\n  b: {}\n");
  assertEquals(lintUses(all, "x.ts", scanTypeUses("bot.hear(/^KEY$/, h)")), [], 'default ["*"]');
});

Deno.test("typos in on, waitFor and sendRaw warn at file:line:col with did you mean", () => {
  const b = spec("bots:\n  b: {}\n");
  const ws = lintUses(
    b,
    "bots/b/bot.ts",
    scanTypeUses(
      'bot.on("RECOG_EVENT_STPO", h);\nctx.waitFor("SYNTH_EVENT_SOTP");\nctx.sendRaw("SYNTH_STRAT|a");\n' +
        'ctx.sendRaw("MESSAGE|custom");\n',
    ),
  );
  assertEquals(ws.map((w) => [w.line, w.col, w.fix]), [
    [1, 8, "did you mean RECOG_EVENT_STOP?"],
    [2, 13, "did you mean SYNTH_EVENT_STOP?"],
    [3, 13, "did you mean SYNTH_START?"],
  ]);
});

Deno.test("lintBot reads the bot's sources but not its tests", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lint-bots-" });
  try {
    await Deno.mkdir(`${dir}/b/lib`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  b:\n    receive: [RECOG_EVENT_STOP]\n");
    await Deno.writeTextFile(`${dir}/b/bot.ts`, 'bot.on("RECOG_EVENT_STOP", h);\n');
    await Deno.writeTextFile(`${dir}/b/lib/more.ts`, '\n  x.waitFor("KEY");\n');
    await Deno.writeTextFile(
      `${dir}/b/bot_test.ts`,
      'rt.inject("RECOG_EVENT_STPO"); x.on("KEYY")\n',
    );
    const m = await loadManifest(`${dir}/bots.yaml`, { cwd: dir });
    const ws = await lintBot(m.bots[0], dir);
    assertEquals(ws.map((w) => `${w.file}:${w.line}:${w.code}`), [
      "b/lib/more.ts:2:type-not-received",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the example bots and the starter bot's manifest entry are consistent with their receive lists", async () => {
  const m = await loadManifest(new URL("../../bots/bots.yaml", import.meta.url).pathname);
  assertEquals(await lintBots(m), []);
  for (const t of ["RECOG_EVENT_STOP", "SYNTH_EVENT_STOP", "KEY"]) {
    assert(STARTER_RECEIVE.includes(t), `the starter bot handles ${t}`);
  }
});

Deno.test("a Deno permission error is told as the manifest entry to add, not Deno's flag", () => {
  const text = 'bots/x/bot.ts:3:9: NotCapable: Requires net access to "api.example.com:443", ' +
    "run again with the --allow-net flag";
  const fixed = withPermissionFix(text);
  assert(!fixed.includes("--allow-net"), fixed);
  assertIncludes(fixed, 'permissions: net: ["api.example.com:443"]');
  assertIncludes(permissionFix('Requires env access to "API_KEY"') ?? "", 'env: ["API_KEY"]');
  assertIncludes(permissionFix("Requires ffi access") ?? "", "cannot be granted ffi");
  assertEquals(withPermissionFix("TypeError: x is undefined"), "TypeError: x is undefined");
});
