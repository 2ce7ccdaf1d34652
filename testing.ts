/**
 * mmdbot's test kit: run your bots, as real sandboxed processes exactly as `start` runs them, on a
 * virtual clock, against an in-process MMDAgent-EX emulator that gives MMDAgent-EX's real answers
 * (echoes, `SYNTH_EVENT_START`/`SYNTH_EVENT_STOP` after a speaking time, timer events…). Make the
 * user speak or inject any MMDAgent-EX message, move time forward, and look at the lines your bots
 * sent.
 *
 * Every call that feeds the runtime (`say`, `inject`, `advance`) resolves only once every bot has
 * processed what it was given and gone quiet, so assertions right after it see the whole answer.
 * Bots' timers (`ctx.after`, `ctx.every`, `ctx.sleep`, `waitFor` timeouts) run on the virtual clock:
 * nothing fires until `advance` moves time past it, and then exactly at its due time.
 *
 * @example Test a bot in `bots/greeter/bot_test.ts`
 * ```ts
 * import { createTestRuntime } from "@mmdbot/mmdbot/testing";
 *
 * Deno.test("greeter answers hello and waits for its speech to end", async () => {
 *   await using rt = await createTestRuntime({
 *     bots: ["greeter"],
 *     manifest: new URL("../bots.yaml", import.meta.url),
 *   });
 *   await rt.say("hello");
 *   const speech = rt.sent().find((l) => l.startsWith("SYNTH_START|"));
 *   if (speech !== "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.") {
 *     throw new Error(`unexpected answer: ${speech}`);
 *   }
 *   await rt.advance(10_000); // the emulator ends the speech: SYNTH_EVENT_STOP|mei
 *   if (!rt.received().includes("SYNTH_EVENT_STOP|mei")) throw new Error("speech did not end");
 * });
 * ```
 *
 * Run it with the permissions a bot host needs:
 * `deno test --allow-read --allow-write --allow-net --allow-run --allow-env bots/`
 * (or `deno task test`).
 *
 * @module
 */
export {
  type AvatarState,
  createTestRuntime,
  type Direction,
  type ModelView,
  type PlayedAudio,
  type PlayedRun,
  type Scenario,
  type ScenarioAction,
  type ScenarioFailure,
  type ScenarioResult,
  type ScenarioStep,
  type ScriptedLlm,
  type ScriptedReply,
  type ScriptedRequest,
  type SndArrival,
  type TestLog,
  type TestRuntime,
  type TestRuntimeOptions,
  type TrafficRecord,
  type TranscriptEntry,
  type TurnMetricsSummary,
  type TurnRecord,
} from "./runtime/session/test_runtime.ts";
