/**
 * Speech and sound (answers.md section 7, speech.md, decisions.md "Emulator").
 *
 * Voice (default; off with `--no-voice`, which gives exactly the observed voiceless binary): the
 * synthesiser thread of Open_JTalk / Flite+hts_engine answers a `SYNTH_START|model|style|text` as
 * speech.md §2 records it, in this order:
 *
 * ```
 * SYNTH_START|m|style|text      the echo
 * SYNTH_EVENT_START|m           +100 ms (the thread picked it up)
 * LIPSYNC_START|m|a,62,i,62,…   +0 ms for short texts, later for long ones (text analysis); issued
 * LIPSYNC_EVENT_START|m         as a command, so it is echoed, and the model answers it
 * SYNTH_EVENT_STOP|m            when the audio ends: {@link synthDurationMs} after LIPSYNC_START
 * LIPSYNC_EVENT_STOP|m          about 390 ms later (the mouth's end, frame-driven)
 * ```
 *
 * A `SYNTH_STOP` while it speaks gives `LIPSYNC_STOP` (+70 ms, issued), then `LIPSYNC_EVENT_STOP`
 * and `SYNTH_EVENT_STOP` together (+116 ms); with nothing playing only `LIPSYNC_STOP` (+54 ms); a
 * stop that lands while the thread still prepares the text (before its `LIPSYNC_START`) is undone, as
 * on the real binary (speech.md §4). A second `SYNTH_START` while one speaks interrupts it: 275 ms
 * later, in one tick, `LIPSYNC_STOP`, the first's `SYNTH_EVENT_STOP`, the second's
 * `SYNTH_EVENT_START` and `LIPSYNC_START`, `LIPSYNC_EVENT_STOP`, `LIPSYNC_EVENT_START`.
 *
 * Two `SYNTH_START`s for one model in one write race in the real plugin. The core reports it (fault
 * `race`); under `--strict=crash` the emulator also reproduces one recorded outcome: the first text
 * is never spoken, and the second is spoken twice.
 *
 * Sound: `SOUND_EVENT_START` +0.15 s, and never a `SOUND_EVENT_STOP` by itself (observed: the forked
 * player hangs). `SPEAK_START` always reports playback, and its natural end gives
 * `SPEAK_EVENT_STOP` at the audio length + 0.1 s, even after a `SPEAK_STOP`. A second `SPEAK_START`
 * for a model while its first plays is a fault (`freeze`): the real main thread busy-waits until the
 * first ends, and under `--strict=crash` the emulator freezes the same way (nothing is answered or
 * sent meanwhile); otherwise it plays the second after the first.
 */
import type { TimerId } from "../clock/clock.ts";
import type { EmuContext, Family } from "./context.ts";
import { MODEL_DELAYS } from "./models.ts";

/** Delays measured on the real binary. */
export const SPEECH_DELAYS = {
  soundStart: 150,
  soundStop: 50,
  /** SPEAK_START → issued SOUND_START with a model loaded (+0.19 s) or without one. */
  speakSoundWithModel: 190,
  speakSoundNoModel: 20,
  /** SPEAK_EVENT_STOP comes at the audio length plus this (source). */
  speakTail: 100,
  /** The echo of SYNTH_START → SYNTH_EVENT_START (recorded +54…146 ms, paced audio). */
  synthStart: 100,
  /** SYNTH_STOP while speaking → the plugin's LIPSYNC_STOP (+70 ms). */
  synthStopLip: 70,
  /** SYNTH_STOP while speaking → LIPSYNC_EVENT_STOP and SYNTH_EVENT_STOP (+116 ms). */
  synthStopEvent: 116,
  /** SYNTH_STOP with nothing playing → the plugin's LIPSYNC_STOP (+54 ms), and no event. */
  synthStopIdle: 54,
  /** A second SYNTH_START while one speaks → the switch to it (+275 ms, one tick). */
  synthInterrupt: 275,
  /** SYNTH_EVENT_STOP → LIPSYNC_EVENT_STOP of a voice's lip-sync (recorded +315…460 ms). */
  voiceLipTail: 390,
};

/**
 * The audio length of a synthesised text at the normal style: 62 ms per character of Latin text and
 * 158 ms per Japanese character (kana, kanji, Japanese punctuation), less 300 ms, at least 150 ms.
 * Fitted to speech.md §2 (English: 6 chars 144 ms, 25 → 1241, 71 → 3811, 224 → 13537, 674 → 41367;
 * Japanese: the one recorded utterance, `こんにちは。` → 646 ms).
 *
 * @example
 * synthDurationMs("Hello world, how are you?"); // 1250
 */
export function synthDurationMs(text: string): number {
  let sum = 0;
  for (const ch of text) sum += JAPANESE.test(ch) ? 158 : 62;
  return Math.max(150, sum - 300);
}

const JAPANESE = /[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/u;

/**
 * The text analysis before the plugin's `LIPSYNC_START`: nothing for short texts, then about 0.86 ms
 * per character beyond 70 (recorded: +119 ms for 224 characters, +524 ms for 674).
 */
export function synthAnalysisMs(text: string): number {
  return Math.max(0, Math.round(([...text].length - 70) * 0.86));
}

/**
 * The lip-sync sequence the voice issues for a text: one vowel per character, the durations summing
 * to the audio length less 190 ms (recorded: within −190…+80 ms of it), so that the model's
 * lip-sync tail puts `LIPSYNC_EVENT_STOP` {@link SPEECH_DELAYS.voiceLipTail} after
 * `SYNTH_EVENT_STOP`. About 5 bytes per character, uncapped as the real plugin's list is: a text of
 * more than about 400 characters (70–80 English words) makes a `LIPSYNC_START` line over
 * MMDAgent-EX's 2048-byte limit (recorded: 41 words gave 991 bytes, 123 words 4.1 kB).
 */
export function synthLipsync(text: string): string {
  const vowels = ["a", "i", "u", "e", "o"];
  const n = Math.max(1, [...text].length);
  const total = Math.max(
    10 * n,
    synthDurationMs(text) - (MODEL_DELAYS.lipsyncTail - SPEECH_DELAYS.voiceLipTail),
  );
  const parts: string[] = [];
  let given = 0;
  for (let i = 0; i < n; i++) {
    const upto = Math.round((total * (i + 1)) / n);
    parts.push(`${vowels[i % 5]},${upto - given}`);
    given = upto;
  }
  return parts.join(",");
}

/** Length of a RIFF/WAVE file's audio in ms, or undefined when it is not one. */
export function wavLengthMs(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes || bytes.length < 12) return undefined;
  const tag = new TextDecoder("latin1").decode(bytes.subarray(0, 12));
  if (!tag.startsWith("RIFF") || tag.slice(8) !== "WAVE") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 12;
  let byteRate = 0;
  while (off + 8 <= bytes.length) {
    const id = new TextDecoder("latin1").decode(bytes.subarray(off, off + 4));
    const size = view.getUint32(off + 4, true);
    if (id === "fmt " && off + 16 <= bytes.length) byteRate = view.getUint32(off + 16, true);
    if (id === "data") return byteRate > 0 ? (size / byteRate) * 1000 : undefined;
    off += 8 + size + (size % 2);
  }
  return undefined;
}

/** One synthesis on a model's thread. */
interface Synth {
  text: string;
  /** `preparing` until the plugin's LIPSYNC_START (a stop then is undone), then `speaking`. */
  phase: "preparing" | "speaking";
  /** The timer of the next step (LIPSYNC_START, or the audio's end). */
  timer?: TimerId;
  /** A stop is on its way (its LIPSYNC_STOP and events are scheduled). */
  stopping?: boolean;
  /** Runs once the thread is done preparing (a switch to a second start waits for it). */
  onSpeak?: () => void;
}

/** A `SPEAK_START` playing on a model. */
interface Speak {
  /** Clock time of its natural `SPEAK_EVENT_STOP`. */
  endAt: number;
  /** Files waiting to play after it (a second SPEAK_START while it plays, outside crash mode). */
  waiting: string[];
}

/** Speech state. */
export interface SpeechState {
  synth: Map<string, Synth>;
  /** A second start per model waiting for its interruption tick. */
  interrupting: Map<string, { text: string }>;
  sounds: Map<string, TimerId | undefined>;
  speaking: Map<string, Speak>;
  /**
   * Models whose next SYNTH_STARTs came as a race in one write under crash mode: the text the
   * thread will speak instead (the second), and how many starts are still to come from that write.
   */
  race: Map<string, { text: string; count: number; left: number }>;
  /** A text to speak once the model's synthesis ends (the lost barge-in of a race). */
  after: Map<string, string>;
}

/** Fresh state. */
export function newSpeechState(): SpeechState {
  return {
    synth: new Map(),
    interrupting: new Map(),
    sounds: new Map(),
    speaking: new Map(),
    race: new Map(),
    after: new Map(),
  };
}

/** The speech-and-sound family. */
export function speechFamily(st: SpeechState): Family {
  /** Takes the voice's lip-sync off the model's own timer, so its events come in the recorded order. */
  const lipRunning = (ctx: EmuContext, model: string): boolean => {
    const m = ctx.shared.models.get(model);
    if (m?.lipsyncTimer === undefined) return false;
    ctx.cancel(m.lipsyncTimer);
    m.lipsyncTimer = undefined;
    return true;
  };

  /** The audio of `s` ended by itself; a text left by a race follows. */
  const ended = (ctx: EmuContext, model: string, s: Synth) => {
    if (st.synth.get(model) !== s) return;
    st.synth.delete(model);
    ctx.issue("SYNTH_EVENT_STOP", model);
    const next = st.after.get(model);
    if (next !== undefined) {
      st.after.delete(model);
      start(ctx, model, next);
    }
  };

  /** A start with nothing on the thread: SYNTH_EVENT_START after the thread picks it up. */
  const start = (ctx: EmuContext, model: string, text: string) => {
    const s: Synth = { text, phase: "preparing" };
    st.synth.set(model, s);
    s.timer = ctx.later(SPEECH_DELAYS.synthStart, () => begin(ctx, model, s));
  };

  /** The thread starts speaking: SYNTH_EVENT_START now, LIPSYNC_START after the analysis. */
  const begin = (ctx: EmuContext, model: string, s: Synth) => {
    if (st.synth.get(model) !== s) return;
    ctx.issue("SYNTH_EVENT_START", model);
    const speak = () => {
      if (st.synth.get(model) !== s) return;
      s.phase = "speaking";
      ctx.issue("LIPSYNC_START", `${model}|${synthLipsync(s.text)}`);
      s.timer = ctx.later(synthDurationMs(s.text), () => ended(ctx, model, s));
      s.onSpeak?.();
    };
    const analysis = synthAnalysisMs(s.text);
    if (analysis === 0) speak();
    else s.timer = ctx.later(analysis, speak);
  };

  /**
   * The interrupting start's tick: the second takes over from the speaking one, as speech.md §4
   * records, in one tick. A thread still preparing switches once it speaks.
   */
  const switchTo = (ctx: EmuContext, model: string) => {
    const next = st.interrupting.get(model);
    if (!next) return;
    const cur = st.synth.get(model);
    if (cur?.phase === "preparing") {
      cur.onSpeak = () => switchTo(ctx, model);
      return;
    }
    st.interrupting.delete(model);
    if (!cur) return start(ctx, model, next.text);
    ctx.cancel(cur.timer);
    const lip = lipRunning(ctx, model);
    if (ctx.shared.models.has(model)) ctx.issue("LIPSYNC_STOP", model);
    ctx.issue("SYNTH_EVENT_STOP", model);
    const s: Synth = { text: next.text, phase: "speaking" };
    st.synth.set(model, s);
    ctx.issue("SYNTH_EVENT_START", model);
    ctx.issue("LIPSYNC_START", `${model}|${synthLipsync(s.text)}`);
    if (lip) ctx.issue("LIPSYNC_EVENT_STOP", model);
    s.timer = ctx.later(synthDurationMs(s.text), () => ended(ctx, model, s));
  };

  const playSpeak = (ctx: EmuContext, model: string, file: string) => {
    const m = ctx.shared.models.get(model);
    if (m && !m.speakAvatar) {
      m.speakAvatar = true;
      ctx.issue("AVATAR", "START");
    }
    ctx.issue("SPEAK_EVENT_START", model);
    const len = wavLengthMs(ctx.readBytes(file)) ?? 0;
    ctx.later(m ? SPEECH_DELAYS.speakSoundWithModel : SPEECH_DELAYS.speakSoundNoModel, () => {
      ctx.issue("SOUND_START", `__speak__${model}|${file}`);
    });
    const sp: Speak = { endAt: ctx.clock.now() + len + SPEECH_DELAYS.speakTail, waiting: [] };
    st.speaking.set(model, sp);
    ctx.later(len + SPEECH_DELAYS.speakTail, () => {
      ctx.issue("SPEAK_EVENT_STOP", model);
      release(ctx, model, sp);
    });
  };

  /** `sp` stopped playing (its end, or a SPEAK_STOP): the next one queued behind it plays. */
  const release = (ctx: EmuContext, model: string, sp: Speak) => {
    if (st.speaking.get(model) !== sp) return;
    st.speaking.delete(model);
    const [next, ...rest] = sp.waiting;
    if (next === undefined) return;
    playSpeak(ctx, model, next);
    st.speaking.get(model)?.waiting.push(...rest);
  };

  return {
    name: "Speech",
    beforeEcho(ctx, msg) {
      if (msg.type !== "SPEAK_START" || msg.fields.length < 2) return false;
      const [model, file] = msg.fields;
      const sp = st.speaking.get(model);
      if (!sp || !ctx.exists(file)) return false;
      const left = Math.max(0, sp.endAt - ctx.clock.now());
      const crash = ctx.fault(
        "freeze",
        `SPEAK_START|${msg.args}`,
        `a second SPEAK_START for model ${model} while its first plays: MMDAgent-EX's main thread ` +
          `busy-waits until the first ends (${Math.round(left)} ms more here), answering nothing ` +
          "meanwhile; send SPEAK_STOP and wait for SPEAK_EVENT_STOP first",
      );
      if (crash) ctx.freeze(left);
      return false;
    },
    handlers: {
      SYNTH_START(ctx, msg) {
        if (!ctx.voice || msg.fields.length !== 3) return;
        const [model, , given] = msg.fields;
        let text = given;
        const race = st.race.get(model);
        if (race) {
          // The thread copies its text late: every start of the racing write speaks the last
          // text, and the later starts' stop flag is lost, so they follow instead of interrupting.
          text = race.text;
          const first = race.left === race.count;
          if (--race.left <= 0) st.race.delete(model);
          if (!first) {
            st.after.set(model, text);
            return;
          }
        }
        const waiting = st.interrupting.get(model);
        if (waiting) {
          waiting.text = text; // the thread's buffer holds the latest text when it switches
          return;
        }
        if (st.synth.has(model)) {
          st.interrupting.set(model, { text });
          ctx.later(SPEECH_DELAYS.synthInterrupt, () => switchTo(ctx, model));
          return;
        }
        start(ctx, model, text);
      },
      SYNTH_STOP(ctx, msg) {
        const model = msg.fields[0];
        if (!ctx.voice || model === undefined) return;
        const s = st.synth.get(model);
        const hasModel = ctx.shared.models.has(model);
        if (!s || s.phase === "preparing" || s.stopping) {
          // Nothing playing, or the thread is preparing: preparing clears the stop flag, so the
          // stop is undone (speech.md §4); the plugin still stops the mouth.
          if (hasModel) {
            ctx.later(SPEECH_DELAYS.synthStopIdle, () => ctx.issue("LIPSYNC_STOP", model));
          }
          return;
        }
        s.stopping = true;
        ctx.later(SPEECH_DELAYS.synthStopLip, () => {
          if (st.synth.get(model) !== s) return;
          const lip = lipRunning(ctx, model);
          if (hasModel) ctx.issue("LIPSYNC_STOP", model);
          ctx.later(SPEECH_DELAYS.synthStopEvent - SPEECH_DELAYS.synthStopLip, () => {
            if (st.synth.get(model) !== s) return;
            ctx.cancel(s.timer);
            st.synth.delete(model);
            if (lip) ctx.issue("LIPSYNC_EVENT_STOP", model);
            ctx.issue("SYNTH_EVENT_STOP", model);
          });
        });
      },
      SOUND_START(ctx, msg) {
        const [alias, file] = msg.fields;
        if (!ctx.pluginEnabled("Audio") || msg.fields.length !== 2 || !ctx.exists(file)) return;
        st.sounds.set(alias, undefined);
        ctx.later(SPEECH_DELAYS.soundStart, () => ctx.issue("SOUND_EVENT_START", alias));
      },
      SOUND_STOP(ctx, msg) {
        const alias = msg.fields[0];
        if (!ctx.pluginEnabled("Audio") || alias === undefined || !st.sounds.has(alias)) return;
        st.sounds.delete(alias);
        ctx.later(SPEECH_DELAYS.soundStop, () => ctx.issue("SOUND_EVENT_STOP", alias));
      },
      SPEAK_START(ctx, msg) {
        const [model, file] = msg.fields;
        if (msg.fields.length < 2 || !ctx.exists(file)) return;
        const sp = st.speaking.get(model);
        if (sp) sp.waiting.push(file); // queued behind the one that plays (source)
        else playSpeak(ctx, model, file);
      },
      SPEAK_STOP(ctx, msg) {
        const model = msg.fields[0];
        if (model === undefined) return;
        ctx.issue("SPEAK_EVENT_STOP", model); // also for nothing
        const sp = st.speaking.get(model);
        if (sp) release(ctx, model, sp);
      },
    },
  };
}
