/**
 * The control channel's protocol: JSON lines over the control socket, one JSON object per line,
 * validated with zod on both sides.
 *
 * On connect the server sends a {@link Hello}. Then the client sends requests, each with an `id` of
 * its choosing; the server answers each with one {@link Reply} carrying that id, in the order the
 * requests came for `send` (so lines reach MMDAgent-EX in order); a `send` with `echoTimeoutMs` is
 * answered once its echo came or the bound passed, while the next request is already taken (its
 * line is written after this one's, and its answer may come first). `tail` is a stream: the server
 * sends {@link TailItem}s with the request's id until the client closes the connection or the
 * runtime stops; it never gets a `Reply` unless it fails to start.
 *
 * ```
 * S: {"hello":"mmdbot-control","version":1,"pid":4242,"mdf":"/home/u/x.mdf"}
 * C: {"id":1,"op":"send","line":"MOTION_ADD|mei|wave|wave.vmd","allowDangerous":false}
 * S: {"id":1,"ok":true,"result":{"status":"written","conn":"tcp:127.0.0.1:50001"}}
 * C: {"id":2,"op":"send","line":"MESSAGE|hi","allowDangerous":false,"echoTimeoutMs":5000}
 * S: {"id":2,"ok":true,"result":{"status":"delivered","conn":"tcp:127.0.0.1:50001","echoMs":21}}
 * C: {"id":3,"op":"tail","json":false}
 * S: {"id":3,"line":"MOTION_EVENT_ADD|mei|wave"}
 * ```
 */
import { z } from "zod";
import type { TrafficRecord } from "../record/schema.ts";
import type { BotStatus, ControlSendResult, SessionStatus } from "./target.ts";
import type { Refusal } from "../wire/types.ts";

/** Protocol name in the hello line, so a client knows it reached mmdbot. */
export const PROTOCOL_NAME = "mmdbot-control";
/** Protocol version; a client refuses a server with another one. */
export const PROTOCOL_VERSION = 1;
/** Longest JSON line either side accepts (a message line is at most 2000 bytes). */
export const MAX_FRAME_BYTES = 1 << 20;

const id = z.number().int().nonnegative();

/** Every request a client may send. */
export const requestSchema = z.discriminatedUnion("op", [
  z.object({
    id,
    op: z.literal("send"),
    line: z.string(),
    allowDangerous: z.boolean(),
    // Wait this long for MMDAgent-EX's echo and answer delivered/not-delivered (absent: written).
    echoTimeoutMs: z.number().int().nonnegative().max(600_000).optional(),
  }),
  z.object({ id, op: z.literal("tail"), json: z.boolean() }),
  z.object({ id, op: z.literal("status") }),
  z.object({ id, op: z.literal("reload"), bot: z.string().min(1).optional() }),
  z.object({ id, op: z.literal("stop") }),
]);

/** One request. */
export type Request = z.infer<typeof requestSchema>;

/** Request without its id, as the client API takes it. */
export type RequestBody = Request extends infer R ? R extends Request ? Omit<R, "id"> : never
  : never;

/** The server's first line. */
export const helloSchema = z.object({
  hello: z.literal(PROTOCOL_NAME),
  version: z.number().int(),
  pid: z.number().int(),
  mdf: z.string().optional(),
});

/** The server's first line. */
export type Hello = z.infer<typeof helloSchema>;

/** The answer to one request. */
export const replySchema = z.union([
  z.object({ id, ok: z.literal(true), result: z.unknown() }),
  z.object({ id, ok: z.literal(false), error: z.object({ message: z.string() }) }),
]);

/** The answer to one request. */
export type Reply = z.infer<typeof replySchema>;

/** The contract's traffic record (`record/schema.ts`), validated. */
export const trafficRecordSchema: z.ZodType<TrafficRecord> = z.object({
  time: z.string(),
  t: z.number(),
  dir: z.enum(["in", "out"]),
  conn: z.string(),
  bot: z.string().optional(),
  echo: z.boolean().optional(),
  line: z.string(),
});

/** One item of a tail: an inbound line's text (`json: false`) or a full record (`json: true`). */
export const tailItemSchema = z.union([
  z.object({ id, line: z.string() }),
  z.object({ id, record: trafficRecordSchema }),
]);

/** One item of a tail stream. */
export type TailItem = z.infer<typeof tailItemSchema>;

/** Anything the server sends after its hello. */
export const serverMessageSchema = z.union([replySchema, tailItemSchema]);

const refusalSchema: z.ZodType<Refusal> = z.object({
  code: z.string(),
  reason: z.string(),
  fix: z.string().optional(),
  bytes: z.string().optional(),
});

/** The result of `send`: the contract's {@link ControlSendResult}. */
export const sendResultSchema: z.ZodType<ControlSendResult> = z.discriminatedUnion("status", [
  z.object({ status: z.literal("written"), conn: z.string() }),
  z.object({ status: z.literal("delivered"), conn: z.string(), echoMs: z.number() }),
  z.object({ status: z.literal("not-delivered"), conn: z.string(), reason: z.string() }),
  z.object({ status: z.literal("queued"), depth: z.number() }),
  z.object({ status: z.literal("refused"), refusal: refusalSchema }),
  z.object({ status: z.literal("dropped"), reason: z.string() }),
]);

const botStatusSchema: z.ZodType<BotStatus> = z.object({
  name: z.string(),
  isolation: z.string(),
  state: z.string(),
  restarts: z.number(),
  lastError: z.string().optional(),
});

const latency = z.object({ p50: z.number().optional(), p95: z.number().optional() });

/** The result of `status`: the contract's {@link SessionStatus}. */
export const statusSchema: z.ZodType<SessionStatus> = z.object({
  pid: z.number(),
  mdf: z.string().optional(),
  plan: z.string(),
  startedAt: z.string(),
  link: z.record(z.string(), z.unknown()),
  bots: z.array(botStatusSchema),
  refusedLines: z.number(),
  conversation: z.object({
    turn: z.number(),
    userSpeaking: z.boolean(),
    speaking: z.array(z.object({ model: z.string(), owner: z.string(), text: z.string() })),
    metrics: z.object({
      turns: z.number(),
      interruptions: z.number(),
      falseInterruptions: z.number(),
      dropped: z.number(),
      toFirstCommandMs: latency,
      toWireMs: latency,
      toAudioMs: latency,
    }),
  }).optional(),
});

/** The result of `reload`: the names reloaded. */
export const reloadResultSchema = z.array(z.string());

/** Encodes one message as a JSON line. */
export function frame(message: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message) + "\n");
}

/** Shortens a zod error to one line for a log or a reply. */
export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}
