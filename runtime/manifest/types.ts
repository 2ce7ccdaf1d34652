/**
 * What the host needs to know about one bot, after `bots/bots.yaml` was parsed and validated.
 * Produced by `manifest/load.ts`; consumed by `host/` (supervision, dispatch, ACL) and `sandbox/`
 * (process flags and the OS layer).
 */

/** A Deno-style permission: not granted, granted for everything, or granted for a list of scopes. */
export type Grant = false | true | readonly string[];

/** OS permissions of a bot, none by default. Paths are absolute after loading. */
export interface BotPermissions {
  read: Grant;
  write: Grant;
  net: Grant;
  env: Grant;
  run: Grant;
  /** npm packages the host pre-fetches for this bot (the bot itself never downloads). */
  npm: readonly string[];
}

/** Hard budgets enforced by the host's watchdog (and the OS where it can). */
export interface BotBudgets {
  /** Longest time one handler may run before the bot process is killed. */
  handlerMs: number;
  /** V8 old-space cap for the bot process, in MiB. */
  heapMb: number;
  /** Sustained outbound messages per second (token bucket rate). */
  messagesPerSecond: number;
  /** Token bucket size: how many messages may go out in a burst. */
  burst: number;
  /** Most bytes (keys plus values) the bot's `ctx.store` may hold, in KiB (default 10240). */
  storeKb?: number;
  /**
   * Longest time the bot's module may take to load before it is reported and retried with
   * backoff (`start` defaults to 5000, see `START_LOAD_MS`; `check` and the test kit, which wait
   * for every bot anyway, to 30000): a slow bot never holds up the connection or the other bots.
   */
  loadMs?: number;
  /** Timers (`after`, `every`, `sleep`, `waitFor`) pending at once; default 1000. */
  timers?: number;
  /** Resident memory of the whole bot process, in MiB; default `heapMb` + 192. */
  rssMb?: number;
}

/** When and how a failed bot is restarted. */
export interface RestartPolicy {
  /** First backoff delay; doubles after each failure. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** The bot is disabled after this many failures within `windowMs`. */
  maxFailures: number;
  windowMs: number;
}

/** Which isolation level the bot requires. `os` refuses to start without the OS layer. */
export type IsolationRequirement = "os" | "any";

/** One validated manifest entry. */
export interface BotSpec {
  name: string;
  /** Absolute path of the bot's folder (`bots/<name>/`): the only folder it can see. */
  dir: string;
  /** Absolute path of the bot's module (default `<dir>/bot.ts`). */
  module: string;
  permissions: BotPermissions;
  /** Dangerous MMDAgent-EX commands this bot may send (see catalog/dangerous.ts); others are allowed. */
  allow: readonly string[];
  /** Message types the bot receives; `["*"]` for all. */
  receive: readonly string[];
  budgets: BotBudgets;
  restart: RestartPolicy;
  isolation: IsolationRequirement;
  /** Where the entry was defined, for messages (`bots/bots.yaml:12`). */
  origin: { file: string; line: number };
  /** Where its `receive:` list is, when it has one (warnings name the line to change). */
  receiveAt?: { file: string; line: number };
  /** The bot's place in the conversation (`speech:`); defaults from `conversation:`. */
  speech?: SpeechSettings;
}

/** What the user's speech does to a bot's speech (see runtime/conversation/types.ts). */
export type BargeIn = "stop" | "finish-sentence" | "ignore" | { afterMs: number };

/** A bot's `speech:` entry. */
export interface SpeechSettings {
  /** Higher wins the turn under `conversation.floor: priority` (default 0). */
  priority?: number;
  bargeIn?: BargeIn;
}

/** The manifest's `conversation:` block. */
export interface ConversationSettings {
  /** Who answers a turn when several bots speak: `first-claim` (default), `queue`, `priority`. */
  floor?: "first-claim" | "queue" | "priority";
  bargeIn?: BargeIn;
  /** An empty or echo-only result after a barge-in: say the cut sentence again (`resume`). */
  falseInterruption?: "resume" | "drop";
}

/** The whole manifest. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** Enabled bots, in file order: the ones that run. */
  bots: readonly BotSpec[];
  /** Bots with `enabled: false`, validated like the others and listed by `check`, never started. */
  disabled?: readonly BotSpec[];
  /** The conversation's policies (`conversation:`); defaults when absent. */
  conversation?: ConversationSettings;
}

/** The load timeout `start` gives a bot whose manifest entry sets no `budgets.load_ms`. */
export const START_LOAD_MS = 5000;

/** The manifest with `start`'s default load timeout filled in where an entry sets none. */
export function withStartLoadTimeout<M extends Manifest>(manifest: M): M {
  return {
    ...manifest,
    bots: manifest.bots.map((b) =>
      b.budgets.loadMs === undefined
        ? { ...b, budgets: { ...b.budgets, loadMs: START_LOAD_MS } }
        : b
    ),
  };
}
