/**
 * Conversation figures for `deno task bench` (#14): the runtime's own share of the two latencies a
 * voice agent lives by, measured on the host's real speech path (the floor, the segmenter, ACL,
 * guard, echo mark, down to the sink that would write to the Link) on the real clock, with a peer
 * that answers like MMDAgent-EX at once (so its own ~100 ms never counts):
 *
 * - **Barge-in**: `RECOG_EVENT_START` handed to the host while an utterance speaks → `SYNTH_STOP`
 *   at the sink. Target p99 ≤ 10 ms.
 * - **Streaming**: the chunk that completes a sentence pushed into a bot's open stream while the
 *   floor is free → its `SYNTH_START` at the sink. Target p50 ≤ 5 ms.
 *
 * Neither includes the bot's pipe (a bot's chunk reaches the host one pipe hop after it was made;
 * the bench's "pipe round trip" row is that hop, twice).
 *
 * Run alone: `deno run -A bench/conversation.ts` prints the figures as JSON.
 */
import { realClock } from "../runtime/clock/clock.ts";
import { silentLogger } from "../runtime/log/logger.ts";
import { createEchoTracker } from "../runtime/host/echo.ts";
import { createOutbound } from "../runtime/host/outbound.ts";
import { createHostSpeech } from "../runtime/host/speech.ts";
import type { WireUnit } from "../runtime/wire/types.ts";
import { latencySummary } from "./stats.ts";

/** What {@link measureConversation} reports (ms). */
export interface ConversationFigures {
  trials: number;
  bargeIn: { p50: number; p99: number };
  streaming: { p50: number; p99: number };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/** Measures both figures over `trials` rounds each. */
export async function measureConversation(trials = 300): Promise<ConversationFigures> {
  let onLine: (text: string, at: number) => void = () => {};
  const sink = (unit: WireUnit) => {
    onLine(unit.text, performance.now());
    return Promise.resolve({ status: "written" as const, connection: "bench" });
  };
  const outbound = createOutbound({
    clock: realClock,
    log: silentLogger,
    guardContext: () => ({ commands: { hasStartupFst: false } }),
    sink,
    echo: createEchoTracker(),
  });
  const speech = createHostSpeech({
    clock: realClock,
    log: silentLogger,
    outbound,
    speaker: () => undefined,
    allowOf: () => new Set(),
    turnEnded: () => {},
  });
  const conv = speech.conversation;
  conv.connected("bench");
  /** The peer: each SYNTH_START starts speaking at once; a SYNTH_STOP ends it at once. */
  const peer = (text: string) => {
    const start = /^SYNTH_START\|([^|]+)\|/.exec(text);
    if (start) {
      queueMicrotask(() => {
        conv.inbound("SYNTH_START", text.split("|").slice(1), true);
        conv.inbound("SYNTH_EVENT_START", [start[1]], false);
        conv.inbound("LIPSYNC_START", [start[1], "a,100"], false);
      });
    }
    const stop = /^SYNTH_STOP\|([^|]+)$/.exec(text);
    if (stop) queueMicrotask(() => conv.inbound("SYNTH_EVENT_STOP", [stop[1]], false));
  };

  const waitFor = async (done: () => boolean) => {
    for (let i = 0; !done(); i++) {
      if (i > 10_000) throw new Error("bench/conversation: the floor did not answer");
      await tick();
    }
  };

  // Barge-in: a long utterance speaks, the user starts speaking.
  const barge: number[] = [];
  for (let i = 0; i < trials; i++) {
    let stopAt: number | undefined;
    let started = false;
    onLine = (text, at) => {
      if (text.startsWith("SYNTH_START|")) started = true;
      if (text === "SYNTH_STOP|mei") stopAt ??= at;
      peer(text);
    };
    conv.inbound("RECOG_EVENT_STOP", ["question"], false);
    const { result } = conv.speak({
      owner: "bench",
      model: "mei",
      voice: "v",
      text: "This answer is long enough to be interrupted by the user.",
      turn: conv.currentTurn(),
    });
    await waitFor(() => started);
    await tick(); // its start events are in
    const t0 = performance.now();
    conv.inbound("RECOG_EVENT_START", [], false);
    await waitFor(() => stopAt !== undefined);
    barge.push(stopAt! - t0);
    await result;
  }

  // Streaming: the floor is free, the chunk that ends a sentence arrives.
  const stream: number[] = [];
  for (let i = 0; i < trials; i++) {
    let startAt: number | undefined;
    onLine = (text, at) => {
      if (text.startsWith("SYNTH_START|")) startAt ??= at;
      peer(text);
    };
    conv.inbound("RECOG_EVENT_STOP", ["go on"], false);
    const s = conv.stream({ owner: "bench", model: "mei", voice: "v", turn: conv.currentTurn() });
    s.push("The answer begins here");
    await tick();
    const t0 = performance.now();
    s.push(" and this chunk ends the sentence. And");
    await waitFor(() => startAt !== undefined);
    stream.push(startAt! - t0);
    s.cancel("stop", "bench");
    await s.result;
  }
  conv.close();
  outbound.close();
  return { trials, bargeIn: latencySummary(barge), streaming: latencySummary(stream) };
}

if (import.meta.main) console.log(JSON.stringify(await measureConversation()));
