/**
 * Random schedules of user speech, bot speech, raw lines and speech events against the floor and
 * turns, on a synchronous virtual clock (fast enough for thousands of schedules). Each schedule
 * checks the two promises of the conversation issue:
 * - no line of an ended turn reaches the wire (apart from stops, uninterruptible speech, speech
 *   whose owner chose `ignore`/`finish-sentence`, and a resumed sentence after a false interruption);
 * - no utterance is reported finished by another's end: a "finished" comes exactly when the
 *   binary ended that very text on that model (another peer's speech included in the schedules);
 * and that the binary never gets a second `SYNTH_START` for a model while one is outstanding.
 * `FUZZ_TRACE=<seed>` prints that schedule's lines and events.
 */
import type { Clock, TimerId } from "../../runtime/clock/clock.ts";
import { sleepOn } from "../../runtime/clock/clock.ts";
import { createConversation } from "../../runtime/conversation/conversation.ts";
import type { BargeInPolicy, FloorPolicy, SpeechResult } from "../../runtime/conversation/types.ts";
import { assert } from "../assert.ts";

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock whose timers run synchronously in `runUntil`, in due order (ties in creation order). */
function syncClock() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; seq: number; fn: () => void }>();
  const clock: Clock & { runUntil(t: number): void } = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      pending.set(id, { at: now + Math.max(0, ms), seq: id, fn });
      return id as TimerId;
    },
    clearTimeout: (id) => void pending.delete(id),
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
    runUntil(t) {
      for (;;) {
        let best: [number, { at: number; seq: number; fn: () => void }] | undefined;
        for (const e of pending) {
          if (e[1].at > t) continue;
          if (!best || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq)) {
            best = e;
          }
        }
        if (!best) break;
        pending.delete(best[0]);
        now = best[1].at;
        best[1].fn();
      }
      now = t;
    },
  };
  return clock;
}

interface Req {
  owner: string;
  turn?: number;
  texts: string[];
  result?: SpeechResult;
  uninterruptible: boolean;
}

async function schedule(seed: number): Promise<{ steps: number; spoken: number }> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const clock = syncClock();
  const floor = pick<FloorPolicy>(["first-claim", "queue", "priority"]);
  const policies: BargeInPolicy[] = ["stop", "stop", "finish-sentence", "ignore", { afterMs: 300 }];
  const bots = ["a", "b", "c"];
  const speakers = Object.fromEntries(
    bots.map((b) => [b, { priority: Math.floor(r() * 3), bargeIn: pick(policies) }]),
  );
  const endedAt = new Map<number, number>();
  const lenient = new Set<string>(); // owners whose policy lets their speech outlive the turn
  for (const b of bots) if (speakers[b].bargeIn !== "stop") lenient.add(b);
  const textTurn = new Map<string, Req>();
  const writtenTexts = new Set<string>();
  const failures: string[] = [];
  // The binary's speech: per model what is outstanding and what it last ended.
  const outstanding = new Map<
    string,
    { text: string; foreign: boolean; timer?: TimerId; preparing: boolean }
  >();
  const naturalEnd = new Map<string, { text: string; at: number }>();
  const voice = r() < 0.9;
  // deno-lint-ignore prefer-const -- assigned after the closures that use it are built
  let conv!: ReturnType<typeof createConversation>;
  const trace = Deno.env.get("FUZZ_TRACE") === String(seed);
  const inject = (line: string) => {
    if (trace) console.log(clock.now(), "in ", line);
    const [type, ...fields] = line.split("|");
    conv.inbound(type, fields, false);
  };
  const inFlight = new Map<string, number>();
  const binary = (line: string, foreign = false) => {
    const [type, model, , text] = line.split("|");
    if (!foreign) inFlight.set(model, (inFlight.get(model) ?? 1) - 1);
    if (!voice) return;
    if (type === "SYNTH_START") {
      const old = outstanding.get(model);
      if (old && !old.foreign && !foreign) {
        failures.push(`second SYNTH_START for ${model} at ${clock.now()}`);
      }
      if (old) {
        // Another peer's start cuts the speech in one go (speech.md §4).
        clock.clearTimeout(old.timer!);
        naturalEnd.set(model, { text: old.text, at: clock.now() });
        inject(`SYNTH_EVENT_STOP|${model}`);
      }
      const o = { text, foreign, preparing: true, timer: undefined as TimerId | undefined };
      outstanding.set(model, o);
      const speakNow = () => {
        o.preparing = false;
        inject(`SYNTH_EVENT_START|${model}`);
        inject(`LIPSYNC_START|${model}|a,100`);
        o.timer = clock.setTimeout(() => {
          outstanding.delete(model);
          naturalEnd.set(model, { text, at: clock.now() });
          inject(`SYNTH_EVENT_STOP|${model}`);
        }, 20 * text.length);
      };
      // Another peer's speech starts at once here: while a voice prepares, the binary says
      // nothing, so no runtime can know the model is taken (an unattributable race).
      if (foreign) speakNow();
      else o.timer = clock.setTimeout(speakNow, 30 + Math.floor(r() * 60));
    } else if (type === "SYNTH_STOP") {
      const o = outstanding.get(model);
      if (!o || o.preparing) return;
      clock.clearTimeout(o.timer!);
      o.timer = clock.setTimeout(() => {
        outstanding.delete(model);
        naturalEnd.set(model, { text: o.text, at: clock.now() });
        inject(`SYNTH_EVENT_STOP|${model}`);
      }, 20 + Math.floor(r() * 40));
    }
  };
  conv = createConversation({
    clock,
    write(line) {
      if (trace) console.log(clock.now(), "out", line);
      const text = line.split("|")[3];
      if (line.startsWith("SYNTH_START|")) {
        const req = textTurn.get(text);
        const resumed = writtenTexts.has(text);
        writtenTexts.add(text);
        if (
          req?.turn !== undefined && !resumed && !req.uninterruptible && !lenient.has(req.owner)
        ) {
          const e = endedAt.get(req.turn);
          if (e !== undefined && e <= clock.now()) {
            failures.push(
              `"${text}" of turn ${req.turn} written at ${clock.now()}, turn ended ${e}`,
            );
          }
        }
      }
      const model = line.split("|")[1];
      inFlight.set(model, (inFlight.get(model) ?? 0) + 1);
      clock.setTimeout(() => binary(line), 1 + Math.floor(r() * 3));
      return Promise.resolve(true);
    },
    check: () => undefined,
    speaker: (o) => speakers[o],
    policy: { floor, falseInterruption: r() < 0.5 ? "resume" : "drop" },
    onTurnEnded: (turn) => endedAt.set(turn, clock.now()),
  });
  conv.subscribe((ev) => {
    if (trace) console.log(clock.now(), "ev ", JSON.stringify(ev));
    if (ev.kind !== "utterance" || ev.phase !== "ended" || ev.status !== "finished") return;
    const n = naturalEnd.get(ev.model);
    if (!n || n.at !== ev.at || n.text !== ev.text) {
      failures.push(
        `"${ev.text}" reported finished at ${ev.at}; the binary ended ${JSON.stringify(n)}`,
      );
    }
  });
  const reqs: Req[] = [];
  let n = 0;
  const steps = 20 + Math.floor(r() * 30);
  let userSpeaking = false;
  for (let i = 0; i < steps; i++) {
    const x = r();
    const turn = conv.currentTurn();
    if (x < 0.15 && !userSpeaking) {
      inject("RECOG_EVENT_START");
      userSpeaking = true;
    } else if (x < 0.3 && userSpeaking) {
      inject(`RECOG_EVENT_STOP|${pick(["", "hello there", "what", "said 1"])}`);
      userSpeaking = false;
    } else if (x < 0.75) {
      const owner = pick(bots);
      const parts = 1 + Math.floor(r() * 3);
      const texts = Array.from({ length: parts }, () => `said ${++n} now.`);
      const req: Req = {
        owner,
        turn: r() < 0.8 && turn > 0 ? turn - (r() < 0.2 ? 1 : 0) : undefined,
        texts,
        uninterruptible: r() < 0.1,
      };
      for (const t of texts) textTurn.set(t.slice(0, -1) + ".", req);
      if (trace) {
        console.log(clock.now(), "req", JSON.stringify(req), JSON.stringify(speakers[owner]));
      }
      reqs.push(req);
      if (r() < 0.5) {
        const s = conv.stream({
          owner,
          model: pick(["mei", "mei", "ai"]),
          voice: "v",
          turn: req.turn,
          uninterruptible: req.uninterruptible,
        });
        for (const t of texts) s.push(t + " ");
        s.end();
        s.result.then((res) => (req.result = res));
      } else {
        const { result } = conv.speak({
          owner,
          model: pick(["mei", "mei", "ai"]),
          voice: "v",
          text: texts.join(" "),
          turn: req.turn,
          uninterruptible: req.uninterruptible,
        });
        result.then((res) => (req.result = res));
      }
    } else if (x < 0.8) {
      conv.stopOwner(pick(bots));
    } else if (x < 0.85) {
      // Another peer (an FST) speaks on its own, when that is well-defined for the binary: not
      // while our line is on its way or the voice is still preparing (events name only the
      // model, so that race cannot be attributed by anyone).
      const o = outstanding.get("mei");
      if (!(inFlight.get("mei") ?? 0) && !o?.preparing) {
        if (trace) console.log(clock.now(), "foreign", inFlight.get("mei"));
        binary(`SYNTH_START|mei|v|foreign ${++n}`, true);
      }
    }
    clock.runUntil(clock.now() + Math.floor(r() * 400));
  }
  if (userSpeaking) inject("RECOG_EVENT_STOP|done");
  clock.runUntil(clock.now() + 600_000);
  await Promise.resolve();
  await new Promise((res) => setTimeout(res, 0));
  for (const q of reqs) {
    if (!q.result) failures.push(`request ${q.texts[0]} never settled`);
    else if (q.result.status === "finished") {
      if (q.result.text !== q.texts.join(" ")) {
        failures.push(`finished with ${q.result.text}, asked ${q.texts.join(" ")}`);
      }
    }
  }
  if (failures.length > 0) throw new Error(`seed ${seed}:\n${failures.slice(0, 5).join("\n")}`);
  return { steps, spoken: writtenTexts.size };
}

Deno.test("fuzz: 1000 random schedules write no line of an ended turn and report no one's end as another's", async () => {
  let spoken = 0;
  for (let seed = 1; seed <= 1000; seed++) spoken += (await schedule(seed)).spoken;
  assert(spoken > 5000, `only ${spoken} utterances spoken: the schedules exercise too little`);
});
