/**
 * A small stand-in for MMDAgent-EX's speech side, for the conversation's unit and fuzz tests (the
 * full emulator is exercised by the host tests): a `SYNTH_START` gives `SYNTH_EVENT_START` and the
 * plugin's `LIPSYNC_START` after 50 ms, and `SYNTH_EVENT_STOP` after 60 ms per character; a
 * `SYNTH_STOP` while speaking gives `SYNTH_EVENT_STOP` 20 ms later; one that arrives while the
 * voice still prepares (before `SYNTH_EVENT_START`) is undone, as on the binary. With `voice: false` speech
 * commands get nothing back, as on the bare binary.
 */
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import {
  type Conversation,
  type ConversationDeps,
  createConversation,
} from "../../runtime/conversation/conversation.ts";
import type { ConversationPolicy, SpeakerPolicy } from "../../runtime/conversation/types.ts";

export interface Written {
  at: number;
  line: string;
  owner: string;
}

export interface Sim {
  clock: VirtualClock;
  conv: Conversation;
  written: Written[];
  ended: { turn: number; by: string; at: number }[];
  /** Delivers an inbound line now (not an echo). */
  inject(line: string): void;
  lines(): string[];
}

export function createSim(
  o: {
    voice?: boolean;
    policy?: Partial<ConversationPolicy>;
    speakers?: Record<string, Partial<SpeakerPolicy>>;
    charMs?: number;
    refuse?: (line: string) => boolean;
  } = {},
): Sim {
  const clock = new VirtualClock();
  const written: Written[] = [];
  const ended: Sim["ended"] = [];
  const speaking = new Map<string, number>();
  // Models whose TTS thread is still preparing: a stop then is undone (speech.md §4).
  const preparing = new Set<string>();
  const voice = o.voice ?? true;
  const charMs = o.charMs ?? 60;
  // deno-lint-ignore prefer-const -- assigned after the closures that use it are built
  let conv!: Conversation;
  const inject = (line: string) => {
    const [type, ...fields] = line.split("|");
    conv.inbound(type, fields, false);
  };
  const binary = (line: string) => {
    const [type, model, , text] = line.split("|");
    if (!voice) return;
    if (type === "SYNTH_START") {
      const old = speaking.get(model);
      if (old !== undefined) {
        clock.clearTimeout(old);
        inject(`SYNTH_EVENT_STOP|${model}`);
      }
      preparing.add(model);
      const t = clock.setTimeout(() => {
        preparing.delete(model);
        inject(`SYNTH_EVENT_START|${model}`);
        inject(`LIPSYNC_START|${model}|a,100`);
        speaking.set(
          model,
          clock.setTimeout(() => {
            speaking.delete(model);
            inject(`SYNTH_EVENT_STOP|${model}`);
          }, charMs * [...text].length),
        );
      }, 50);
      speaking.set(model, t);
    } else if (type === "SYNTH_STOP") {
      const t = speaking.get(model);
      if (t === undefined || preparing.has(model)) return;
      clock.clearTimeout(t);
      speaking.delete(model);
      clock.setTimeout(() => inject(`SYNTH_EVENT_STOP|${model}`), 20);
    }
  };
  const deps: ConversationDeps = {
    clock,
    write(line, owner) {
      written.push({ at: clock.now(), line, owner });
      // The binary reads the line a little later, as over a socket.
      clock.setTimeout(() => binary(line), 1);
      return Promise.resolve(true);
    },
    check: (line) => o.refuse?.(line) ? { code: "test", reason: "refused by the test" } : undefined,
    speaker: (owner) => o.speakers?.[owner],
    policy: o.policy,
    onTurnEnded: (turn, by) => ended.push({ turn, by, at: clock.now() }),
  };
  conv = createConversation(deps);
  return { clock, conv, written, ended, inject, lines: () => written.map((w) => w.line) };
}
