/**
 * What mmdbot puts on the broker: one JSON object per AMQP message, validated with zod on receipt
 * (a broker is a shared place; nothing read from it is trusted more than a bot's own IPC line).
 */
import { z } from "zod";
import { AvatarName } from "./topology.ts";

/** Longest line carried (inbound MMDAgent-EX lines can be long; outbound ones are guarded later). */
const MAX_LINE = 256 * 1024;

/** One line MMDAgent-EX sent, published by its edge. */
export const EventMessage = z.object({
  v: z.literal(1),
  kind: z.literal("line"),
  avatar: AvatarName,
  /** Per edge run, increasing: a worker skips a redelivered line it already handled. */
  seq: z.number().int().nonnegative(),
  /** Identifies one edge run, so `seq` restarting after an edge restart is not taken as old. */
  run: z.string().min(1).max(64),
  at: z.number(),
  line: z.string().max(MAX_LINE),
  /** The producing bot when the line is the echo of one of ours, else absent. */
  echoOf: z.string().max(128).optional(),
  connection: z.string().max(256),
});
/** A parsed {@link EventMessage}. */
export type EventMessage = z.infer<typeof EventMessage>;

/** An edge's connection changed (bots hear `onConnected` / `onDisconnected`). */
export const StateMessage = z.object({
  v: z.literal(1),
  kind: z.literal("state"),
  avatar: AvatarName,
  seq: z.number().int().nonnegative(),
  run: z.string().min(1).max(64),
  at: z.number(),
  state: z.enum(["connected", "disconnected"]),
  connection: z.string().max(256).optional(),
});
/** A parsed {@link StateMessage}. */
export type StateMessage = z.infer<typeof StateMessage>;

/**
 * The edge refused something a worker's bot sent (a line, audio, a setup line): the worker tells
 * that bot, whose `onError` hooks get the `RefusedError`, as a local bot's would.
 */
export const RefusedMessage = z.object({
  v: z.literal(1),
  kind: z.literal("refused"),
  avatar: AvatarName,
  seq: z.number().int().nonnegative(),
  run: z.string().min(1).max(64),
  at: z.number(),
  bot: z.string().min(1).max(128),
  /** The refused line (its first 300 characters). */
  line: z.string().max(400),
  code: z.string().min(1).max(64),
  reason: z.string().max(2000),
  fix: z.string().max(2000).optional(),
});
/** A parsed {@link RefusedMessage}. */
export type RefusedMessage = z.infer<typeof RefusedMessage>;

/** Anything on an events queue. */
export const AvatarEvent = z.discriminatedUnion("kind", [
  EventMessage,
  StateMessage,
  RefusedMessage,
]);
/** A parsed {@link AvatarEvent}. */
export type AvatarEvent = z.infer<typeof AvatarEvent>;

/** What every command carries: who sent it, for which avatar, under which id. */
const CommandBase = {
  v: z.literal(1),
  /**
   * `<worker run>:<n>`, `n` counting up from 0 in publishing order: the edge keeps the highest
   * `n` it wrote per worker run and drops anything at or below it (a redelivery or a resend).
   */
  id: z.string().min(1).max(128).regex(/^.+:\d{1,15}$/, "an id is <worker run>:<number>"),
  avatar: AvatarName,
  worker: z.string().max(128),
};

/** A line a worker's bot wants written to an avatar. */
export const LineCommand = z.object({
  ...CommandBase,
  kind: z.literal("line"),
  /** The bot that sent it: the edge applies that bot's manifest entry (ACL, rate limit). */
  bot: z.string().min(1).max(128),
  line: z.string().max(64 * 1024),
});
/** A parsed {@link LineCommand}. */
export type LineCommand = z.infer<typeof LineCommand>;

/**
 * A worker bot's whole setup list (sent when it changes and when the worker takes the avatar):
 * the edge keeps it as that bot's setup lines, with the checks and the once-per-connection replay
 * a local bot's get. An empty list clears it (the bot stopped or dropped its lines).
 */
export const SetupCommand = z.object({
  ...CommandBase,
  kind: z.literal("setup"),
  bot: z.string().min(1).max(128),
  lines: z.array(z.string().max(64 * 1024)).max(256),
});
/** A parsed {@link SetupCommand}. */
export type SetupCommand = z.infer<typeof SetupCommand>;

/**
 * A worker subscribed to the avatar: the edge answers with a `state` event, so the worker that
 * holds the avatar knows at once whether MMDAgent-EX is connected.
 */
export const QueryCommand = z.object({
  ...CommandBase,
  kind: z.literal("query"),
});
/** A parsed {@link QueryCommand}. */
export type QueryCommand = z.infer<typeof QueryCommand>;

/** Any JSON command on a commands queue (SND audio comes as binary, see {@link SndHeaders}). */
export const CommandMessage = z.discriminatedUnion("kind", [
  LineCommand,
  SetupCommand,
  QueryCommand,
]);
/** A parsed {@link CommandMessage}. */
export type CommandMessage = z.infer<typeof CommandMessage>;

/** The AMQP `type` of a binary command: one SND packet (header and PCM) as the body. */
export const SND_TYPE = "mmdbot.snd";

/**
 * The AMQP headers of an SND command (its body is the packet's bytes): the same identity as a
 * JSON command. The edge checks the packet itself before writing it.
 */
export const SndHeaders = z.object({
  ...CommandBase,
  bot: z.string().min(1).max(128),
});
/** Parsed {@link SndHeaders}. */
export type SndHeaders = z.infer<typeof SndHeaders>;

/** An SND command as the worker hands it to its publisher. */
export interface SndCommand extends SndHeaders {
  kind: "snd";
  /** One SND packet: `SND` + 4 digits + PCM. */
  packet: Uint8Array;
}

/** Anything a worker publishes on a commands queue. */
export type WorkerCommand = CommandMessage | SndCommand;

/** An edge saying it serves an avatar (fanout, repeated every few seconds). */
export const Announcement = z.object({
  v: z.literal(1),
  avatar: AvatarName,
  run: z.string().min(1).max(64),
  at: z.number(),
});
/** A parsed {@link Announcement}. */
export type Announcement = z.infer<typeof Announcement>;

/** Parses a broker message body as JSON against a schema; a readable reason when it fails. */
export function decodeBody<T>(
  schema: z.ZodType<T>,
  body: string,
): { ok: true; value: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: `not JSON (${body.length} characters)` };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: `${issue.path.join(".") || "(top)"}: ${issue.message}` };
}
