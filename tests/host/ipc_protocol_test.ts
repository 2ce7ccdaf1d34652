import { assertEquals } from "../assert.ts";
import { botToHostSchema, parseBotLine } from "../../runtime/host/ipc_protocol.ts";

/** What zod alone makes of a line (the reference the fast path must agree with). */
function viaZod(line: string): unknown {
  try {
    const r = botToHostSchema.safeParse(JSON.parse(line));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const LINES = [
  '{"t":"ack","id":7}',
  '{"t":"ack","id":7,"extra":"dropped"}',
  '{"t":"ack","id":-1}',
  '{"t":"ack","id":1.5}',
  '{"t":"ack","id":"7"}',
  '{"t":"ack"}',
  '{"t":"send","req":3,"line":"MESSAGE|pong|1"}',
  '{"t":"send","req":3,"line":"MESSAGE|x","more":1}',
  '{"t":"send","req":3,"line":"MESSAGE|x","want":true}',
  '{"t":"send","req":3,"line":"MESSAGE|x","want":false}',
  '{"t":"send","req":3,"line":"MESSAGE|x","want":"yes"}',
  '{"t":"want","req":3}',
  '{"t":"want","req":"3"}',
  '{"t":"send","req":3,"line":5}',
  '{"t":"send","req":-3,"line":"x"}',
  `{"t":"send","req":1,"line":"${"a".repeat(64 * 1024)}"}`,
  `{"t":"send","req":1,"line":"${"a".repeat(64 * 1024 + 1)}"}`,
  '{"t":"log","level":"info","msg":"hi"}',
  '{"t":"log","level":"loud","msg":"hi"}',
  '{"t":"stopped"}',
  '{"t":"nope"}',
  "[1,2]",
  "null",
  "{not json",
];

Deno.test("parseBotLine's fast path for ack and send accepts and rejects exactly what zod does", () => {
  for (const line of LINES) assertEquals(parseBotLine(line), viaZod(line), line.slice(0, 60));
});

Deno.test("parseBotLine: lines that are not messages are the bot's output (undefined)", () => {
  assertEquals(parseBotLine("hello from the bot"), undefined);
  assertEquals(parseBotLine('{"t":"ack","id":1'), undefined);
});
