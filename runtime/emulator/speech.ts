/**
 * Speech and sound (answers.md section 7, decisions.md "Emulator").
 *
 * Voice (default; off with `--no-voice`, which gives exactly the observed voiceless binary): the
 * synthesiser threads of Open_JTalk / Flite+hts_engine emit `SYNTH_EVENT_START|model`, issue
 * `LIPSYNC_START|model|<phonemes>` as a command (which the core answers with LIPSYNC events when the
 * model exists), and emit `SYNTH_EVENT_STOP|model` when the audio ends. The audio length is
 * modelled as {@link synthDurationMs}: 0.7 s plus 0.12 s per character of text (the lip-sync
 * of 0.12 s per character, plus the frame-loop lag of its LIPSYNC_EVENT_STOP, plus 0.12 s).
 *
 * Sound: `SOUND_EVENT_START` +0.15 s, and never a `SOUND_EVENT_STOP` by itself (observed: the forked
 * player hangs). `SPEAK_START` always reports playback, and its natural end gives
 * `SPEAK_EVENT_STOP` at the audio length + 0.1 s, even after a `SPEAK_STOP`.
 */
import type { TimerId } from "../clock/clock.ts";
import type { EmuContext, Family } from "./context.ts";

/** Delays measured on the real binary. */
export const SPEECH_DELAYS = {
  soundStart: 150,
  soundStop: 50,
  /** SPEAK_START → issued SOUND_START with a model loaded (+0.19 s) or without one. */
  speakSoundWithModel: 190,
  speakSoundNoModel: 20,
  /** SPEAK_EVENT_STOP comes at the audio length plus this (source). */
  speakTail: 100,
};

/** Synthesised speech length for a text: 700 ms + 120 ms per character (documented model). */
export function synthDurationMs(text: string): number {
  return 700 + 120 * [...text].length;
}

/**
 * A lip-sync sequence for a text: one vowel per character, 120 ms each. Uncapped, as the real
 * plugin's list is: about 6 bytes per character, so a text of more than about 330 characters makes a
 * `LIPSYNC_START` line over MMDAgent-EX's 2048-byte limit (observed: 674 characters gave 4.1 kB).
 */
export function synthLipsync(text: string): string {
  const vowels = ["a", "i", "u", "e", "o"];
  const n = Math.max(1, [...text].length);
  return Array.from({ length: n }, (_, i) => `${vowels[i % 5]},120`).join(",");
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

/** Speech state. */
export interface SpeechState {
  synth: Map<string, TimerId>;
  sounds: Map<string, TimerId | undefined>;
}

/** Fresh state. */
export function newSpeechState(): SpeechState {
  return { synth: new Map(), sounds: new Map() };
}

/** The speech-and-sound family. */
export function speechFamily(st: SpeechState): Family {
  const stopSynth = (ctx: EmuContext, model: string) => {
    ctx.cancel(st.synth.get(model));
    st.synth.delete(model);
    if (ctx.shared.models.get(model)?.lipsyncTimer !== undefined) {
      ctx.issue("LIPSYNC_STOP", model);
    }
    ctx.issue("SYNTH_EVENT_STOP", model);
  };
  return {
    name: "Speech",
    handlers: {
      SYNTH_START(ctx, msg) {
        if (!ctx.voice || msg.fields.length !== 3) return;
        const [model, , text] = msg.fields;
        if (st.synth.has(model)) stopSynth(ctx, model);
        ctx.issue("SYNTH_EVENT_START", model);
        ctx.issue("LIPSYNC_START", `${model}|${synthLipsync(text)}`);
        st.synth.set(
          model,
          ctx.later(synthDurationMs(text), () => {
            st.synth.delete(model);
            ctx.issue("SYNTH_EVENT_STOP", model);
          }),
        );
      },
      SYNTH_STOP(ctx, msg) {
        const model = msg.fields[0];
        if (!ctx.voice || model === undefined || !st.synth.has(model)) return;
        stopSynth(ctx, model);
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
        ctx.later(len + SPEECH_DELAYS.speakTail, () => ctx.issue("SPEAK_EVENT_STOP", model));
      },
      SPEAK_STOP(ctx, msg) {
        const model = msg.fields[0];
        if (model !== undefined) ctx.issue("SPEAK_EVENT_STOP", model); // also for nothing
      },
    },
  };
}
