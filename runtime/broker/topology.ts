/**
 * Names of everything mmdbot declares on a RabbitMQ broker, per avatar. One place, so the edge and
 * the workers can never disagree about a queue's name or flags.
 *
 * - `mmdbot.avatars` (fanout, durable): edges announce themselves there, so workers learn which
 *   avatars exist without configuration.
 * - `mmdbot.<avatar>.events` (durable queue, single active consumer): what the avatar's MMDAgent-EX
 *   sent, in order. Single active consumer keeps the order and keeps one avatar's bot state with one
 *   worker at a time; when that worker's channel closes the broker hands the queue to the next.
 * - `mmdbot.<avatar>.commands` (durable queue): lines workers want written to that avatar, consumed
 *   by its edge, which checks each one as it checks a local bot's.
 *
 * Our own queues are durable with persistent messages and publisher confirms, unlike what
 * Plugin_RabbitMQ declares (non-durable, auto-delete; reference rabbitmq.md §3), so we never share a
 * queue name with the plugin's.
 */
import { z } from "zod";

/** An avatar's name as used in queue names: short, and safe in a routing key. */
export const AvatarName = z.string().regex(
  /^[A-Za-z0-9_-]{1,64}$/,
  "an avatar name is 1-64 letters, digits, '_' or '-' (it becomes part of queue names)",
);

/** The fanout exchange edges announce on. */
export const ANNOUNCE_EXCHANGE = "mmdbot.avatars";

/** The queues of one avatar. */
export interface AvatarQueues {
  events: string;
  commands: string;
}

/** The queue names of an avatar (validated). */
export function avatarQueues(avatar: string): AvatarQueues {
  const name = AvatarName.parse(avatar);
  return { events: `mmdbot.${name}.events`, commands: `mmdbot.${name}.commands` };
}

/** Arguments of the events queue: one consumer at a time keeps order and per-avatar state. */
export const EVENTS_QUEUE_ARGS = { "x-single-active-consumer": true } as const;
