/**
 * `status` shows the conversation: the current turn, who speaks, and turn metrics (p50/p95 from
 * the user's last word), taken from the host's conversation snapshot.
 */
import { assertEquals } from "../assert.ts";
import { conversationStatus } from "../../runtime/session/session.ts";
import { formatStatus } from "../../runtime/cli/status.ts";
import { statusSchema } from "../../runtime/control/protocol.ts";
import type { SessionStatus } from "../../runtime/control/target.ts";
import { createSim } from "../conversation/sim.ts";

const assertIncludes = (text: string, part: string) =>
  assertEquals(text.includes(part), true, `${JSON.stringify(part)} not in:\n${text}`);

Deno.test("status shows the turn, who speaks and the turn metrics, and the control channel's schema takes them", async () => {
  const sim = createSim();
  sim.conv.connected("test");
  sim.inject("RECOG_EVENT_START");
  await sim.clock.advance(500);
  sim.inject("RECOG_EVENT_STOP|hello");
  await sim.clock.advance(40);
  sim.conv.speak({ owner: "greeter", model: "mei", voice: "v", text: "Hello there!", turn: 1 });
  await sim.clock.advance(200);
  const status: SessionStatus = {
    pid: 1,
    plan: "console",
    startedAt: "now",
    link: {},
    bots: [],
    refusedLines: 0,
    conversation: conversationStatus({
      avatar: sim.conv.avatar(),
      turns: sim.conv.turns(),
      metrics: sim.conv.metrics(),
    }),
  };
  assertEquals(statusSchema.parse(JSON.parse(JSON.stringify(status))), status);
  const c = status.conversation!;
  assertEquals([c.turn, c.metrics.turns], [1, 1]);
  assertEquals(c.speaking, [{ model: "mei", owner: "greeter", text: "Hello there!" }]);
  const text = formatStatus(status);
  assertIncludes(text, "conversation: turn 1, 1 turns, 0 interruptions (0 false), 0 utterances");
  assertIncludes(text, `first speech command ${Math.round(c.metrics.toFirstCommandMs.p50!)}/`);
  assertIncludes(text, "mei speaking for greeter: Hello there!");
  sim.conv.close();
});
