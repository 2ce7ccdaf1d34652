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

/** Anything on an events queue. */
export const AvatarEvent = z.discriminatedUnion("kind", [EventMessage, StateMessage]);
/** A parsed {@link AvatarEvent}. */
export type AvatarEvent = z.infer<typeof AvatarEvent>;

/** A line a worker's bot wants written to an avatar. */
export const CommandMessage = z.object({
  v: z.literal(1),
  /** Unique per command: the edge writes a redelivered id once. */
  id: z.string().min(1).max(128),
  avatar: AvatarName,
  /** The bot that sent it: the edge applies that bot's manifest entry (ACL, rate limit). */
  bot: z.string().min(1).max(128),
  worker: z.string().max(128),
  line: z.string().max(64 * 1024),
  /**
   * A setup line of the worker's bots (written after every connect): the edge checks it as an
   * operator's line without the dangerous override, since no single bot owns it.
   */
  setup: z.boolean().optional(),
});
/** A parsed {@link CommandMessage}. */
export type CommandMessage = z.infer<typeof CommandMessage>;

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
