/**
 * The test kit's scripted OpenAI-compatible stream: bots whose `ctx.llm.stream` goes to the base
 * URL `mmdbot-scripted:` (the test kit sets `OPENAI_BASE_URL` to it) get these replies, in order,
 * as the exact SSE bytes an OpenAI-compatible server sends, with each token due at its time on the
 * runtime's (virtual) clock. Only the carrier differs from HTTP (the bot's IPC pipe, so the test
 * kit's quiet check covers a reply in progress); the bot parses the bytes as it parses a server's.
 *
 * @module
 */
import type { Clock, TimerId } from "../clock/clock.ts";

/** One scripted reply. */
export interface ScriptedReply {
  /** The answer, cut into tokens at word boundaries (or give `tokens`). */
  text?: string;
  /** The answer's tokens, exactly. */
  tokens?: readonly string[];
  /** Virtual time between tokens (default 0: all at once). */
  tokenMs?: number;
  /** Virtual time before the first token (default `tokenMs`). */
  firstTokenMs?: number;
  /** Answer with this HTTP status and `errorBody` instead (e.g. 500, 401). */
  status?: number;
  /** Body of a failed status (default a JSON error object). */
  errorBody?: string;
  /** After this many tokens, the stream breaks (the connection drops). */
  failAfter?: number;
  /** After the tokens, send nothing more and never end (to test timeouts). */
  stall?: boolean;
}

/** A request a bot made, as the test sees it. */
export interface ScriptedRequest {
  /** The bot that asked. */
  bot: string;
  /** The request body (model, messages, stream…). */
  body: { model?: string; messages?: { role: string; content: string }[]; [k: string]: unknown };
  /** Tokens sent so far. */
  sent: number;
  /** The bot stopped reading before the end (barge-in, timeout, error). */
  aborted: boolean;
  /** The reply was sent to its end. */
  done: boolean;
}

/** The scripted stream of one test runtime. */
export interface ScriptedLlm {
  /** Answers one request of bot `bot` (the host calls it); returns its cancel function. */
  open(
    bot: string,
    body: string,
    emit: (data: { status?: number; chunk?: string; end?: boolean; error?: string }) => void,
  ): () => void;
  /** Every request so far, in order. */
  requests(): ScriptedRequest[];
  /** Queues more replies (used in order; past the last one, the last repeats). */
  reply(...replies: ScriptedReply[]): void;
}

/** Splits text into word tokens, keeping the spaces with the word before them. */
export function tokensOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const sse = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-scripted",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`;

/** Creates the scripted stream on `clock` with `replies` queued. */
export function createScriptedLlm(clock: Clock, replies: readonly ScriptedReply[]): ScriptedLlm {
  const queue = [...replies];
  let last: ScriptedReply | undefined;
  const requests: ScriptedRequest[] = [];
  return {
    requests: () => requests,
    reply: (...more) => queue.push(...more),
    open(bot, body, emit) {
      let parsed: ScriptedRequest["body"] = {};
      try {
        parsed = JSON.parse(body);
      } catch {
        // kept empty: the test sees it
      }
      const request: ScriptedRequest = { bot, body: parsed, sent: 0, aborted: false, done: false };
      requests.push(request);
      const script = queue.shift() ?? last ?? { text: "" };
      last = script;
      if (script.status !== undefined && (script.status < 200 || script.status > 299)) {
        emit({
          status: script.status,
          chunk: script.errorBody ??
            JSON.stringify({ error: { message: "scripted failure", code: script.status } }),
          end: true,
        });
        request.done = true;
        return () => {};
      }
      const tokens = script.tokens ? [...script.tokens] : tokensOf(script.text ?? "");
      const gap = script.tokenMs ?? 0;
      let timer: TimerId | undefined;
      let i = 0;
      emit({ status: 200, chunk: sse({ role: "assistant", content: "" }) });
      const step = () => {
        timer = undefined;
        if (request.aborted) return;
        // With no gap, everything due now goes in one go.
        do {
          if (script.failAfter !== undefined && i >= script.failAfter) {
            emit({ error: "scripted stream broke off (connection reset)", end: true });
            request.done = true;
            return;
          }
          if (i >= tokens.length) {
            if (script.stall) return;
            emit({ chunk: sse({}, "stop") + "data: [DONE]\n\n", end: true });
            request.done = true;
            return;
          }
          emit({ chunk: sse({ content: tokens[i++] }) });
          request.sent = i;
        } while (gap === 0);
        timer = clock.setTimeout(step, gap);
      };
      const first = script.firstTokenMs ?? gap;
      if (first === 0) step();
      else timer = clock.setTimeout(step, first);
      return () => {
        if (request.done) return;
        request.aborted = true;
        if (timer !== undefined) clock.clearTimeout(timer);
      };
    },
  };
}
