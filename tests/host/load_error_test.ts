import { assertEquals } from "../assert.ts";
import {
  ERROR_TEXT_MAX,
  fileLocations,
  formatBotError,
  locateError,
} from "../../runtime/host/load_error.ts";

const locs = (text: string) => [...fileLocations(text)].map((l) => `${l.file}:${l.line}:${l.col}`);

Deno.test("locations are read as the old pattern read them: the shortest URL followed by :line:col, never across a space or bracket", () => {
  assertEquals(locs("at file:///b/x/bot.ts:3:7"), ["/b/x/bot.ts:3:7"]);
  assertEquals(locs("at f (file:///b/x/bot.ts:3:7) and file:///c/y.ts:10:2\n"), [
    "/b/x/bot.ts:3:7",
    "/c/y.ts:10:2",
  ]);
  // A colon that is not followed by digits:digits belongs to the path.
  assertEquals(locs("file:///b/a:b/c.ts:1:2"), ["/b/a:b/c.ts:1:2"]);
  assertEquals(locs("file:///b/x.ts:1:"), []);
  assertEquals(locs("file:///b/x.ts:1 :2"), []);
  assertEquals(locs("file://"), []);
  assertEquals(locs("file://:1:2"), []);
  assertEquals(locs("file:///a:1:2file:///b:3:4"), ["/a:1:2", "/b:3:4"]);
  assertEquals(locs("file:///b/%20x.ts:1:2"), ["/b/ x.ts:1:2"]);
});

Deno.test("the stack frame inside the bot's folder wins over frames in mmdbot", () => {
  const loc = locateError(
    {
      name: "Error",
      message: "boom",
      stack: "Error: boom\n    at run (file:///rt/runtime/bot/engine.ts:1:1)\n" +
        "    at handler (file:///b/greeter/bot.ts:12:5)",
    },
    "/b/greeter",
  );
  assertEquals(loc, { file: "/b/greeter/bot.ts", line: 12, col: 5 });
});

Deno.test("a hostile error text (64 KiB of spaces, of file://, of colons) is cut and formatted, never hangs", () => {
  const K = 64 * 1024;
  for (
    const text of [" ".repeat(K) + "x", "file://".repeat(K / 7), "file://a" + ":1a".repeat(K / 3)]
  ) {
    const shown = formatBotError({ name: "Error", message: text, stack: text }, "/b/x");
    assertEquals(shown.length <= ERROR_TEXT_MAX + 20, true, `${shown.length} characters`);
  }
  assertEquals(
    formatBotError(
      { name: "TypeError", message: "SyntaxError: x   at file:///b/x/bot.ts:2:3" },
      "/b/x",
    ),
    "/b/x/bot.ts:2:3: SyntaxError: x",
  );
});
