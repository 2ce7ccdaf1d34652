/**
 * The page's conversation views in chromium, fed by a source double whose turns and avatar state the
 * test sets (the real conversation tracking is exercised by browser_test.ts): the avatar mirror,
 * one timeline per turn and the p50/p95 summary, updated live when the conversation changes.
 */
import { assertEquals, assertIncludes } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { serveDashboard } from "../../runtime/dashboard/server.ts";
import type { TurnView } from "../../runtime/dashboard/source.ts";
import { browserTest } from "./browser.ts";
import { type FakeConversation, fakeSource } from "./fake_source.ts";
import { conversationFeed } from "../../runtime/dashboard/conversation_feed.ts";
import { createSim } from "../conversation/sim.ts";

const WAIT = { timeout: 30_000 };

function turn(
  id: number,
  text: string,
  at: number,
  toAudio: number,
  interrupted = false,
): TurnView {
  return {
    id,
    text,
    startedAt: at,
    userEndAt: at + 800,
    firstCommandAt: at + 800 + 40,
    firstWireAt: at + 800 + 45,
    firstAudioAt: at + 800 + toAudio,
    endAt: at + 800 + toAudio + 1500,
    interrupted,
    utterances: 1,
    dropped: 0,
    claimedBy: "greeter",
  };
}

await browserTest(
  "the page draws the avatar mirror, a timeline per turn and the p50/p95 of recent turns, live",
  async ({ context }) => {
    const conv: FakeConversation = {
      changed: () => {},
      avatar: {
        connected: true,
        connection: "tcp:127.0.0.1:50001",
        models: [{
          alias: "mei",
          motions: ["wave"],
          speaking: { owner: "greeter", text: "Hello! Nice to meet you.", since: 0 },
        }],
        timers: [],
        variables: {},
        userSpeaking: false,
        turn: 1,
      },
      turns: [turn(1, "hello", 1000, 620)],
      metrics: {
        turns: 1,
        interruptions: 0,
        dropped: 0,
        toFirstCommandMs: { p50: 40, p95: 40 },
        toWireMs: { p50: 45, p95: 45 },
        toAudioMs: { p50: 620, p95: 620 },
      },
    };
    const s = fakeSource(conv);
    const d = await serveDashboard(s.source, { logger: memoryLogger() });
    try {
      const page = await context.newPage();
      await page.goto(d.url);
      await page.locator("body[data-ready=true]").waitFor(WAIT);
      await page.locator("#turns-panel").waitFor({ state: "visible", ...WAIT });
      const first = page.locator('#turns li[data-turn="1"]');
      await first.waitFor(WAIT);
      assertIncludes(await first.textContent() ?? "", "hello");
      assertIncludes(await page.textContent("#turns-summary") ?? "", "first audio p50 620 ms");
      assertIncludes(
        await page.textContent('#avatar dd[data-key="mei"]') ?? "",
        "speaking “Hello! Nice to meet you.” (greeter)",
      );
      assertEquals(await page.locator("#turns-chart svg rect").count(), 1, "one bar per turn");

      // A second, interrupted turn arrives: the page updates without a reload.
      conv.turns = [...conv.turns, turn(2, "wait, stop", 5000, 900, true)];
      conv.metrics = {
        ...conv.metrics,
        turns: 2,
        interruptions: 1,
        toAudioMs: { p50: 760, p95: 886 },
      };
      conv.avatar = { ...conv.avatar, turn: 2, userSpeaking: true, models: [] };
      conv.changed();
      await page.locator('#turns li[data-turn="2"][data-interrupted="true"]').waitFor(WAIT);
      await page.locator("#turns-summary", { hasText: "p95 886 ms" }).waitFor(WAIT);
      await page.locator('#avatar dd[data-key="user"]', { hasText: "speaking" }).waitFor(WAIT);
      assertEquals(await page.locator("#turns-chart svg rect").count(), 2);
    } finally {
      await d.close();
    }
  },
);

await browserTest(
  "without a conversation the turn panels stay hidden; save writes the rows as JSON lines; a gone runtime shows",
  async ({ context }) => {
    const s = fakeSource();
    const d = await serveDashboard(s.source, { logger: memoryLogger() });
    let closed = false;
    try {
      const page = await context.newPage();
      await page.goto(d.url);
      await page.locator("body[data-ready=true]").waitFor(WAIT);
      assertEquals(await page.locator("#turns-panel").isHidden(), true);
      assertEquals(await page.locator("#avatar-panel").isHidden(), true);

      s.tap.emit("in", "test", "RECOG_EVENT_STOP|hello");
      s.tap.emit("out", "test", "SYNTH_START|mei|v|Hi", { bot: "greeter" });
      await page.locator("#traffic tr", { hasText: "SYNTH_START|mei|v|Hi" }).waitFor(WAIT);
      const [download] = await Promise.all([
        page.waitForEvent("download", WAIT),
        page.click("#traffic-save"),
      ]);
      const saved = await Deno.readTextFile(await download.path());
      const rows = saved.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(rows.map((r) => [r.dir, r.bot, r.line]), [
        ["in", undefined, "RECOG_EVENT_STOP|hello"],
        ["out", "greeter", "SYNTH_START|mei|v|Hi"],
      ]);
      await page.click("#traffic-clear");
      assertEquals(await page.locator("#traffic tbody tr").count(), 0);

      await d.close();
      closed = true;
      await page.locator("#stream-state", { hasText: "reconnecting" }).waitFor(WAIT);
    } finally {
      if (!closed) await d.close();
    }
  },
);

await browserTest(
  "turns of the real conversation room (user speech, answer, first audio, barge-in) are drawn with their p50",
  async ({ context }) => {
    // The conversation room itself on a virtual clock, with the speech side of tests/conversation.
    const sim = createSim();
    const s = fakeSource();
    s.source.conversation = conversationFeed({
      snapshot: () => ({
        avatar: sim.conv.avatar(),
        turns: sim.conv.turns(),
        metrics: sim.conv.metrics(),
      }),
      subscribe: (fn) => sim.conv.subscribe(fn),
    });
    const d = await serveDashboard(s.source, { logger: memoryLogger() });
    try {
      const page = await context.newPage();
      await page.goto(d.url);
      await page.locator("body[data-ready=true]").waitFor(WAIT);

      sim.inject("RECOG_EVENT_START");
      await sim.clock.advance(700);
      sim.inject("RECOG_EVENT_STOP|hello");
      await sim.clock.advance(30);
      sim.conv.speak({ owner: "greeter", model: "mei", voice: "v", text: "Hello there!", turn: 1 });
      await sim.clock.advance(300);
      // Speaking now: the avatar mirror says so.
      await page.locator('#avatar dd[data-key="mei"]', { hasText: "Hello there!" }).waitFor(WAIT);
      await sim.clock.advance(2000);
      // The user speaks over a long answer: turn 2 cuts it.
      sim.inject("RECOG_EVENT_START");
      await sim.clock.advance(500);
      sim.inject("RECOG_EVENT_STOP|what time is it");
      sim.conv.speak({
        owner: "greeter",
        model: "mei",
        voice: "v",
        text: "A long answer " + "la ".repeat(40),
        turn: 2,
      });
      await sim.clock.advance(400);
      sim.inject("RECOG_EVENT_START");
      await sim.clock.advance(2000);

      const t1 = page.locator('#turns li[data-turn="1"]');
      await t1.waitFor(WAIT);
      assertIncludes(await t1.textContent() ?? "", "hello");
      await page.locator('#turns li[data-turn="2"][data-interrupted="true"]').waitFor(WAIT);
      const turns = sim.conv.turns();
      const toAudio = turns[0].firstAudioAt! - turns[0].userEndAt!;
      const m = sim.conv.metrics();
      assertEquals(m.toAudioMs.p50 !== undefined, true, JSON.stringify(m));
      await page.locator("#turns-summary", {
        hasText: `first audio p50 ${Math.round(m.toAudioMs.p50!)} ms`,
      }).waitFor(WAIT);
      assertEquals(toAudio > 0, true, `first audio after the user's speech: ${toAudio}`);
    } finally {
      await d.close();
      sim.conv.close();
    }
  },
);
