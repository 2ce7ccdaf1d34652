/**
 * The test runtime behind `testing.ts` (the public test kit) and `replay`: the same composition as
 * `start` (`createRuntime`: one Link, the host, the guard's live context, the tap), with bots as
 * real sandboxed processes on a virtual clock and the Link's far end an in-process emulator or no
 * peer at all, plus a wait for quiet after every step. See `testing.ts` for the documentation bot
 * authors read.
 *
 * @module
 */
import { type Clock, sleepOn, type TimerId } from "../clock/clock.ts";
import { VirtualClock } from "../clock/virtual.ts";
import { memoryLogger } from "../log/logger.ts";
import { loadManifest } from "../manifest/load.ts";
import type { Manifest } from "../manifest/types.ts";
import type { Host } from "../host/host.ts";
import { type DetectedSandbox, detectSandbox } from "../sandbox/detect.ts";
import { createLauncher } from "../sandbox/launcher.ts";
import { createStores } from "../store/stores.ts";
import { SCRIPTED_BASE_URL } from "../bot/llm.ts";
import { createScriptedLlm, type ScriptedLlm, type ScriptedReply } from "./scripted_llm.ts";
import { Emulator } from "../emulator/core.ts";
import { type EmulatorMemorySide, emulatorMemorySide } from "../emulator/memory_side.ts";
import { createLink } from "../transport/link.ts";
import { type MemoryConn, memoryConn, memoryListener } from "../transport/memory.ts";
import type { PlayedRun, SndArrival } from "../emulator/sound_out.ts";
import type { TrafficRecord } from "../record/schema.ts";
import type { AvatarState, TurnMetricsSummary, TurnRecord } from "../conversation/types.ts";
import { createRuntime } from "./runtime.ts";
import {
  loadScenario,
  runScenario,
  type Scenario,
  type ScenarioResult,
} from "../emulator/scenario.ts";
import { mmdbotCommand } from "../paths/invocation.ts";
import { fileURLToPath } from "node:url";

export type { Direction, TrafficRecord } from "../record/schema.ts";
export type {
  AvatarState,
  ModelView,
  TurnMetricsSummary,
  TurnRecord,
} from "../conversation/types.ts";
export type { PlayedRun, SndArrival } from "../emulator/sound_out.ts";
export type {
  Scenario,
  ScenarioAction,
  ScenarioFailure,
  ScenarioResult,
  ScenarioStep,
  TranscriptEntry,
} from "../emulator/scenario.ts";
export type { ScriptedLlm, ScriptedReply, ScriptedRequest } from "./scripted_llm.ts";

/** Options of {@link createTestRuntime}. */
export interface TestRuntimeOptions {
  /**
   * Which bots of the manifest run: a list of names (default: every enabled bot), or the path of
   * a manifest whose bots all run (then `manifest` is not needed).
   */
  bots?: readonly string[] | string;
  /** The bot manifest: a path (relative to the working directory) or a `file:` URL. Default
   * `bots/bots.yaml`. */
  manifest?: string | URL;
  /**
   * Bots talk to an in-process MMDAgent-EX emulator on the same virtual clock (default true), so
   * their commands get MMDAgent-EX's real answers. With `false`, nothing answers: only what you
   * `inject` reaches the bots.
   */
  emulator?: boolean;
  /**
   * The emulated content has an installed voice (default true): `SYNTH_START` is answered with
   * `SYNTH_EVENT_START` and, after a speaking time that grows with the text, `SYNTH_EVENT_STOP`.
   * `false` behaves like the bare binary, which only echoes speech commands.
   */
  voice?: boolean;
  /**
   * The emulated content's folder (the `.mdf`'s folder): relative file names in commands such as
   * `MODEL_ADD` and `MOTION_ADD` resolve against it (default: the working directory).
   */
  contentDir?: string;
  /** Virtual time the clock starts at, in milliseconds since the epoch (default 0). */
  startTime?: number;
  /** Writes every line in and out to this JSON-lines file, as `start --record` does. */
  record?: string;
  /** The connection id bots see in `ctx.connection` (default `test`). */
  connection?: string;
  /**
   * Folder of the bots' stores (`ctx.store`). Default: a fresh empty folder for this runtime,
   * removed by `close()`, so every test starts with empty stores. Give the same folder to two
   * runtimes to test that a bot remembers across a restart (the folder is then left in place).
   */
  storeDir?: string;
  /**
   * Replies of the scripted OpenAI-compatible stream, in order (see {@link ScriptedReply}): text,
   * token timings on the virtual clock, HTTP failures, broken or stalled streams. The kit sets
   * `OPENAI_BASE_URL` to `mmdbot-scripted:` and `OPENAI_MODEL` to `scripted` for the bots (when
   * their manifest grants them), so an LLM bot's test runs offline and deterministically; more
   * replies can be queued later with `rt.llm.reply(…)`.
   */
  llm?: readonly ScriptedReply[];
  /**
   * Environment for the bots, over this process's (only variables their `env:` grant names
   * reach them), e.g. `{ OPENAI_BASE_URL: "http://127.0.0.1:8080/v1" }` for a real server.
   */
  env?: Readonly<Record<string, string>>;
  /** Longest real time to wait for the bots to go quiet before failing (default 15 000 ms). */
  quietTimeoutMs?: number;
}

/** One log line of the runtime or a bot (`scope` is `bot:<name>` for a bot's `ctx.log`). */
export interface TestLog {
  /** Severity. */
  level: "debug" | "info" | "warn" | "error";
  /** Who logged it: `host`, `emulator`, `bot:<name>`… */
  scope: string;
  /** The text. */
  msg: string;
}

/**
 * A running test runtime (see the module documentation for an example).
 *
 * The calls that move the session (`say`, `inject`, `userStarts`, `selectPrompt`, `advance`,
 * `settle`, `play`) run one at a time in the order they were made, each from the virtual time the
 * previous one ended at: `Promise.all([rt.say("hi"), rt.advance(300), rt.userStarts()])` is the
 * user barging in 300 ms after saying hi, every time.
 */
export interface TestRuntime extends AsyncDisposable {
  /** The scripted LLM stream: the requests bots made (body, tokens sent, aborted) and more replies. */
  readonly llm: ScriptedLlm;
  /**
   * The user says `text`: MMDAgent-EX's `RECOG_EVENT_START` then `RECOG_EVENT_STOP|text`. Resolves
   * when the bots have answered and gone quiet.
   */
  say(text: string): Promise<void>;
  /**
   * Injects one message as MMDAgent-EX would issue it (`KEY|a`, `PROMPT_EVENT_SELECTED|0|yes`…).
   * With the emulator it goes through the emulator's queue to the bots; resolves when quiet.
   */
  inject(line: string): Promise<void>;
  /**
   * Moves the virtual clock forward by `ms`, firing every timer on the way at its due time (the
   * bots' and the emulator's), and waits after each one until every bot has processed it.
   */
  advance(ms: number): Promise<void>;
  /** Waits until every bot has processed all it was given and nothing is moving. */
  settle(): Promise<void>;
  /**
   * Waits (in real time, bounded by `timeoutMs`, default 10 000) until a bot sends a line that
   * matches (a string matches lines that start with it) and returns it; a line already in
   * {@link TestRuntime.sent} counts. For bots that
   * do real I/O (files, network) before they answer, which the clock cannot drive.
   */
  waitForSent(
    match: string | RegExp | ((line: string) => boolean),
    options?: { timeoutMs?: number },
  ): Promise<string>;
  /** Lines the bots sent toward MMDAgent-EX, in order (setup lines included). */
  sent(): string[];
  /** Lines MMDAgent-EX sent to the bots, in order (echoes of the bots' own lines included). */
  received(): string[];
  /** Forgets what {@link TestRuntime.sent} returned so far. */
  clearSent(): void;
  /** Every line in and out as traffic records (the `start --record` schema), in order. */
  records(): TrafficRecord[];
  /** Log lines of the runtime and the bots (handler errors, refusals, `ctx.log`). */
  logs(): TestLog[];
  /** The virtual time now, in milliseconds. */
  now(): number;
  /**
   * The user picks item `index` (from 0) of the prompt the emulator shows (`PROMPT_SHOW`); resolves
   * with false when no prompt is on screen (or without the emulator), else when quiet again.
   */
  selectPrompt(index: number): Promise<boolean>;
  /**
   * The user starts speaking (`RECOG_EVENT_START` alone; finish with `inject("RECOG_EVENT_STOP|…")`):
   * while the avatar speaks this is a barge-in. Advance the clock first to choose its time.
   * Resolves when quiet.
   *
   * @example
   * ```ts
   * import { createTestRuntime } from "@mmdbot/mmdbot/testing";
   *
   * await using rt = await createTestRuntime({ bots: ["greeter"] });
   * await rt.say("hello");
   * await rt.advance(300); // 300 ms into the answer
   * await rt.userStarts(); // the floor stops it: SYNTH_STOP|mei
   * ```
   */
  userStarts(): Promise<void>;
  /**
   * The conversation as the host sees it: each turn with its timings (user's last word, first
   * speech command, on the wire, first audio, end; interrupted, dropped), their p50/p95, and the
   * avatar's mirrored state.
   */
  conversation(): { turns: TurnRecord[]; metrics: TurnMetricsSummary; avatar: AvatarState };
  /**
   * The SND audio the emulator played (`ctx.play`): runs of gapless audio with the model, when the
   * first sample played and the last (`cutAt` when a disconnect cut it), the PCM received (16 kHz
   * s16le) and the ms discarded. Empty without the emulator.
   */
  played(): PlayedAudio;
  /**
   * Plays a scenario (a YAML file as `emulate --scenario` takes, or a parsed one) against the bots
   * on the virtual clock: its `say`/`key`/`inject` steps at their times, its `expect … within`
   * latency budgets and `absent` windows measured in virtual time. Resolves with the outcome (it
   * does not throw for a failed step: check `ok` and `failures`, each with the step's file:line).
   * Needs the emulator. Throws a `ScenarioError` for a file that cannot be used.
   *
   * @example
   * ```ts
   * import { createTestRuntime } from "@mmdbot/mmdbot/testing";
   *
   * await using rt = await createTestRuntime({ bots: ["greeter"] });
   * const r = await rt.play("examples/scenarios/greet.yaml");
   * if (!r.ok) throw new Error(r.failures.map((f) => `${f.where}: ${f.message}`).join("\n"));
   * ```
   */
  play(scenario: string | URL | Scenario): Promise<ScenarioResult>;
  /** Stops the bots (their stop hooks run) and the emulator. */
  close(): Promise<void>;
}

/** What {@link TestRuntime.played} returns. */
export interface PlayedAudio {
  /** Gapless stretches of audio, oldest first. */
  runs: PlayedRun[];
  /** Every SND packet's arrival (virtual time) and length, oldest first: how it was paced. */
  packets: SndArrival[];
  /** Every SND payload received, in order (16 kHz, 16-bit signed little-endian, mono). */
  pcm: Uint8Array;
  /** Audio discarded: sent with no model bound, or past the 60 s buffer. */
  droppedMs: { noModel: number; bufferFull: number };
}

const ROOT_CONN = "test";
let detected: Promise<DetectedSandbox> | undefined;

function manifestPath(m: string | URL): string {
  return m instanceof URL || m.startsWith("file:") ? fileURLToPath(m) : m;
}

async function pickManifest(options: TestRuntimeOptions): Promise<Manifest> {
  const file = typeof options.bots === "string"
    ? options.bots
    : manifestPath(options.manifest ?? "bots/bots.yaml");
  const manifest = await loadManifest(file);
  if (typeof options.bots === "string" || options.bots === undefined) return manifest;
  const names = options.bots;
  const all = [...manifest.bots, ...(manifest.disabled ?? [])];
  const missing = names.filter((n) => !all.some((b) => b.name === n));
  if (missing.length > 0) {
    throw new Error(
      `${manifest.file} has no bot named ${missing.join(", ")}; it lists ` +
        `${all.map((b) => b.name).join(", ") || "none"} (add one with \`${
          mmdbotCommand("new <name>")
        }\`)`,
    );
  }
  return {
    file: manifest.file,
    bots: all.filter((b) => names.includes(b.name)),
    ...(manifest.conversation ? { conversation: manifest.conversation } : {}),
  };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts the given bots on a virtual clock, talking to an in-process emulator (see
 * {@link TestRuntimeOptions}). Rejects when a bot fails to load, with its error and file:line.
 * Always `close()` it (or declare it with `await using`): bots are real processes.
 *
 * @example
 * ```ts
 * import { createTestRuntime } from "@mmdbot/mmdbot/testing";
 *
 * const rt = await createTestRuntime({ bots: ["clock"] });
 * try {
 *   await rt.say("set a timer for 5 seconds");
 *   rt.clearSent();
 *   await rt.advance(5_000);
 *   console.log(rt.sent()); // [ "SYNTH_START|mei|mei_voice_normal|Your 5 seconds timer is done!" ]
 * } finally {
 *   await rt.close();
 * }
 * ```
 */
export async function createTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const manifest = await pickManifest(options);
  const vc = new VirtualClock(options.startTime ?? 0);
  const quietTimeoutMs = options.quietTimeoutMs ?? 15_000;
  // Anything that happens (a line, a log, a timer set or cleared) bumps this: quiet means it
  // stayed put across whole ping round trips through every bot.
  let activity = 0;
  const clock: Clock = {
    now: () => vc.now(),
    setTimeout(fn: () => void, ms: number): TimerId {
      activity++;
      return vc.setTimeout(fn, ms);
    },
    clearTimeout(id: TimerId) {
      activity++;
      vc.clearTimeout(id);
    },
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
  };
  const logger = memoryLogger("debug");
  const countingLogs = logger.records;
  const push = countingLogs.push.bind(countingLogs);
  countingLogs.push = (...items) => {
    activity++;
    return push(...items);
  };

  // The one Link, over an in-process connection: to the emulator, or to nothing (only what the
  // test injects arrives, and what the bots send is only recorded).
  const conn = options.connection ?? ROOT_CONN;
  const useEmulator = options.emulator ?? true;
  const listener = memoryListener(
    useEmulator ? "in-process MMDAgent-EX emulator" : "in-process connection (no peer)",
  );
  const link = createLink({ kind: "listen", listener }, {
    describe: listener.address,
    clock,
    logger: logger.child("link"),
  });
  let emulator: Emulator | undefined;
  let side: EmulatorMemorySide | undefined;
  let bare: MemoryConn | undefined;
  let injected = 0;
  if (useEmulator) {
    emulator = new Emulator({
      clock,
      log: logger.child("emulator"),
      voice: options.voice,
      contentDir: options.contentDir,
    });
    emulator.startup();
    side = emulatorMemorySide(emulator, listener, conn);
  }

  detected ??= detectSandbox({
    force: Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined,
  });
  const sandbox = await detected;
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? await Deno.makeTempDir({ prefix: "mmdbot-test-store-" });
  const llm = createScriptedLlm(clock, options.llm ?? []);
  const hostEnv = {
    ...Deno.env.toObject(),
    OPENAI_BASE_URL: SCRIPTED_BASE_URL,
    OPENAI_MODEL: "scripted",
    ...options.env,
  };
  const runtime = createRuntime({
    stores: createStores(storeDir),
    llm,
    manifest,
    link,
    clock,
    logger,
    launcher: createLauncher(sandbox, { hostEnv }),
    record: options.record,
    initialConnection: conn,
  });
  const host: Host = runtime.host;

  const sentLines: string[] = [];
  const receivedLines: string[] = [];
  const allRecords: TrafficRecord[] = [];
  runtime.tap.onRecord((r) => {
    activity++;
    allRecords.push(r);
    if (r.dir === "out") sentLines.push(r.line);
    else receivedLines.push(r.line);
  });

  const stopAll = async () => {
    await runtime.stop();
    if (ownStore) await Deno.remove(storeDir, { recursive: true }).catch(() => {});
    side?.close();
    emulator?.close();
  };

  await runtime.start();
  const failed = host.status().filter((s) => s.state !== "running");
  if (failed.length > 0) {
    await stopAll();
    throw new Error(
      failed.map((s) => `bot ${s.name} did not start (${s.state}): ${s.lastError ?? "?"}`)
        .join("\n"),
    );
  }
  // MMDAgent-EX connects once the bots run: their setup lines go out first, then onConnected.
  if (side) side.connect();
  else {
    bare = memoryConn(conn, { write: () => {} });
    listener.accept(bare);
  }

  // Lines the far end produced that the runtime has not handed to the bots yet.
  const linkBacklog = () => (side ? side.linesOut : injected) - runtime.handled;
  const busy = () =>
    linkBacklog() > 0 || host.status().some((s) => s.state === "running" && s.inFlight > 0);

  const settle = async () => {
    const deadline = performance.now() + quietTimeoutMs;
    const check = () => {
      if (performance.now() > deadline) {
        throw new Error(
          `the bots did not go quiet within ${quietTimeoutMs} ms (a bot keeps working without ` +
            `waiting for a message or a timer?); status: ${JSON.stringify(host.status())}`,
        );
      }
    };
    let quietRounds = 0;
    // Two full rounds with nothing happening: work a bot queued in a microtask shows up as an
    // action before its answer to the ping, and a reply the host still owes it shows in the next.
    while (quietRounds < 2) {
      const before = activity;
      await tick();
      while (busy()) {
        check();
        await pause(1);
      }
      await host.ping();
      await tick();
      check();
      quietRounds = activity === before && !busy() ? quietRounds + 1 : 0;
    }
  };

  const encoder = new TextEncoder();
  const injectLine = (line: string) => {
    if (emulator) {
      const bar = line.indexOf("|");
      emulator.inject(bar < 0 ? line : line.slice(0, bar), bar < 0 ? null : line.slice(bar + 1));
    } else {
      injected++;
      bare!.push(encoder.encode(line + "\n"));
    }
  };

  await settle();

  // The calls that move the session run one after another in call order: two of them
  // interleaving (an advance walking the clock while a say injects) would make the virtual time
  // of what they do depend on how the host's I/O happened to be scheduled.
  let turnstile: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turnstile.then(fn, fn);
    turnstile = run.catch(() => {});
    return run;
  };

  const advance = async (ms: number) => {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): give a number of milliseconds >= 0`);
    const target = vc.now() + ms;
    await settle();
    for (;;) {
      const due = vc.nextDue();
      if (due === undefined || due > target) break;
      // One due time at a time, so a timer a bot sets while handling this one is scheduled
      // from the right virtual time.
      await vc.advance(due - vc.now());
      await settle();
    }
    await vc.advance(target - vc.now());
    await settle();
  };

  const play = async (scenario: string | URL | Scenario): Promise<ScenarioResult> => {
    if (!emulator) {
      throw new Error("play needs the emulator: leave createTestRuntime's emulator option on");
    }
    const parsed = typeof scenario === "object" && "steps" in scenario
      ? scenario
      : await loadScenario(scenario instanceof URL ? fileURLToPath(scenario) : scenario);
    let done = false;
    const result = runScenario(emulator, parsed, clock).finally(() => done = true);
    await settle();
    // Walk the clock from one due timer to the next until the scenario is over; the scenario
    // always has a timer while it waits (a step's time, an expect's budget, an absent window).
    while (!done) {
      const due = vc.nextDue();
      if (due === undefined) break;
      await vc.advance(Math.max(0, due - vc.now()));
      await settle();
    }
    return await result;
  };

  let closed: Promise<void> | undefined;
  const rt: TestRuntime = {
    llm,
    selectPrompt: (index) =>
      inOrder(async () => {
        const ok = emulator?.selectPrompt(index) ?? false;
        await settle();
        return ok;
      }),
    say: (text) =>
      inOrder(async () => {
        injectLine("RECOG_EVENT_START");
        injectLine(`RECOG_EVENT_STOP|${text}`);
        await settle();
      }),
    inject: (line) =>
      inOrder(async () => {
        injectLine(line);
        await settle();
      }),
    userStarts: () =>
      inOrder(async () => {
        injectLine("RECOG_EVENT_START");
        await settle();
      }),
    conversation() {
      return host.conversation.snapshot();
    },
    advance: (ms) => inOrder(() => advance(ms)),
    settle: () => inOrder(settle),
    play: (scenario) => inOrder(() => play(scenario)),
    async waitForSent(match, { timeoutMs = 10_000 } = {}) {
      const test = typeof match === "function"
        ? match
        : typeof match === "string"
        ? (l: string) => l.startsWith(match)
        : (l: string) => match.test(l);
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        await settle();
        const found = sentLines.find(test);
        if (found !== undefined) return found;
        if (performance.now() > deadline) {
          throw new Error(
            `no line matching ${match} within ${timeoutMs} ms; sent: ${JSON.stringify(sentLines)}`,
          );
        }
        await pause(10);
      }
    },
    sent: () => [...sentLines],
    received: () => [...receivedLines],
    clearSent() {
      sentLines.length = 0;
    },
    records: () => allRecords.map((r) => ({ ...r })),
    logs: () =>
      countingLogs.map((r) => ({
        level: r.level,
        scope: r.scope.replace(/^test:/, ""),
        msg: r.msg,
      })),
    now: () => vc.now(),
    played: () => ({
      runs: emulator?.sound.runs() ?? [],
      packets: emulator?.sound.arrivals() ?? [],
      pcm: emulator?.sound.pcm() ?? new Uint8Array(0),
      droppedMs: { ...(emulator?.sound.dropped ?? { noModel: 0, bufferFull: 0 }) },
    }),
    close() {
      closed ??= stopAll();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return rt.close();
    },
  };
  return rt;
}
