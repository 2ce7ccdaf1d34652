import { assertEquals } from "../assert.ts";
import {
  type Bot,
  createBot,
  definitionOf,
  type MessageContext,
} from "../../runtime/bot/define.ts";
import { route } from "../../runtime/bot/router.ts";

// deno-lint-ignore no-explicit-any
function routeLine(bot: Bot<any>, line: string) {
  const type = line.split("|")[0];
  const ctx = { line, type } as unknown as MessageContext<string, unknown>;
  const calls: Promise<unknown>[] = [];
  const done = route(definitionOf(bot)!.routes, type, line, () => ctx, (fn) => {
    const r = fn();
    if (r instanceof Promise) {
      calls.push(r);
      return r;
    }
    return undefined;
  });
  return { done, calls };
}

Deno.test("router: on, hear and onAny run in registration order, hear with its match", () => {
  const seen: string[] = [];
  const bot = createBot();
  bot.on("A", () => void seen.push("on"));
  bot.hear(/^A\|(\w+)/, (ctx) => void seen.push(`hear ${ctx.match![1]}`));
  bot.on("B", () => void seen.push("not me"));
  bot.onAny(() => void seen.push("any"));
  routeLine(bot, "A|x");
  assertEquals(seen, ["on", "hear x", "any"]);
});

Deno.test("router: a middleware that does not call next claims the message; await next() waits for the handlers after it", async () => {
  const seen: string[] = [];
  const bot = createBot();
  bot.on("A", () => void seen.push("before"));
  bot.use(async (ctx, next) => {
    if (ctx.type === "A") return; // claimed
    seen.push("mw in");
    await next();
    seen.push("mw out");
  });
  bot.on(["A", "B"], async () => {
    seen.push("handler start");
    await Promise.resolve();
    seen.push("handler end");
  });
  routeLine(bot, "A");
  assertEquals(seen, ["before"]);
  seen.length = 0;
  const { done } = routeLine(bot, "B");
  // Everything up to the first await started synchronously (the engine acks right after).
  assertEquals(seen, ["mw in", "handler start"]);
  await done;
  assertEquals(seen, ["mw in", "handler start", "handler end", "mw out"]);
});
