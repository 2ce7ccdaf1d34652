/**
 * Message syntax, exactly as MMDAgent-EX's Plugin_Remote and core read a line (reference 1.2 rule
 * 2.3 and 1.6): `__AV_MESSAGE,` payloads are unwrapped, other `__AV…` lines go to the avatar
 * controller with comma fields, everything else is `TYPE|ARGS` split at the first `|` after
 * skipping leading `|`s, and ARGS splits on `|` with empty fields vanishing, at most 10 used.
 *
 * Also the echo rule (answers.md §1), so the host can recognise its own lines coming back.
 */

/** The 13-byte prefix whose payload Plugin_Remote injects as an ordinary message. */
export const AV_MESSAGE_PREFIX = "__AV_MESSAGE,";

/** How many ARGS fields MMDAgent-EX's core hands to a handler; the rest are ignored. */
export const MAX_FIELDS = 10;

/** One message as MMDAgent-EX sees it. */
export interface Message {
  /**
   * TYPE (text before the first `|`, leading `|`s skipped). For avatar lines, the `__AV…` name
   * before the first `,`. Empty only for a line made of `|`s.
   */
  type: string;
  /** ARGS: everything after the `|` that ends TYPE (after the first `,` for avatar lines). */
  args: string;
  /** ARGS split as the handlers see it: empty fields dropped, at most {@link MAX_FIELDS}. */
  fields: string[];
  /** Non-empty fields past the tenth, which MMDAgent-EX ignores (with an error in its log). */
  extraFields: number;
  /** True for `__AV…` lines handled by the avatar controller (comma fields, never a message). */
  avatar?: boolean;
  /** True when the message came out of an `__AV_MESSAGE,` wrapper. */
  wrapped?: boolean;
  /** The line as given. */
  raw: string;
}

function splitFields(args: string, sep: string): { fields: string[]; extra: number } {
  if (args === "") return { fields: [], extra: 0 };
  const all = args.split(sep).filter((f) => f !== "");
  if (all.length <= MAX_FIELDS) return { fields: all, extra: 0 };
  return { fields: all.slice(0, MAX_FIELDS), extra: all.length - MAX_FIELDS };
}

/** `strtok(buf, "|")` then `strtok(NULL, "\r\n")`, as Plugin_Remote splits a text line. */
function splitTypeArgs(line: string): { type: string; args: string } {
  let start = 0;
  while (start < line.length && line.charCodeAt(start) === 0x7c) start++;
  const bar = line.indexOf("|", start);
  if (bar === -1) return { type: line.slice(start), args: "" };
  let args = line.slice(bar + 1);
  // The second strtok takes ARGS up to the first CR or LF (skipping leading ones).
  args = args.replace(/^[\r\n]+/, "");
  const stop = args.search(/[\r\n]/);
  if (stop !== -1) args = args.slice(0, stop);
  return { type: line.slice(start, bar), args };
}

/**
 * Parses one line the way MMDAgent-EX does when it receives it from a peer.
 *
 * @example
 * parseMessage("MOTION_ADD|mei|greet|wave.vmd").fields; // ["mei", "greet", "wave.vmd"]
 * parseMessage("|X|y"); // { type: "X", args: "y", ... }
 * parseMessage("__AV_MESSAGE,SE|1"); // { type: "SE", args: "1", wrapped: true, ... }
 * parseMessage("__AV_SETMODEL,mei"); // { type: "__AV_SETMODEL", fields: ["mei"], avatar: true, ... }
 */
export function parseMessage(line: string): Message {
  if (line.startsWith(AV_MESSAGE_PREFIX)) {
    const inner = splitTypeArgs(line.slice(AV_MESSAGE_PREFIX.length));
    const { fields, extra } = splitFields(inner.args, "|");
    return { ...inner, fields, extraFields: extra, wrapped: true, raw: line };
  }
  if (line.startsWith("__AV")) {
    // Avatar.cpp splits on `,` (and CR/LF); the first field names the command.
    const comma = line.indexOf(",");
    const type = comma === -1 ? line : line.slice(0, comma);
    const args = comma === -1 ? "" : line.slice(comma + 1);
    // Not capped: the avatar handlers count their own comma fields.
    const fields = args.split(/[,\r\n]/).filter((f) => f !== "");
    return {
      type,
      args,
      fields,
      extraFields: 0,
      avatar: true,
      raw: line,
    };
  }
  const { type, args } = splitTypeArgs(line);
  const { fields, extra } = splitFields(args, "|");
  return { type, args, fields, extraFields: extra, raw: line };
}

/**
 * Parses a line MMDAgent-EX sent (its forwarded messages are `TYPE|ARGS` or `TYPE`). Unlike
 * {@link parseMessage}, nothing is unwrapped and every field is kept as the wire carries it,
 * empty ones and those past the tenth included, so events such as `VALUE_EVENT_GET|x|(null)` or
 * ones with extra `|` fields reach a bot unchanged.
 *
 * @example
 * parseInbound("VALUE_EVENT_EVAL|x|EQ|(null)|FALSE").fields; // ["x", "EQ", "(null)", "FALSE"]
 * parseInbound("AVATAR|START").type; // "AVATAR"
 */
export function parseInbound(line: string): Message {
  const bar = line.indexOf("|");
  if (bar === -1) return { type: line, args: "", fields: [], extraFields: 0, raw: line };
  const args = line.slice(bar + 1);
  return { type: line.slice(0, bar), args, fields: args.split("|"), extraFields: 0, raw: line };
}

/**
 * Builds `TYPE|f1|f2…` (or `TYPE` with no fields). Throws a `RangeError` for what the receiver
 * would silently reshape: an empty type, a `|` inside the type or a field (it would split), an
 * empty field (it would vanish and shift the ones after it), or CR/LF anywhere.
 *
 * @example
 * formatMessage("TEXTAREA_SET", ["ta1", "hello_world"]); // "TEXTAREA_SET|ta1|hello_world"
 */
export function formatMessage(type: string, fields: readonly string[] = []): string {
  if (type === "") throw new RangeError("message type is empty");
  if (/[|\r\n]/.test(type)) {
    throw new RangeError(`message type ${JSON.stringify(type)} contains "|", CR or LF`);
  }
  fields.forEach((f, i) => {
    if (f === "") {
      throw new RangeError(
        `field ${i + 1} of ${type} is empty: MMDAgent-EX drops empty fields, so the ones after ` +
          `it would shift; give it a value (e.g. a single space for an empty text)`,
      );
    }
    if (/[|\r\n]/.test(f)) {
      throw new RangeError(
        `field ${i + 1} of ${type} contains "|", CR or LF; MMDAgent-EX has no escaping, so it ` +
          `would split the field`,
      );
    }
  });
  return fields.length === 0 ? type : `${type}|${fields.join("|")}`;
}

/**
 * What MMDAgent-EX echoes back for a line a peer sent (answers.md §1), or `undefined` when it
 * echoes nothing: `__AV…` and `SND…` lines are not messages, and a line with no type is not echoed
 * in a form worth matching. The echo is `TYPE|ARGS`, or `TYPE` when ARGS is empty.
 *
 * @example
 * echoForm("MESSAGE|"); // "MESSAGE"
 * echoForm("|leadingpipe"); // "leadingpipe"
 * echoForm("MESSAGE|a||b"); // "MESSAGE|a||b"
 * echoForm("__AV_MESSAGE,TIMER_START|t|1"); // "TIMER_START|t|1"
 * echoForm("__AV_START"); // undefined
 */
export function echoForm(line: string): string | undefined {
  let inner = line;
  if (line.startsWith(AV_MESSAGE_PREFIX)) {
    inner = line.slice(AV_MESSAGE_PREFIX.length);
  } else if (line.startsWith("__AV") || line.startsWith("SND")) {
    return undefined;
  }
  const { type, args } = splitTypeArgs(inner);
  if (type === "") return undefined;
  return args === "" ? type : `${type}|${args}`;
}

/**
 * {@link echoForm} of a line already parsed with {@link parseMessage} (the same answer, without
 * splitting the line again): the outbound path parses each line once and derives the rest.
 *
 * @example
 * echoFormOf(parseMessage("__AV_MESSAGE,TIMER_START|t|1")); // "TIMER_START|t|1"
 */
export function echoFormOf(msg: Message): string | undefined {
  if (msg.avatar || (!msg.wrapped && msg.raw.startsWith("SND")) || msg.type === "") {
    return undefined;
  }
  return msg.args === "" ? msg.type : `${msg.type}|${msg.args}`;
}
