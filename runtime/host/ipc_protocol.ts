/**
 * zod schemas of what a bot process may send the host. A bot process is untrusted: every line it
 * writes on stdout is parsed here, and anything that is not a valid message is logged as the bot's
 * output, never acted on. Sizes are bounded so a bot cannot make the host hold huge strings.
 */
import { z } from "zod";
import type { BotToHost } from "../bot/protocol.ts";
import { storeOpSchema } from "../store/schema.ts";

const MAX_TEXT = 64 * 1024;
const text = z.string().max(MAX_TEXT);
const int = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const errorReport = z.object({
  name: z.string().max(200),
  message: text,
  stack: text.optional(),
});

/** One bot → host message. */
export const botToHostSchema = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("ready"),
    types: z.array(z.string().max(200)).max(1000),
    errorHooks: z.boolean().optional(),
  }),
  z.object({ t: z.literal("load-error"), error: errorReport }),
  z.object({ t: z.literal("ack"), id: int }),
  z.object({
    t: z.literal("send"),
    req: int,
    line: text,
    want: z.boolean().optional(),
    turn: int.optional(),
  }),
  z.object({
    t: z.literal("speak"),
    req: int,
    model: z.string().max(1000),
    voice: z.string().max(1000),
    text,
    turn: int.optional(),
    priority: z.number().finite().optional(),
    uninterruptible: z.boolean().optional(),
  }),
  z.object({
    t: z.literal("stream"),
    req: int,
    model: z.string().max(1000).optional(),
    voice: z.string().max(1000).optional(),
    turn: int.optional(),
    priority: z.number().finite().optional(),
    uninterruptible: z.boolean().optional(),
    firstChunkAtComma: z.number().int().nonnegative().max(1000).optional(),
    chunk: text.optional(),
    end: z.boolean().optional(),
  }),
  z.object({ t: z.literal("speak-cancel"), req: int }),
  z.object({ t: z.literal("avatar-get"), req: int }),
  z.object({ t: z.literal("want"), req: int }),
  z.object({ t: z.literal("setup"), lines: z.array(text).max(200) }),
  z.object({
    t: z.literal("timer-set"),
    timer: int,
    ms: z.number().nonnegative().max(2 ** 31),
    repeat: z.boolean(),
  }),
  z.object({ t: z.literal("timer-clear"), timer: int }),
  z.object({ t: z.literal("log"), level: z.enum(["debug", "info", "warn", "error"]), msg: text }),
  z.object({ t: z.literal("error"), where: z.string().max(200), error: errorReport }),
  z.object({ t: z.literal("stopped") }),
  // Store (llm, #15).
  z.object({ t: z.literal("store"), req: int, op: storeOpSchema }),
  // LLM (llm, #15): the test kit's scripted stream.
  z.object({ t: z.literal("llm-open"), req: int, body: text }),
  z.object({ t: z.literal("llm-cancel"), req: int }),
  // Audio (#16).
  z.object({
    t: z.literal("play"),
    req: int,
    model: z.string().max(200),
    file: z.string().max(4096).optional(),
    format: z.object({
      sampleRate: z.number(),
      channels: z.number(),
      format: z.enum(["u8", "s16", "s24", "s32", "f32", "f64"]),
    }).optional(),
    lipSync: z.enum(["auto", "binary", "off"]).optional(),
    phones: z.array(z.object({ phone: z.string().max(16), ms: z.number() })).max(20_000)
      .optional(),
    lookaheadMs: z.number().optional(),
    priority: z.number().finite().optional(),
    uninterruptible: z.boolean().optional(),
    turn: int.optional(),
  }),
  z.object({ t: z.literal("play-chunk"), req: int, data: z.string().max(48 * 1024) }),
  z.object({ t: z.literal("play-end"), req: int }),
  z.object({ t: z.literal("play-stop"), req: int }),
]);

// The schema and the bot side's plain types must describe the same messages.
type Parsed = z.infer<typeof botToHostSchema>;
const _sameShape: [Parsed] extends [BotToHost] ? ([BotToHost] extends [Parsed] ? true : false)
  : false = true;
void _sameShape;

/**
 * Parses one stdout line of a bot process: a message, or undefined when the line is the bot's own
 * output (or a forged, malformed message), which the caller logs instead.
 */
export function parseBotLine(line: string): BotToHost | undefined {
  if (!line.startsWith("{")) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  return fastPath(raw) ?? slowPath(raw);
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The two messages of every round trip (`ack`, `send`) checked by hand, to the same rules as their
 * schemas (unknown keys dropped as zod does): zod's generic walk cost more than the rest of the
 * host's work per message. Anything else, or anything that fails here, goes through zod.
 */
function fastPath(raw: unknown): BotToHost | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.t === "ack" && isInt(m.id)) return { t: "ack", id: m.id };
  if (
    m.t === "send" && isInt(m.req) && typeof m.line === "string" && m.line.length <= MAX_TEXT
  ) {
    if (m.turn !== undefined && !isInt(m.turn)) return undefined;
    const out: Extract<BotToHost, { t: "send" }> = { t: "send", req: m.req, line: m.line };
    if (m.turn !== undefined) out.turn = m.turn as number;
    if (m.want === true) out.want = true;
    else if (m.want !== undefined) return undefined;
    return out;
  }
  return undefined;
}

function slowPath(raw: unknown): BotToHost | undefined {
  const r = botToHostSchema.safeParse(raw);
  return r.success ? r.data as BotToHost : undefined;
}
