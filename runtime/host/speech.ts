/**
 * The host's side of the conversation: every line a bot sends passes here before the outbound
 * path. Speech commands (`SYNTH_START`, `SPEAK_START` and their stops, raw or typed) join the
 * model's floor (`runtime/conversation/`) instead of going straight out; any other line of a turn
 * that is over is refused (`turn-ended`); the bots' `speak` / `stream` requests are answered with
 * their own utterance's result. Lines the floor writes go through the same ACL and guard as
 * every other line.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { checkAcl } from "../catalog/dangerous.ts";
import {
  type AudioClaim,
  type AudioHandle,
  type Conversation,
  createConversation,
  type SpeechStream,
} from "../conversation/conversation.ts";
import type {
  AvatarState,
  ConversationEvent,
  ConversationPolicy,
  SpeakerPolicy,
  SpeechResult,
  TurnMetricsSummary,
  TurnRecord,
} from "../conversation/types.ts";
import { parseMessage } from "../wire/parse.ts";
import type { Outbound, Sender, SendReply } from "./outbound.ts";
import type { SpeechRequest } from "./instance.ts";
import type { BotToHost } from "../bot/protocol.ts";

/** Text one stream may carry in total (a bound on what a bot can make the host hold). */
export const MAX_STREAM_CHARS = 256 * 1024;
/** Streams one bot may have open at once. */
export const MAX_OPEN_STREAMS = 16;

/** What the dashboard, `status` and the audio room get from the host (contracts.md). */
export interface ConversationView {
  snapshot(): { avatar: AvatarState; turns: TurnRecord[]; metrics: TurnMetricsSummary };
  subscribe(fn: (ev: ConversationEvent) => void): () => void;
  /** An SND clip asks for a model's floor (see `AudioClaim`). */
  claimAudio(claim: AudioClaim): AudioHandle;
  /** The current turn id (0 before the first). */
  currentTurn(): number;
}

/** What the host's speech side needs. */
export interface HostSpeechDeps {
  clock: Clock;
  log: Logger;
  outbound: Outbound;
  policy?: Partial<ConversationPolicy>;
  speaker(owner: string): Partial<SpeakerPolicy> | undefined;
  /** The dangerous commands `owner` may send (for lines the floor writes later). */
  allowOf(owner: string): ReadonlySet<string>;
  /** Tells every running bot that `turn` is over. */
  turnEnded(turn: number, by: string): void;
}

/** The host's speech side. */
export interface HostSpeech {
  readonly conversation: Conversation;
  readonly view: ConversationView;
  /** A line from a bot (or the operator): the floor, a `turn-ended` refusal, or the outbound path. */
  send(line: string, sender: Sender, turn?: number, knownEnded?: boolean): Promise<SendReply>;
  /** A speech request of `owner`; `answer` sends the reply to its process. */
  request(
    owner: string,
    sender: Sender,
    msg: SpeechRequest,
    answer: (
      reply: { t: "spoken"; req: number; result: SpeechResult } | {
        t: "avatar";
        req: number;
        state: AvatarState;
      },
    ) => void,
  ): void;
  /** The bot's process is gone (restart, reload, stop): its open streams and speech end. */
  ownerGone(owner: string): void;
}

/** Whether a bot's feature message is a speech request (for the host's `onFeature`). */
export function isSpeechRequest(msg: BotToHost): msg is SpeechRequest {
  return msg.t === "speak" || msg.t === "stream" || msg.t === "speak-cancel" ||
    msg.t === "avatar-get";
}

/** Creates the host's speech side. */
export function createHostSpeech(d: HostSpeechDeps): HostSpeech {
  const conversation = createConversation({
    clock: d.clock,
    policy: d.policy,
    speaker: d.speaker,
    async write(line, owner) {
      const r = await d.outbound.send(line, { name: owner, allow: d.allowOf(owner) });
      return r.ok;
    },
    check(line, owner) {
      const r = d.outbound.check(line, { name: owner, allow: d.allowOf(owner) });
      return r.ok ? undefined : r.refusal;
    },
    onTurnEnded: (turn, by) => d.turnEnded(turn, by),
  });
  const streams = new Map<string, Map<number, { s: SpeechStream; chars: number }>>();
  const cancels = new Map<string, Map<number, () => void>>();
  const keyed = <T>(m: Map<string, Map<number, T>>, owner: string) => {
    let x = m.get(owner);
    if (!x) m.set(owner, x = new Map());
    return x;
  };
  const refused = (reason: string, by = "guard"): SpeechResult => ({
    status: "refused",
    by,
    reason,
    utterances: 0,
    spokenMs: 0,
    text: "",
  });

  const view: ConversationView = {
    snapshot: () => ({
      avatar: conversation.avatar(),
      turns: conversation.turns(),
      metrics: conversation.metrics(),
    }),
    subscribe: (fn) => conversation.subscribe(fn),
    claimAudio: (claim) => conversation.claimAudio(claim),
    currentTurn: () => conversation.currentTurn(),
  };

  return {
    conversation,
    view,

    send(line, sender, turn, knownEnded = true) {
      const msg = parseMessage(line);
      if (!conversation.isSpeech(msg.type)) {
        // A line the bot sent before it heard that its turn was over is only pipelined behind the
        // next utterance (a burst of typed lines): it goes. Work that ran on after the bot knew
        // (an await, a timer) is late: refused. Speech of an ended turn is the floor's to drop.
        const late = knownEnded ? conversation.turnCheck(turn, sender.name) : undefined;
        // A line refused anyway (ACL, guard) gets that refusal, not the turn's.
        if (late && d.outbound.check(line, sender, msg).ok) {
          return Promise.resolve({ ok: false, refusal: late });
        }
        return d.outbound.send(line, sender, msg);
      }
      // The same checks as any line, in the same order, before the floor takes it.
      const acl = checkAcl(msg.type, msg.args, sender.allow);
      if (acl) return d.outbound.send(line, sender, msg); // logs and refuses it the usual way
      const limited = sender.limiter?.take();
      if (limited) return Promise.resolve({ ok: false, refusal: limited });
      const checked = d.outbound.check(line, sender, msg);
      if (!checked.ok) return d.outbound.send(line, { ...sender, limiter: undefined }, msg);
      const verdict = conversation.submitLine(checked.unit.text, sender.name, turn);
      if (!verdict.ok) {
        d.log.debug(`speech line of ${sender.name} refused: ${verdict.refusal.reason}`, {
          bot: sender.name,
          code: verdict.refusal.code,
        });
        return Promise.resolve({ ok: false, refusal: verdict.refusal });
      }
      return Promise.resolve({ ok: true, status: verdict.status });
    },

    request(owner, sender, msg, answer) {
      switch (msg.t) {
        case "avatar-get":
          answer({ t: "avatar", req: msg.req, state: conversation.avatar() });
          return;
        case "speak-cancel": {
          const s = streams.get(owner)?.get(msg.req);
          if (s) s.s.cancel("stop", owner);
          cancels.get(owner)?.get(msg.req)?.();
          return;
        }
        case "speak": {
          const limited = sender.limiter?.take();
          if (limited) {
            answer({ t: "spoken", req: msg.req, result: refused(limited.reason, "rate-limit") });
            return;
          }
          const { result, cancel } = conversation.speak({
            owner,
            model: msg.model,
            voice: msg.voice,
            text: msg.text,
            turn: msg.turn,
            priority: msg.priority,
            uninterruptible: msg.uninterruptible,
          });
          const mine = keyed(cancels, owner);
          mine.set(msg.req, cancel);
          result.then((r) => {
            mine.delete(msg.req);
            answer({ t: "spoken", req: msg.req, result: r });
          });
          return;
        }
        case "stream": {
          const mine = keyed(streams, owner);
          let entry = mine.get(msg.req);
          if (!entry) {
            if (msg.model === undefined || msg.voice === undefined) return; // a stream already over
            const limited = sender.limiter?.take();
            if (limited || mine.size >= MAX_OPEN_STREAMS) {
              answer({
                t: "spoken",
                req: msg.req,
                result: limited
                  ? refused(limited.reason, "rate-limit")
                  : refused(`more than ${MAX_OPEN_STREAMS} speech streams open at once`),
              });
              // Later chunks of this request find no stream and are ignored.
              return;
            }
            const s = conversation.stream({
              owner,
              model: msg.model,
              voice: msg.voice,
              turn: msg.turn,
              priority: msg.priority,
              uninterruptible: msg.uninterruptible,
              segment: msg.firstChunkAtComma !== undefined
                ? { firstChunkAtComma: msg.firstChunkAtComma }
                : undefined,
            });
            entry = { s, chars: 0 };
            mine.set(msg.req, entry);
            s.result.then((r) => {
              mine.delete(msg.req);
              answer({ t: "spoken", req: msg.req, result: r });
            });
          }
          if (msg.chunk !== undefined) {
            entry.chars += msg.chunk.length;
            if (entry.chars > MAX_STREAM_CHARS) {
              d.log.warn(`a speech stream of ${owner} passed ${MAX_STREAM_CHARS} characters; cut`);
              entry.s.cancel("guard", owner);
              return;
            }
            entry.s.push(msg.chunk);
          }
          if (msg.end) entry.s.end();
          return;
        }
      }
    },

    ownerGone(owner) {
      for (const e of streams.get(owner)?.values() ?? []) e.s.cancel("stop", owner);
      streams.delete(owner);
      cancels.delete(owner);
      conversation.ownerGone(owner);
    },
  };
}
