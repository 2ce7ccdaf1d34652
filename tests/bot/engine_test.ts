import { assert, assertEquals } from "../assert.ts";
import { type Bot, createBot, definitionOf } from "../../runtime/bot/define.ts";
import { createEngine } from "../../runtime/bot/engine.ts";
import type { BotToHost, HostToBot } from "../../runtime/bot/protocol.ts";
import { RefusedError } from "../../runtime/wire/types.ts";

/** Runs a bot definition in-process: what it posts, and a way to feed it host messages. */
// deno-lint-ignore no-explicit-any
function run(bot: Bot<any>, timerBudget?: number) {
  const posted: BotToHost[] = [];
  let batch = 0;
  const engine = createEngine({
    name: "t",
    def: definitionOf(bot)!,
    io: { post: (m) => posted.push(m), batch: () => batch },
    clock: "virtual",
    timerBudget,
  });
  let id = 1;
  const message = (line: string): HostToBot => {
    const [type, ...fields] = line.split("|");
    return {
      t: "message",
      id: id++,
      now: 0,
      line,
      type,
      fields,
      args: {},
      echo: null,
      connection: "c",
    };
  };
  engine.handle({ t: "start", id: id++, now: 0 });
  return {
    engine,
    posted,
    /** Delivers lines, lets the turn run, then "writes" the batch as the pipe would. */
    async deliver(...lines: string[]) {
      for (const l of lines) engine.handle(message(l));
      for (let i = 0; i < 4; i++) await Promise.resolve();
      batch++;
    },
    of: <T extends BotToHost["t"]>(t: T) =>
      posted.filter((m): m is Extract<BotToHost, { t: T }> => m.t === t),
  };
}

Deno.test("engine: a one-line handler returning its send asks for no result, like a block body", async () => {
  const bot = createBot();
  bot.on("PING", (ctx) => ctx.sendRaw("PONG|" + ctx.fields[0]));
  bot.on("PANG", (ctx) => {
    ctx.sendRaw("PUNG|" + ctx.fields[0]);
  });
  const r = run(bot);
  await r.deliver("PING|1", "PANG|2", "PING|3");
  await r.deliver();
  assertEquals(r.of("send").map((m) => [m.line, m.want]), [
    ["PONG|1", undefined],
    ["PUNG|2", undefined],
    ["PONG|3", undefined],
  ]);
  assertEquals(r.of("want"), []);
  assertEquals(r.of("ack").length, 4); // start + three messages
});

Deno.test("engine: an awaited send asks for its result on the send itself", async () => {
  const bot = createBot();
  bot.on("PING", async (ctx) => {
    const res = await ctx.sendRaw("PONG");
    ctx.log.info(res.status);
  });
  const r = run(bot);
  await r.deliver("PING");
  assertEquals(r.of("send")[0].want, true);
  r.engine.handle({ t: "sent", req: r.of("send")[0].req, ok: true, status: "written" });
  await r.deliver();
  assertEquals(r.of("log").map((m) => m.msg), ["written"]);
});

Deno.test("engine: a refusal of a send nobody looked at reaches onError as a RefusedError", async () => {
  const bot = createBot();
  const heard: unknown[] = [];
  bot.on("PING", (ctx) => ctx.sendRaw("EXECUTE|x"));
  bot.on("BAD", (ctx) => ctx.send("MESSAGE", ""));
  bot.onError((e) => void heard.push(e));
  const r = run(bot);
  await r.deliver("PING", "BAD");
  r.engine.handle({
    t: "sent",
    req: r.of("send")[0].req,
    ok: false,
    refusal: { code: "acl-denied", reason: "dangerous" },
  });
  await r.deliver();
  assertEquals(
    heard.map((e) => e instanceof RefusedError ? e.refusal.code : String(e)).sort(),
    ["acl-denied", "empty-field"],
  );
  // The local one is logged by the bot (the host never saw it).
  assert(r.of("log").some((m) => m.level === "warn" && m.msg.includes("empty-field")), "no log");
});

Deno.test("engine: a flood of local refusals nobody awaits logs a few lines and one count", async () => {
  const bot = createBot();
  bot.on("FLOOD", (ctx) => {
    for (let i = 0; i < 10_000; i++) ctx.send("MESSAGE", "");
  });
  const r = run(bot);
  await r.deliver("FLOOD");
  await new Promise((res) => setTimeout(res, 10));
  const logs = r.of("log").map((m) => m.msg);
  assertEquals(logs.length, 4, logs.join("\n"));
  assert(logs[3].includes("9997 more"), logs[3]);
});

Deno.test("engine: whatever a handler throws is reported and the bot keeps handling messages", async () => {
  const hostile: (() => unknown)[] = [
    () => Object.create(null),
    () =>
      new Proxy({}, {
        get() {
          throw new Error("trap");
        },
        getPrototypeOf() {
          throw new Error("trap");
        },
      }),
    () => ({
      toString() {
        throw new Error("no");
      },
    }),
    () => {
      const e = new Error("x");
      Object.defineProperty(e, "message", {
        get() {
          throw new Error("no message");
        },
      });
      Object.defineProperty(e, "stack", {
        get() {
          throw new Error("no stack");
        },
      });
      return e;
    },
    () => {
      const e = new Error("x");
      Object.defineProperty(e, "name", {
        get() {
          throw new Error("no name");
        },
      });
      return e;
    },
  ];
  const bot = createBot();
  bot.on("THROW", (ctx) => {
    throw hostile[Number(ctx.fields[0])]();
  });
  bot.on("ATHROW", async (ctx) => {
    await Promise.resolve();
    throw hostile[Number(ctx.fields[0])]();
  });
  bot.on("PING", (ctx) => ctx.sendRaw("PONG"));
  const r = run(bot);
  for (let i = 0; i < hostile.length; i++) await r.deliver(`THROW|${i}`, `ATHROW|${i}`);
  await r.deliver("PING");
  assertEquals(r.of("error").length, hostile.length * 2);
  for (const e of r.of("error")) assert(typeof e.error.message === "string", JSON.stringify(e));
  assertEquals(r.of("send").map((m) => m.line), ["PONG"]);
});

Deno.test("engine: a feature adds to every context, to each message's context, and handles its own host messages", async () => {
  const bot = createBot();
  const seen: string[] = [];
  bot.on("HI", (ctx) => {
    const c = ctx as unknown as { greet(): string; turn: number };
    seen.push(`${c.greet()} ${c.turn}`);
  });
  const posted: BotToHost[] = [];
  const engine = createEngine({
    name: "t",
    def: definitionOf(bot)!,
    io: { post: (m) => posted.push(m), batch: () => 0 },
    clock: "virtual",
    features: [(io) => ({
      context: { greet: () => `hello from ${io.name}` },
      onMessage: (ctx, msg) => Object.assign(ctx, { turn: msg.fields.length }),
      receive: { "custom-answer": () => void seen.push("answer") },
    })],
  });
  engine.handle({
    t: "message",
    id: 1,
    now: 0,
    line: "HI|a|b",
    type: "HI",
    fields: ["a", "b"],
    args: {},
    echo: null,
    connection: "c",
  });
  engine.handle({ t: "custom-answer" } as unknown as HostToBot);
  await Promise.resolve();
  assertEquals(seen, ["hello from t 2", "answer"]);
});

Deno.test("engine: a timer the host refuses settles its sleep and reaches onError for after", async () => {
  const bot = createBot();
  const heard: string[] = [];
  bot.on("GO", async (ctx) => {
    ctx.after(10, () => {});
    try {
      await ctx.sleep(10);
    } catch (e) {
      heard.push(`sleep ${(e as RefusedError).refusal.code}`);
    }
  });
  bot.onError((e) => void heard.push(`onError ${(e as RefusedError).refusal.code}`));
  const r = run(bot);
  await r.deliver("GO");
  const refusal = { code: "too-many-timers", reason: "host budget" };
  for (const set of r.of("timer-set")) {
    r.engine.handle({ t: "timer-refused", timer: set.timer, refusal });
  }
  await r.deliver();
  assertEquals(heard.sort(), ["onError too-many-timers", "sleep too-many-timers"]);
});
