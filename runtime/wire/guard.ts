/**
 * THE outbound guard: every text line toward MMDAgent-EX passes {@link guardLine}, which either
 * returns the one {@link WireUnit} to write (UTF-8 text plus a single LF, written in one write or
 * one frame) or a {@link Refusal} for whoever tried to send it. MMDAgent-EX's receiver is fragile
 * (reference Part 1, Part 5 items 1-6, answers.md §9): a stray CR/LF wedges it until restart, a
 * lone LF crashes it, byte 0x80 hangs its network thread, and some clean lines crash the binary.
 *
 * Byte rules, in order (each names its refusal `code`):
 * - `empty`: nothing to send (an empty write or lone LF crashes MMDAgent-EX).
 * - `invalid-utf8`: a JS string with a lone surrogate has no UTF-8 form.
 * - `control-char`: CR, LF and NUL wedge the receiver. Decision: every other C0 control except TAB
 *   is refused too: MMDAgent-EX would pass it through, but no command means it and it is almost
 *   always a bug (an escape sequence, a pasted form feed). TAB, DEL and C1 controls are allowed.
 * - `too-long`: more than `maxLineBytes` (default 1800, at most 2000) bytes of TYPE, `|` and ARGS.
 * - `no-avatar-controller` (stdio mode only): Plugin_AnyScript has no `__AV*` or `SND` handling.
 * - `unknown-avatar-command`: a line starting with `__AV` goes to the avatar controller, which
 *   silently drops names it does not know; only the catalog's `__AV*` commands pass.
 * - `snd-prefix`: a line starting with `SND` is read as an audio packet unless it is exactly
 *   `SNDSTRM`, `SNDFILE` or `SNDBRKS`.
 * - `short-s-line`: a unit starting with `S` is held back while fewer than 7 bytes are buffered, so
 *   a line starting with `S` whose bytes with the LF are fewer than 7 waits for the next write.
 * - `empty-type`: a line of only `|`s gives a message with no type.
 *
 * Then the command-level check (`catalog/validate.ts`, crash triggers and arguments the binary
 * rejects), on the line itself or on the payload of `__AV_MESSAGE,`.
 */
import { CATALOG } from "../catalog/messages.gen.ts";
import { type CommandContext, validateCommand } from "../catalog/validate.ts";
import { AV_MESSAGE_PREFIX, type Message, parseMessage } from "./parse.ts";
import { makeUnit, type Refusal, RefusedError, type WireUnit } from "./types.ts";

/** Default outbound limit (decisions.md): bytes of TYPE, `|` and ARGS, without the LF. */
export const DEFAULT_MAX_LINE_BYTES = 1800;

/** Highest outbound limit a configuration may set: 2048 or more overruns MMDAgent-EX's buffers. */
export const MAX_LINE_BYTES_CEILING = 2000;

/**
 * The `__AV*` commands MMDAgent-EX's avatar controller knows: the catalog's names starting with
 * `__AV` (messages.json). `__AV_MESSAGE` is handled apart: it needs its comma and carries a message.
 */
export const AVATAR_COMMANDS: readonly string[] = Object.keys(CATALOG).filter((n) =>
  n.startsWith("__AV")
);

/** The three 7-byte audio control headers that may be sent as a line. */
export const SND_HEADERS: readonly string[] = ["SNDSTRM", "SNDFILE", "SNDBRKS"];

/** How mmdbot reaches MMDAgent-EX: a Plugin_Remote socket, or Plugin_AnyScript's stdin/stdout. */
export type GuardMode = "socket" | "stdio";

/** What the guard needs to know about the connection and the content. */
export interface GuardContext {
  /** `socket` (default): Plugin_Remote rules. `stdio`: Plugin_AnyScript (no avatar controller). */
  mode?: GuardMode;
  /** Outbound limit in bytes without the LF; default 1800, at most 2000. */
  maxLineBytes?: number;
  /** What the command-level check needs (start-up FST, Plugin_Variables' list). */
  commands: CommandContext;
  /**
   * Operator override for the CLI's `--allow-dangerous`: skips the command-level check only. The
   * byte rules always apply. Never set for lines from bots.
   */
  allowDangerous?: boolean;
}

/** Outcome of {@link guardLine}. */
export type GuardResult = { ok: true; unit: WireUnit } | { ok: false; refusal: Refusal };

const encoder = new TextEncoder();

function hex(bytes: Uint8Array, from = 0): string {
  return Array.from(bytes.subarray(from, from + 32), (b) => b.toString(16).padStart(2, "0"))
    .join(" ");
}

/**
 * Checks a configured outbound limit and returns it; throws a `RangeError` a person can act on.
 *
 * @example
 * resolveMaxLineBytes(undefined); // 1800
 * resolveMaxLineBytes(2048); // throws: at most 2000
 */
export function resolveMaxLineBytes(value: number | undefined): number {
  const n = value ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LINE_BYTES_CEILING) {
    throw new RangeError(
      `outbound line limit must be an integer from 1 to ${MAX_LINE_BYTES_CEILING} bytes, got ` +
        `${value}: MMDAgent-EX overruns its 2048-byte buffers on longer lines (default ` +
        `${DEFAULT_MAX_LINE_BYTES})`,
    );
  }
  return n;
}

/** WTF-8 bytes of a lone surrogate: what a naive encoder would have put on the wire. */
function surrogateBytes(unit: number): Uint8Array {
  return Uint8Array.of(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
}

function findLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

// C0 controls except TAB (decision above).
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f]/;

function controlRefusal(text: string, bytes: Uint8Array): Refusal {
  const index = text.search(CONTROL);
  const c = text.charCodeAt(index);
  const at = encoder.encode(text.slice(0, index)).length;
  const name = c === 10 ? "LF" : c === 13 ? "CR" : c === 0 ? "NUL" : `control character`;
  const code = `0x${c.toString(16).padStart(2, "0")}`;
  const why = c === 10 || c === 13
    ? "MMDAgent-EX splits lines on CR and LF; a second terminator or one split off into the next " +
      "write wedges its receiver until it restarts"
    : c === 0
    ? "MMDAgent-EX reads a NUL as an unterminated line and its receiver wedges until it restarts"
    : "no MMDAgent-EX command takes control characters; this is almost certainly a bug";
  const fix = c === 10 || c === 13
    ? "send one message per line; for a line break inside TEXTAREA_SET or CAPTION_START text, " +
      "write the two characters \\n"
    : c === 0
    ? "remove the NUL byte"
    : "remove it (TAB and spaces are allowed)";
  return {
    code: "control-char",
    reason: `line contains ${name} (${code}) at byte ${at}: ${why}`,
    fix,
    bytes: hex(bytes, Math.max(0, at - 8)),
  };
}

function wrapFix(text: string): string {
  return `send it as \`${AV_MESSAGE_PREFIX}${text}\`: MMDAgent-EX strips that prefix and issues ` +
    "the rest as an ordinary message";
}

/**
 * The single integration point with the command-level check from `catalog/validate.ts`. Runs on
 * the message MMDAgent-EX will issue: the line itself, or the payload of `__AV_MESSAGE,`.
 */
function checkCommand(type: string, args: string, ctx: GuardContext): Refusal | undefined {
  if (ctx.allowDangerous) return undefined;
  return validateCommand(type, args, ctx.commands);
}

/**
 * Clears one text line for the wire, or says why not. `parsed`, when given, must be
 * `parseMessage(text)`: a caller that already parsed the line saves parsing it again.
 *
 * @example
 * const ctx = { commands: { hasStartupFst: false } };
 * guardLine("MESSAGE|こんにちは", ctx); // { ok: true, unit } with unit.bytes = UTF-8 + "\n"
 * guardLine("SE", ctx); // { ok: false, refusal: { code: "short-s-line", fix: "send it as `__AV_MESSAGE,SE`…" } }
 */
export function guardLine(text: string, ctx: GuardContext, parsed?: Message): GuardResult {
  const max = resolveMaxLineBytes(ctx.maxLineBytes);
  const stdio = ctx.mode === "stdio";
  const refuse = (refusal: Refusal): GuardResult => ({ ok: false, refusal });

  if (text === "") {
    return refuse({
      code: "empty",
      reason: "empty line: MMDAgent-EX crashes on a lone LF and wedges on a leading one",
      fix: "send a message with a type, e.g. NOOP",
    });
  }
  const lone = findLoneSurrogate(text);
  if (lone !== -1) {
    const u = text.charCodeAt(lone);
    const at = encoder.encode(text.slice(0, lone)).length;
    return refuse({
      code: "invalid-utf8",
      reason:
        `line contains a lone surrogate U+${
          u.toString(16).toUpperCase()
        } at byte ${at}, which has no valid UTF-8 form; MMDAgent-EX's tokenizer can hang on ` +
        "invalid UTF-8",
      fix: "build the text from whole characters (a string cut in the middle of a surrogate " +
        "pair, e.g. by slice(), causes this)",
      bytes: hex(surrogateBytes(u)),
    });
  }
  const bytes = encoder.encode(text + "\n");
  if (CONTROL.test(text)) return refuse(controlRefusal(text, bytes));
  const length = bytes.length - 1;
  if (length > max) {
    return refuse({
      code: "too-long",
      reason: `line is ${length} bytes; the limit is ${max} (MMDAgent-EX overruns its buffers ` +
        "at 2048 and truncates its echo)",
      fix:
        `shorten it or split it into several messages (limit configurable up to ${MAX_LINE_BYTES_CEILING})`,
      bytes: hex(bytes),
    });
  }

  const startsAv = text.startsWith("__AV");
  const startsSnd = text.startsWith("SND");
  if (stdio && (startsAv || startsSnd)) {
    const inner = text.startsWith(AV_MESSAGE_PREFIX) ? text.slice(AV_MESSAGE_PREFIX.length) : "";
    return refuse({
      code: "no-avatar-controller",
      reason: "Plugin_AnyScript (stdio) has no avatar controller: `__AV*` and `SND` lines mean " +
        "nothing there and would be issued as odd messages",
      fix: inner
        ? `send \`${inner}\` directly: AnyScript applies no prefix rules`
        : "use a Plugin_Remote connection (TCP or WebSocket) for avatar control and audio",
      bytes: hex(bytes),
    });
  }

  if (startsAv) {
    if (text.startsWith(AV_MESSAGE_PREFIX)) {
      const inner = parsed ?? parseMessage(text);
      if (inner.type === "") {
        return refuse({
          code: "empty-type",
          reason: `\`${AV_MESSAGE_PREFIX}\` carries no message type`,
          fix: `put a message after the comma: ${AV_MESSAGE_PREFIX}TYPE|args`,
          bytes: hex(bytes),
        });
      }
      return finish(checkCommand(inner.type, inner.args, ctx));
    }
    const name = (parsed ?? parseMessage(text)).type;
    if (name === "__AV_MESSAGE") {
      return refuse({
        code: "unknown-avatar-command",
        reason: "`__AV_MESSAGE` without its comma goes to the avatar controller and is dropped",
        fix: `write the comma: ${AV_MESSAGE_PREFIX}TYPE|args`,
        bytes: hex(bytes),
      });
    }
    if (!AVATAR_COMMANDS.includes(name)) {
      return refuse({
        code: "unknown-avatar-command",
        reason: `\`${name}\` is not an avatar command; MMDAgent-EX hands every line starting ` +
          `with __AV to its avatar controller, which drops unknown ones (known: ${
            AVATAR_COMMANDS.filter((n) => n !== "__AV_MESSAGE").join(", ")
          })`,
        fix: wrapFix(text),
        bytes: hex(bytes),
      });
    }
    return finish(undefined);
  }

  if (startsSnd) {
    if (SND_HEADERS.includes(text)) return finish(undefined);
    return refuse({
      code: "snd-prefix",
      reason: "MMDAgent-EX reads a line starting with SND as an audio packet (SND + 4-digit " +
        "length + PCM), e.g. `SNDX_FOO|1` becomes an empty packet and the text `O|1`; only " +
        `${SND_HEADERS.join(", ")} may be sent as lines`,
      fix: `${wrapFix(text)}; for audio use the SND encoder (wire/snd.ts)`,
      bytes: hex(bytes),
    });
  }

  if (!stdio && text.charCodeAt(0) === 0x53 /* S */ && bytes.length < 7) {
    return refuse({
      code: "short-s-line",
      reason: `MMDAgent-EX holds back a unit starting with S until 7 bytes are buffered; this ` +
        `line is ${bytes.length} bytes with its LF, so it would wait for the next write`,
      fix: wrapFix(text),
      bytes: hex(bytes),
    });
  }

  const msg = parsed ?? parseMessage(text);
  if (msg.type === "") {
    return refuse({
      code: "empty-type",
      reason: "line has no message type (only `|` characters)",
      fix: "start the line with a type, e.g. MESSAGE|…",
      bytes: hex(bytes),
    });
  }
  return finish(checkCommand(msg.type, msg.args, ctx));

  function finish(refusal: Refusal | undefined): GuardResult {
    if (refusal) return refuse(refusal);
    return { ok: true, unit: makeUnit("line", bytes, text) };
  }
}

/**
 * {@link guardLine} for send paths that report refusals by throwing.
 *
 * @example
 * link.send(guardOrThrow("MOTION_ADD|mei|wave|wave.vmd", ctx)); // throws RefusedError if refused
 */
export function guardOrThrow(text: string, ctx: GuardContext): WireUnit {
  const r = guardLine(text, ctx);
  if (!r.ok) throw new RefusedError(r.refusal);
  return r.unit;
}
