/**
 * `ctx.llm.stream(request)`: an OpenAI-compatible streaming chat completion (`POST
 * {baseUrl}/chat/completions` with `stream: true`, Server-Sent Events over `fetch`) as an async
 * iterable of text. Works with OpenAI, llama.cpp's server, Ollama, vLLM, LM Studio and the like.
 *
 * Why not the `openai` or `eventsource-parser` npm packages: this is the bot API, which every bot
 * loads, and a bot process loads no npm code unless its own manifest names it (decisions.md); the
 * part needed (SSE framing and `choices[0].delta.content`) is small and tested here. A bot that
 * wants the full `openai` client can still name it in `permissions.npm`.
 *
 * Timeouts run on the host's clock (virtual in the test kit): `timeoutMs` bounds the wait for the
 * response and for each chunk after it. Aborting the signal (by default the bot passes the turn's)
 * cancels the HTTP request, so the server sees it go. Failures are {@link LlmError}s saying what to
 * fix. Base URL, key and model default to `OPENAI_BASE_URL`, `OPENAI_API_KEY` and `OPENAI_MODEL`,
 * read only when the manifest grants them (`env:`); the endpoint's host needs a `net:` grant.
 *
 * In the test kit, a base URL of `mmdbot-scripted:` makes the host answer with its scripted stream
 * over IPC instead of HTTP; everything after the bytes (SSE parsing, errors, timeouts) is the same.
 *
 * @module
 */
import type { FeatureIO } from "./engine.ts";
import type { BotFeature } from "./context.ts";
import type { HostToBot } from "./protocol.ts";
import type { ChatMessage } from "./store.ts";
import { MmdbotError } from "../errors/error.ts";

/** The base URL that routes a request to the test kit's scripted stream. */
export const SCRIPTED_BASE_URL = "mmdbot-scripted:";

/** What went wrong: `http` (status), `timeout`, `config` (missing model, grant), `stream`. */
export class LlmError extends MmdbotError {
  /** Kind of failure. */
  readonly code: "http" | "timeout" | "config" | "stream";
  /** The HTTP status, for `http`. */
  readonly status?: number;
  /** Creates the error. */
  constructor(code: LlmError["code"], message: string, status?: number) {
    super(message);
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** One streaming chat completion request. */
export interface ChatRequest {
  /** The conversation so far (e.g. a system prompt plus `ctx.store.history(...).last(n)`). */
  messages: readonly ChatMessage[];
  /** Model name (default `OPENAI_MODEL`). */
  model?: string;
  /** API base, e.g. `http://127.0.0.1:8080/v1` (default `OPENAI_BASE_URL`, else OpenAI's). */
  baseUrl?: string;
  /** Bearer token (default `OPENAI_API_KEY`; none for most local servers). */
  apiKey?: string;
  /** Cancels the request (default: the handler's turn's signal, when there is a turn). */
  signal?: AbortSignal;
  /** Longest wait for the response and then for each chunk, host time (default 30 000 ms). */
  timeoutMs?: number;
  /** Sampling temperature. */
  temperature?: number;
  /** `max_tokens`. */
  maxTokens?: number;
  /** More fields for the request body (`top_p`, `stop`, …). */
  extra?: Record<string, unknown>;
}

/** `ctx.llm`. */
export interface Llm {
  /**
   * Streams the answer as text pieces, in order, as they arrive.
   *
   * @example
   * ```ts
   * import { createBot } from "@mmdbot/mmdbot";
   *
   * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
   *   const said = ctx.args.result ?? "";
   *   let answer = "";
   *   for await (const piece of ctx.llm.stream({ messages: [{ role: "user", content: said }] })) {
   *     answer += piece;
   *   }
   * });
   * ```
   */
  stream(request: ChatRequest): AsyncIterable<string>;
}

/** One server-sent event: its `event:` name (default `message`) and joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * A streaming SSE parser (the WHATWG EventSource framing): feed text as it arrives, get the events
 * it completed. Lines end at LF, CRLF or CR; `:` lines are comments; a blank line ends an event.
 */
export function createSseParser(): { push(text: string): SseEvent[]; end(): SseEvent[] } {
  let buffer = "";
  let data: string[] = [];
  let event = "";
  const take = (out: SseEvent[], line: string) => {
    if (line === "") {
      if (data.length > 0) out.push({ event: event || "message", data: data.join("\n") });
      data = [];
      event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
  };
  return {
    push(text) {
      buffer += text;
      const out: SseEvent[] = [];
      for (;;) {
        const m = buffer.match(/\r\n|\r|\n/);
        if (!m || m.index === undefined) break;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (m[0] === "\r" && m.index === buffer.length - 1) break;
        take(out, buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (buffer !== "") take(out, buffer.replace(/\r$/, ""));
      buffer = "";
      take(out, "");
      return out;
    },
  };
}

/**
 * The text of one chat completion chunk (`choices[0].delta.content`, or `choices[0].text` of the
 * legacy completions API); throws an {@link LlmError} for an `error` object in the stream.
 */
export function deltaOf(data: string): string {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new LlmError("stream", `the stream sent data that is not JSON: ${data.slice(0, 200)}`);
  }
  const c = chunk as {
    error?: { message?: string } | string;
    choices?: { delta?: { content?: unknown }; text?: unknown }[];
  };
  if (c.error) {
    const message = typeof c.error === "string" ? c.error : c.error.message ?? "unknown error";
    throw new LlmError("stream", `the server reported an error in the stream: ${message}`);
  }
  const choice = c.choices?.[0];
  const text = choice?.delta?.content ?? choice?.text;
  return typeof text === "string" ? text : "";
}

/** A response as the stream reads it: status, and its body as text chunks. */
export interface LlmResponse {
  status: number;
  statusText: string;
  body: AsyncIterator<string>;
  /** Releases the response early (the request is cancelled). */
  cancel(): void;
}

/** How a request is carried: HTTP (`fetch`), or the host's scripted stream in the test kit. */
export type LlmTransport = (
  url: string,
  init: { headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<LlmResponse>;

/** The HTTP transport over `fetch`. */
export const fetchTransport: LlmTransport = async (url, init) => {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", ...init });
  } catch (e) {
    if (init.signal.aborted) throw init.signal.reason;
    const text = e instanceof Error ? e.message : String(e);
    if (/NotCapable|Requires net access/.test(`${(e as Error)?.name} ${text}`)) {
      const host = new URL(url).host;
      throw new LlmError(
        "config",
        `the bot may not connect to ${host}: ${text}. Fix: grant it in bots/bots.yaml, ` +
          `permissions: { net: [${host}] }`,
      );
    }
    throw new LlmError("http", `could not reach ${url}: ${text}`);
  }
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  return {
    status: response.status,
    statusText: response.statusText,
    body: {
      next: async () => {
        if (!reader) return { done: true, value: undefined };
        const r = await reader.read();
        return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
      },
    },
    cancel: () => {
      reader?.cancel().catch(() => {});
    },
  };
};

/** What {@link streamChat} needs besides the request. */
export interface StreamDeps {
  transport: LlmTransport;
  /** Resolves after `ms` (the host's clock), rejects when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Reads a granted environment variable (undefined when not granted or unset). */
  env(name: string): string | undefined;
}

/** Default of {@link ChatRequest.timeoutMs}. */
export const DEFAULT_LLM_TIMEOUT_MS = 30_000;

/** The stream behind `ctx.llm.stream`, with its dependencies passed in (tested directly). */
export async function* streamChat(request: ChatRequest, deps: StreamDeps): AsyncGenerator<string> {
  const baseUrl = (request.baseUrl ?? deps.env("OPENAI_BASE_URL") ?? "https://api.openai.com/v1")
    .replace(/\/+$/, "");
  const model = request.model ?? deps.env("OPENAI_MODEL");
  const apiKey = request.apiKey ?? deps.env("OPENAI_API_KEY");
  if (!model) {
    throw new LlmError(
      "config",
      "no model given: pass { model } to ctx.llm.stream or set OPENAI_MODEL and grant it " +
        "(permissions: { env: [OPENAI_MODEL] } in bots/bots.yaml)",
    );
  }
  const timeoutMs = request.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
  const local = new AbortController();
  const outer = request.signal;
  const onAbort = () => local.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener("abort", onAbort, { once: true });
  const url = baseUrl === SCRIPTED_BASE_URL ? SCRIPTED_BASE_URL : `${baseUrl}/chat/completions`;
  const body = JSON.stringify({
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    stream: true,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...request.extra,
  });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
  };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  /** Races `work` against the timeout; a timeout aborts the request. */
  const within = async <T>(work: Promise<T>, what: string): Promise<T> => {
    const timer = new AbortController();
    const stop = () => timer.abort();
    local.signal.addEventListener("abort", stop, { once: true });
    try {
      return await Promise.race([
        work,
        deps.sleep(timeoutMs, timer.signal).then(() => {
          throw new LlmError("timeout", `no ${what} from ${baseUrl} within ${timeoutMs} ms`);
        }, () => new Promise<never>(() => {})),
      ]);
    } finally {
      timer.abort();
      local.signal.removeEventListener("abort", stop);
    }
  };
  const aborted = new Promise<never>((_, reject) => {
    local.signal.addEventListener("abort", () => reject(local.signal.reason), { once: true });
  });
  aborted.catch(() => {});

  let response: LlmResponse | undefined;
  let finished = false;
  try {
    response = await within(
      Promise.race([
        deps.transport(url, { headers, body, signal: local.signal }),
        aborted,
      ]),
      "response",
    );
    if (response.status < 200 || response.status > 299) {
      let text = "";
      for (let i = 0; i < 8; i++) {
        const r = await within(Promise.race([response.body.next(), aborted]), "error body");
        if (r.done) break;
        text += r.value;
        if (text.length > 500) break;
      }
      throw new LlmError(
        "http",
        `${url} answered ${response.status} ${response.statusText}`.trim() +
          (text ? `: ${text.trim().slice(0, 300)}` : "") + httpFix(response.status),
        response.status,
      );
    }
    const parser = createSseParser();
    for (;;) {
      const r = await within(Promise.race([response.body.next(), aborted]), "data");
      const events = r.done ? parser.end() : parser.push(r.value);
      for (const ev of events) {
        if (ev.data === "[DONE]") {
          finished = true;
          return;
        }
        if (ev.event === "error") {
          throw new LlmError("stream", `the server reported an error: ${ev.data.slice(0, 300)}`);
        }
        const text = deltaOf(ev.data);
        if (text !== "") yield text;
      }
      if (r.done) {
        finished = true;
        return;
      }
    }
  } finally {
    outer?.removeEventListener("abort", onAbort);
    // Stopped early (abort, timeout, error, or the consumer broke off): cancel the request.
    if (!finished) {
      if (!local.signal.aborted) local.abort(new Error("stream closed"));
      response?.cancel();
    }
  }
}

function httpFix(status: number): string {
  if (status === 401 || status === 403) {
    return ". Fix: check OPENAI_API_KEY (and that the bot's manifest grants it: env: [OPENAI_API_KEY])";
  }
  if (status === 404) {
    return ". Fix: check OPENAI_BASE_URL (it usually ends in /v1) and the model name";
  }
  if (status === 429) return ". Fix: the server is rate-limiting: retry later or slow down";
  return "";
}

/** Reads an environment variable the bot may not be granted: undefined instead of a throw. */
export function grantedEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The transport over the host's scripted stream (test kit), one IPC request per completion. */
function scriptedTransport(io: FeatureIO, pending: Map<number, ScriptedState>): LlmTransport {
  let nextReq = 1;
  return (_url, init) => {
    const req = nextReq++;
    const state: ScriptedState = { chunks: [], done: false };
    pending.set(req, state);
    io.post({ t: "llm-open", req, body: init.body });
    const cancel = () => {
      if (!pending.has(req)) return;
      pending.delete(req);
      io.post({ t: "llm-cancel", req });
      state.wake?.();
    };
    init.signal.addEventListener("abort", cancel, { once: true });
    const waitFor = () => new Promise<void>((r) => (state.wake = r));
    return (async () => {
      while (state.status === undefined && !state.done) await waitFor();
      return {
        status: state.status ?? 200,
        statusText: state.status && state.status >= 400 ? "Scripted Failure" : "OK",
        body: {
          next: async () => {
            while (state.chunks.length === 0 && !state.done && pending.has(req)) await waitFor();
            if (state.chunks.length > 0) return { done: false, value: state.chunks.shift()! };
            if (state.error) throw new LlmError("http", state.error);
            return { done: true, value: undefined };
          },
        },
        cancel,
      };
    })();
  };
}

interface ScriptedState {
  status?: number;
  chunks: string[];
  done: boolean;
  error?: string;
  wake?: () => void;
}

/** `ctx.llm` as a bot-side feature. */
export function llmFeature(io: FeatureIO): BotFeature {
  const pending = new Map<number, ScriptedState>();
  const scripted = scriptedTransport(io, pending);
  const deps = (baseUrl: string | undefined): StreamDeps => ({
    transport: baseUrl === SCRIPTED_BASE_URL ? scripted : fetchTransport,
    sleep: (ms, signal) => io.timers.sleep(ms, signal),
    env: grantedEnv,
  });
  const llm: Llm = {
    stream: (request) => {
      const baseUrl = request.baseUrl ?? grantedEnv("OPENAI_BASE_URL");
      return streamChat(request, deps(baseUrl));
    },
  };
  return {
    context: { llm },
    // A handler's `ctx.llm.stream` defaults its signal to the handler's turn (conversation room),
    // so a barge-in or the next turn cancels the request without the bot wiring it.
    onMessage: (ctx) => {
      const turnOf = () => (ctx as { turn?: { signal?: AbortSignal } }).turn?.signal;
      Object.defineProperty(ctx, "llm", {
        value: {
          stream: (request: ChatRequest) =>
            llm.stream(request.signal || !turnOf() ? request : { ...request, signal: turnOf() }),
        } satisfies Llm,
      });
    },
    receive: {
      "llm-data": (raw) => {
        const msg = raw as Extract<HostToBot, { t: "llm-data" }>;
        const state = pending.get(msg.req);
        if (!state) return;
        if (msg.status !== undefined) state.status = msg.status;
        if (msg.chunk !== undefined) state.chunks.push(msg.chunk);
        if (msg.error !== undefined) state.error = msg.error;
        if (msg.end) state.done = true;
        const wake = state.wake;
        state.wake = undefined;
        wake?.();
      },
    },
  };
}
