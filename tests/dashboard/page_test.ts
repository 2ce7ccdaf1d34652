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
  "without a conversation feed the turn and avatar panels stay hidden",
  async ({ context }) => {
    const s = fakeSource();
    const d = await serveDashboard(s.source, { logger: memoryLogger() });
    try {
      const page = await context.newPage();
      await page.goto(d.url);
      await page.locator("body[data-ready=true]").waitFor(WAIT);
      assertEquals(await page.locator("#turns-panel").isHidden(), true);
      assertEquals(await page.locator("#avatar-panel").isHidden(), true);
    } finally {
      await d.close();
    }
  },
);
