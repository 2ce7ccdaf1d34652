/**
 * MMDAgent-EX's own Plugin_RabbitMQ, spoken natively (reference rabbitmq.md): its JSON config, the
 * two envelopes it plays (`audio`, `expression_and_action`) built and validated strictly before
 * anything is published — one malformed envelope aborts the whole MMDAgent-EX process (§3) — and
 * where to read what it publishes for `RABBITMQ_SEND|<payload>`.
 */
import { z } from "zod";
import { type BrokerConnection, consume } from "./connection.ts";

const Entry = z.object({
  name: z.string(),
  mode: z.enum(["consumer-basic", "consumer", "producer"]),
  queue: z.string().optional(),
  type: z.string().optional(),
  exchange: z.string().optional(),
  bindingkey: z.string().optional(),
});
/** One `connection_list` entry of the plugin's config. */
export type PluginEntry = z.infer<typeof Entry>;

const Named = z.object({ name: z.string().min(1), motion: z.string().min(1) });

/** The plugin's JSON config (`Plugin_RabbitMQ_ConfigFile`), as far as the plugin reads it. */
export const PluginConfig = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  pass: z.string(),
  target_model_alias: z.string(),
  motion_expression_alias: z.string(),
  motion_action_alias: z.string(),
  audio_mode: z.string(),
  expression_list: z.array(Named),
  action_list: z.array(Named),
  connection_list: z.array(Entry),
});
/** A parsed {@link PluginConfig}. */
export type PluginConfig = z.infer<typeof PluginConfig>;

/**
 * Reads the plugin's config. The four single values are required: without them the binary
 * swallows an exception and leaves its motion tables empty (reference plugin-remote.md §4.1).
 */
export function parsePluginConfig(text: string, file = "Plugin_RabbitMQ config"): PluginConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  const r = PluginConfig.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(
      `${file}: ${
        i.path.join(".") || "(top)"
      }: ${i.message}; the plugin needs every top-level key ` +
        "(host, port, user, pass, target_model_alias, motion_expression_alias, motion_action_alias, " +
        "audio_mode, expression_list, action_list, connection_list)",
    );
  }
  return r.data;
}

/** The envelope the plugin consumes: six string fields, all required. */
export interface PluginEnvelope {
  timestamp: string;
  id: string;
  producer: string;
  update_type: string;
  data_type: "audio" | "expression_and_action";
  body: string;
}

const FIELDS = ["timestamp", "id", "producer", "update_type", "data_type", "body"] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks an envelope exactly as strictly as the plugin needs: every field present and a string,
 * a known `data_type`, audio as base64 of whole 16-bit samples, expression/action as a JSON string
 * of known names. Returns the reason it would be unsafe, or undefined when it is safe to publish.
 */
export function envelopeProblem(value: unknown, config: PluginConfig): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "an envelope is a JSON object";
  }
  const v = value as Record<string, unknown>;
  for (const f of FIELDS) {
    if (typeof v[f] !== "string") {
      return `field "${f}" must be a string (the plugin aborts otherwise)`;
    }
  }
  const body = v.body as string;
  if (v.data_type === "audio") {
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
      return "audio body must be base64 (padded)";
    }
    const pad = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
    const bytes = (body.length / 4) * 3 - pad;
    if (bytes % 2 !== 0) return "audio body must hold whole 16-bit samples (an even byte count)";
    return undefined;
  }
  if (v.data_type === "expression_and_action") {
    let inner: unknown;
    try {
      inner = JSON.parse(body);
    } catch {
      return "expression_and_action body must be a JSON string of {expression, action}";
    }
    if (typeof inner !== "object" || inner === null) {
      return "expression_and_action body must be an object";
    }
    const { expression, action } = inner as Record<string, unknown>;
    if (typeof expression !== "string" || typeof action !== "string") {
      return "expression_and_action needs string fields expression and action";
    }
    if (!config.expression_list.some((e) => e.name === expression)) {
      return `unknown expression "${expression}" (known: ${
        config.expression_list.map((e) => e.name).join(", ")
      })`;
    }
    if (!config.action_list.some((e) => e.name === action)) {
      return `unknown action "${action}" (known: ${
        config.action_list.map((e) => e.name).join(", ")
      })`;
    }
    return undefined;
  }
  return `data_type "${String(v.data_type)}" is neither "audio" nor "expression_and_action"`;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Metadata of a built envelope (defaults: now, a random id, producer `mmdbot`). */
export interface EnvelopeMeta {
  id?: string;
  producer?: string;
  timestamp?: string;
}

function meta(m: EnvelopeMeta) {
  return {
    timestamp: m.timestamp ?? new Date().toISOString(),
    id: m.id ?? crypto.randomUUID(),
    producer: m.producer ?? "mmdbot",
    update_type: "new",
  };
}

/** An audio envelope: 16 kHz signed 16-bit little-endian mono PCM. */
export function audioEnvelope(pcm: Int16Array, m: EnvelopeMeta = {}): PluginEnvelope {
  const bytes = new Uint8Array(pcm.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i], true);
  return { ...meta(m), data_type: "audio", body: base64(bytes) };
}

/** An expression-and-action envelope (names from the config's lists). */
export function expressionEnvelope(
  expression: string,
  action: string,
  m: EnvelopeMeta = {},
): PluginEnvelope {
  return {
    ...meta(m),
    data_type: "expression_and_action",
    body: JSON.stringify({ expression, action }),
  };
}

/** Where a consumer entry of the plugin reads from: `[exchange, routingKey]` for a publish. */
export function entryTarget(entry: PluginEntry): [string, string] {
  if (entry.mode === "consumer-basic") return ["", entry.queue ?? ""];
  if (entry.mode === "consumer" && !entry.exchange) return ["", entry.bindingkey ?? ""];
  return [entry.exchange ?? "", entry.bindingkey ?? ""];
}

/**
 * Publishes an envelope to one of the plugin's consumer entries after {@link envelopeProblem}
 * passed; throws with the reason otherwise (nothing is published).
 */
export async function publishToPlugin(
  broker: BrokerConnection,
  config: PluginConfig,
  entryName: string,
  envelope: PluginEnvelope,
): Promise<void> {
  const entry = config.connection_list.find((e) => e.name === entryName);
  if (!entry) throw new Error(`no connection_list entry named "${entryName}"`);
  if (entry.mode === "producer") {
    throw new Error(
      `entry "${entryName}" is a producer: MMDAgent-EX publishes there, it reads none`,
    );
  }
  const problem = envelopeProblem(envelope, config);
  if (problem) throw new Error(`refused to publish to Plugin_RabbitMQ: ${problem}`);
  const [exchange, key] = entryTarget(entry);
  await broker.publish(exchange, key, JSON.stringify(envelope));
}

/**
 * Declares, on a fresh channel, a consumer of what one of the plugin's producer entries publishes
 * (the `RABBITMQ_SEND` payloads, raw bytes with no properties) and calls `onPayload` with each.
 * Exchanges are declared with the plugin's own flags (non-durable, not auto-delete), or the
 * plugin's later declare would fail with PRECONDITION_FAILED (rabbitmq.md §3).
 */
export async function consumePluginOutput(
  channel: import("@cloudamqp/amqp-client").AMQPChannel,
  entry: PluginEntry,
  onPayload: (payload: string) => void,
): Promise<void> {
  if (entry.mode !== "producer") throw new Error(`entry "${entry.name}" is not a producer`);
  let queue: string;
  if (entry.exchange) {
    await channel.exchangeDeclare(entry.exchange, (entry.type ?? "direct") as "direct", {
      durable: false,
      autoDelete: false,
    });
    const q = await channel.queueDeclare("", { exclusive: true, autoDelete: true });
    queue = q.name;
    await channel.queueBind(queue, entry.exchange, entry.bindingkey ?? "");
  } else {
    queue = (await channel.queueDeclare(entry.bindingkey ?? "", {
      durable: false,
      autoDelete: true,
    })).name;
  }
  await consume(channel, queue, { noAck: true }, (msg) => onPayload(msg.bodyToString() ?? ""));
}
