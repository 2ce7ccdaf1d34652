/**
 * The zod schema of `bots/bots.yaml`, as written by a person (snake_case keys, relative paths, most
 * fields optional). `load.ts` turns a parsed document into {@link Manifest} entries with defaults
 * applied and paths resolved; this module only says what a valid file looks like.
 *
 * @module
 */
import { z } from "zod";

/** Bot names: lower-case letters, digits, `_` and `-`, starting with a letter or digit. */
export const BOT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Outgoing command names in `allow:` look like catalog commands (`EXECUTE`, `__AV_START`). */
export const COMMAND_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An npm package a bot may import, with its version: `yaml@2.9.1`, `npm:@scope/pkg@^1.2` (a range
 * resolves once, when the host prepares the bot's package cache).
 */
export const NPM_PACKAGE =
  /^(npm:)?(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*@[^\s@\/][^\s]*$/;

/** Defaults applied to a bot entry that leaves a field out. */
export const DEFAULTS = {
  module: "bot.ts",
  enabled: true,
  receive: ["*"] as readonly string[],
  budgets: {
    handler_ms: 2000,
    heap_mb: 64,
    messages_per_second: 20,
    burst: 40,
    store_kb: 10240,
    timers: 1000,
  },
  restart: {
    initial_backoff_ms: 500,
    max_backoff_ms: 30000,
    max_failures: 5,
    window_ms: 60000,
  },
  isolation: "any" as "os" | "any",
} as const;

const grantError =
  "expected true, false or a list (e.g. [data/] for paths, [api.example.com:443] for net)";

/** `true`, `false` or a list of scopes, as Deno's `--allow-*` flags take them. */
export const grantSchema = z.union([
  z.boolean(),
  z.array(z.string().min(1, { error: "an empty string is not a scope" })),
], { error: grantError });

const positiveInt = (what: string) =>
  z.number({ error: `expected a number (${what})` }).int({ error: `expected a whole number` })
    .positive({ error: "expected a number greater than 0" });

/** `permissions:` of one bot. Everything is denied unless named here. */
export const permissionsSchema = z.strictObject({
  read: grantSchema.optional(),
  write: grantSchema.optional(),
  net: grantSchema.optional(),
  env: grantSchema.optional(),
  run: grantSchema.optional(),
  npm: z.array(
    z.string().regex(NPM_PACKAGE, { error: "not a package with a version (e.g. yaml@2.9.1)" }),
  ).optional(),
});

/** `budgets:` of one bot. */
export const budgetsSchema = z.strictObject({
  handler_ms: positiveInt("milliseconds").optional(),
  heap_mb: positiveInt("MiB").min(16, { error: "heap_mb below 16 cannot start Deno" }).optional(),
  messages_per_second: positiveInt("messages per second").optional(),
  burst: positiveInt("messages").optional(),
  store_kb: positiveInt("KiB").optional(),
  load_ms: positiveInt("milliseconds").optional(),
  /** Timers pending at once (`after`, `every`, `sleep`, `waitFor` hold one each). */
  timers: positiveInt("timers").optional(),
  /** Resident memory of the whole bot process (heap, buffers, code); default heap_mb + 192. */
  rss_mb: positiveInt("MiB").min(64, { error: "rss_mb below 64 cannot start Deno" }).optional(),
});

/** `restart:` of one bot. */
export const restartSchema = z.strictObject({
  initial_backoff_ms: positiveInt("milliseconds").optional(),
  max_backoff_ms: positiveInt("milliseconds").optional(),
  max_failures: positiveInt("failures").optional(),
  window_ms: positiveInt("milliseconds").optional(),
});

/** What the user's speech does to a bot's speech (runtime/conversation/types.ts). */
export const bargeInSchema = z.union([
  z.enum(["stop", "finish-sentence", "ignore"]),
  z.strictObject({ after_ms: positiveInt("milliseconds of user speech") }),
], { error: "expected stop, finish-sentence, ignore or { after_ms: 500 }" });

/** `speech:` of one bot: its place in the conversation. */
export const speechSchema = z.strictObject({
  priority: z.number({ error: "expected a number" }).int({ error: "expected a whole number" })
    .optional(),
  barge_in: bargeInSchema.optional(),
});

/** The top-level `conversation:` block. */
export const conversationSchema = z.strictObject({
  floor: z.enum(["first-claim", "queue", "priority"], {
    error: "expected first-claim, queue or priority",
  }).optional(),
  barge_in: bargeInSchema.optional(),
  false_interruption: z.enum(["resume", "drop"], { error: "expected resume or drop" }).optional(),
});

/** One entry under `bots:`. */
export const botEntrySchema = z.strictObject({
  module: z.string().min(1).optional(),
  dir: z.string().min(1).optional(),
  enabled: z.boolean().optional(),
  permissions: permissionsSchema.optional(),
  allow: z.array(
    z.string().regex(COMMAND_NAME, { error: "not a command name (e.g. EXECUTE, KEY_POST)" }),
  ).optional(),
  receive: z.array(z.string().min(1)).optional(),
  budgets: budgetsSchema.optional(),
  restart: restartSchema.optional(),
  isolation: z.enum(["os", "any"], { error: "expected os or any" }).optional(),
  speech: speechSchema.optional(),
});

/** The whole file. A bot entry may be empty (`greeter:` alone means "all defaults"). */
export const manifestSchema = z.strictObject({
  bots: z.record(z.string(), botEntrySchema.nullable()),
  conversation: conversationSchema.optional(),
});

/** A bot entry as written in the file. */
export type BotEntry = z.infer<typeof botEntrySchema>;
/** The file as written. */
export type ManifestFile = z.infer<typeof manifestSchema>;

/** Keys allowed at each level, for did-you-mean suggestions on unknown keys. */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  root: Object.keys(manifestSchema.shape),
  bot: Object.keys(botEntrySchema.shape),
  permissions: Object.keys(permissionsSchema.shape),
  budgets: Object.keys(budgetsSchema.shape),
  restart: Object.keys(restartSchema.shape),
  speech: Object.keys(speechSchema.shape),
  conversation: Object.keys(conversationSchema.shape),
};
