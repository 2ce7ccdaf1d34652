/**
 * The per-bot instance in-process: a fake process stands in for the bot (no spawn), so these run
 * in milliseconds and drive the instance's IPC handling directly.
 */
import { assertEquals } from "../assert.ts";
import { type InstanceDeps, startInstance } from "../../runtime/host/instance.ts";
import { parseBotLine } from "../../runtime/host/ipc_protocol.ts";
import type { BotProcess, ProcessHandlers } from "../../runtime/host/process.ts";
import type { BotToHost, HostToBot } from "../../runtime/bot/protocol.ts";
import type { SendReply } from "../../runtime/host/send_results.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { botSpec } from "./helpers.ts";

function fake(
  send: (line: string) => Promise<SendReply> = () =>
    Promise.resolve({ ok: true, status: "written" }),
  spec = botSpec("fake", "/nowhere"),
  extra: Partial<InstanceDeps> = {},
) {
  const clock = new VirtualClock();
  const log = memoryLogger();
  const written: HostToBot[] = [];
  const features: BotToHost[] = [];
  let handlers!: ProcessHandlers;
  let exit!: (s: Deno.CommandStatus) => void;
  const proc: BotProcess = {
    pid: 4242,
    write: (line) => void written.push(JSON.parse(line)),
    closeInput: () => {},
    kill: () => exit({ success: false, code: 137, signal: "SIGKILL" }),
    exited: new Promise((r) => (exit = r)),
  };
  let id = 1;
  const instance = startInstance({
    spec,
    plan: { cmd: "none", args: [], env: {}, level: "deno", why: "test" } as never,
    clock,
    clockMode: "virtual",
    log,
    nextId: () => id++,
    send,
    setup: () => {},
    onExit: (why) => void exits.push(why),
    onError: () => {},
    onFeature: (m) => void features.push(m),
    spawn: (_plan, h) => {
      handlers = h;
      return proc;
    },
    ...extra,
  });
  const bot = (m: BotToHost) => handlers.onMessage(m);
  /** One stdout line as the process reader hands it on; true when the early path took it. */
  const line = (text: string): boolean => {
    if (handlers.early?.(text)) return true;
    const m = parseBotLine(text);
    if (m) handlers.onMessage(m);
    return false;
  };
  const overflow = (n: number) => handlers.onInputOverflow?.(n);
  const exits: string[] = [];
  return {
    instance,
    written,
    features,
    bot,
    line,
    clock,
    log,
    overflow,
    exits,
    of: (t: string) => written.filter((m) => m.t === t),
  };
}

const turn = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

Deno.test("instance: writes init, then at most the inbox window; each ack lets the next message through", async () => {
  const f = fake();
  f.bot({ t: "ready", types: [] });
  assertEquals(f.written[0].t, "init");
  for (let id = 1000; id < 1040; id++) f.instance.deliver(`{"t":"message","id":${id}}`, id);
  assertEquals(f.of("message").length, 32);
  f.bot({ t: "ack", id: 1000 });
  assertEquals(f.of("message").length, 33);
  assertEquals(f.instance.stats().outstanding, 32 + 7);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: a send nobody waits for gets no answer; a wanted one and a late want do; a refusal only to a bot with onError hooks", async () => {
  const replies: SendReply[] = [
    { ok: true, status: "written" },
    { ok: true, status: "written" },
    { ok: false, refusal: { code: "acl-denied", reason: "no" } },
    { ok: false, refusal: { code: "acl-denied", reason: "no" } },
  ];
  const f = fake(() => Promise.resolve(replies.shift()!));
  f.bot({ t: "ready", types: [], errorHooks: false });
  f.bot({ t: "send", req: 1, line: "A" });
  f.bot({ t: "send", req: 2, line: "B", want: true });
  f.bot({ t: "send", req: 3, line: "EXECUTE|x" });
  await turn();
  assertEquals(f.of("sent"), [{ t: "sent", req: 2, ok: true, status: "written" }]);
  f.bot({ t: "want", req: 1 });
  f.bot({ t: "want", req: 3 });
  await turn();
  assertEquals(f.of("sent").slice(1), [
    { t: "sent", req: 1, ok: true, status: "written" },
    { t: "sent", req: 3, ok: false, refusal: { code: "acl-denied", reason: "no" } },
  ]);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: messages it does not know go to onFeature; post writes a feature's answer", async () => {
  const f = fake();
  f.bot({ t: "ready", types: [] });
  const custom = { t: "speak", req: 7 } as unknown as BotToHost;
  f.bot(custom);
  assertEquals(f.features, [custom]);
  f.instance.post({ t: "spoken", req: 7 } as unknown as HostToBot);
  await turn();
  assertEquals(f.of("spoken").length, 1);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: a flood of refusals for one reason goes back as one message covering the range", async () => {
  const limited: SendReply = { ok: false, refusal: { code: "rate-limit", reason: "too fast" } };
  const acl: SendReply = { ok: false, refusal: { code: "acl-denied", reason: "no" } };
  let n = 0;
  const f = fake(() => Promise.resolve(++n === 501 ? acl : limited));
  f.bot({ t: "ready", types: [], errorHooks: true });
  for (let req = 1; req <= 1000; req++) f.bot({ t: "send", req, line: `L|${req}` });
  await turn();
  assertEquals(
    f.of("sent").map((m) => m.t === "sent" && !m.ok ? [m.req, m.to, m.refusal.code] : []),
    [
      [1, 500, "rate-limit"],
      [501, undefined, "acl-denied"],
      [502, 1000, "rate-limit"],
    ],
  );
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: forged timer-sets past budgets.timers are not armed, each is answered timer-refused, counted in stats and logged once per window", async () => {
  const base = botSpec("fake", "/nowhere");
  const f = fake(undefined, { ...base, budgets: { ...base.budgets, timers: 3 } });
  f.bot({ t: "ready", types: [] });
  assertEquals((f.written[0] as { timers?: number }).timers, 3);
  for (let timer = 1; timer <= 10; timer++) f.bot({ t: "timer-set", timer, ms: 10, repeat: false });
  const refused = f.of("timer-refused") as Extract<HostToBot, { t: "timer-refused" }>[];
  assertEquals(refused.map((m) => m.timer), [4, 5, 6, 7, 8, 9, 10]);
  assertEquals(refused[0].refusal.code, "too-many-timers");
  assertEquals(/budgets\.timers/.test(refused[0].refusal.fix ?? ""), true);
  assertEquals([f.instance.stats().timers, f.instance.stats().timersRefused], [3, 7]);
  const warned = f.log.records.filter((r) => r.msg.startsWith("timer refused"));
  assertEquals([warned.length, warned[0].fields?.bot], [1, "fake"]);
  await f.clock.advance(10);
  assertEquals((f.of("fire") as { timer: number }[]).map((m) => m.timer), [1, 2, 3]);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: a bot whose unread input passes the host's bound is stopped, and the reason says so", async () => {
  const f = fake();
  f.bot({ t: "ready", types: [] });
  f.overflow(70 * 1024 * 1024);
  await f.instance.exited;
  assertEquals(f.exits.length, 1);
  assertEquals(
    /^stopped reading its input: 70 MiB .*at most 64 MiB per bot/.test(f.exits[0]),
    true,
  );
});

Deno.test("instance: past the rate limit a send line is refused from its first characters, never parsed or passed on, and answered like any refusal; a type the ACL looks at, or spelt oddly, takes the full path", async () => {
  const spent = { code: "rate-limit", reason: "too fast" } as const;
  let early = 0;
  const passed: string[] = [];
  const f = fake(
    (l) => {
      passed.push(l);
      return Promise.resolve({ ok: false, refusal: spent });
    },
    undefined,
    { refuseEarly: () => (early++, spent) },
  );
  f.bot({ t: "ready", types: [], errorHooks: false });
  const send = (req: number, line: string, more: Record<string, unknown> = {}) =>
    f.line(JSON.stringify({ t: "send", req, line, ...more }));
  // Sends the bot waits for are answered (with `turn` before `want`, as the API writes them).
  assertEquals(send(1, "MESSAGE|a", { want: true }), true);
  assertEquals(send(2, "SYNTH_START|mei|v|hi", { turn: 3, want: true }), true);
  // One nobody waits for, from a bot without onError hooks: no answer, as on the full path.
  assertEquals(send(3, "MESSAGE|b"), true);
  // A line whose text holds the want key only inside the string is not wanted.
  assertEquals(send(4, 'MESSAGE|"want":true'), true);
  await turn();
  assertEquals(f.of("sent"), [
    { t: "sent", req: 1, ok: false, refusal: spent, to: 2 },
  ]);
  assertEquals([early, passed], [4, []]);
  // Lines the ACL may refuse keep their acl-denied (and its security log): the full path.
  for (
    const l of [
      "EXECUTE|calc.exe",
      "KEYVALUE_SET|Plugin_Remote_Hostname|x",
      "MENU|SETITEM|m|0|l|EXECUTE|x",
      "BUTTON_ADD|b|1|0.5,0.5|a.png|open,http://x",
      "__AV_MESSAGE,EXECUTE|x",
      "\u0045XECUTE|x",
    ]
  ) assertEquals(send(10, l, { want: true }), false, l);
  // A forged shape takes the full path too, and is then parsed as usual: not a message (a string
  // req), or a valid one (a space before the comma) that goes through the outbound path.
  assertEquals(f.line('{"t":"send","req":"5","line":"MESSAGE|x"}'), false);
  assertEquals(f.line('{"t":"send","req":5 ,"line":"MESSAGE|x"}'), false);
  await turn();
  assertEquals(early, 4);
  assertEquals(passed.length, 7);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: within the rate limit every send line takes the full path", async () => {
  const passed: string[] = [];
  const f = fake(
    (l) => {
      passed.push(l);
      return Promise.resolve({ ok: true, status: "written" });
    },
    undefined,
    { refuseEarly: () => undefined },
  );
  f.bot({ t: "ready", types: [] });
  assertEquals(f.line(JSON.stringify({ t: "send", req: 1, line: "MESSAGE|a", want: true })), false);
  await turn();
  assertEquals(passed, ["MESSAGE|a"]);
  assertEquals(f.of("sent"), [{ t: "sent", req: 1, ok: true, status: "written" }]);
  f.instance.kill("test");
  await f.instance.exited;
});

Deno.test("instance: an error line while the bot's error log is full is only counted, never parsed or formatted", async () => {
  let full = false;
  const formatted: string[] = [];
  const f = fake(undefined, undefined, {
    errorLeftOut: () => full,
    onError: (text) => void formatted.push(text),
  });
  f.bot({ t: "ready", types: [] });
  const error = JSON.stringify({
    t: "error",
    where: "handler",
    error: { name: "E", message: "boom", stack: "E: boom" },
  });
  assertEquals(f.line(error), false);
  full = true;
  assertEquals(f.line(error), true);
  assertEquals(f.line(error), true);
  assertEquals(formatted, ["handler: E: boom"]);
  assertEquals(f.instance.stats().errors, 3);
  f.instance.kill("test");
  await f.instance.exited;
});
