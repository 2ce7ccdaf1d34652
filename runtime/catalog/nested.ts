/**
 * Messages that MMDAgent-EX issues later, on the sender's behalf, from inside a command line: a
 * menu item's message (issued when the user picks the item) and a button's action (issued when the
 * user clicks). The guard and the ACL must look inside them, because the peer never sends them as
 * lines of their own.
 *
 * `__AV_MESSAGE,TYPE|args` is not handled here: the wire parser (`wire/parse.ts`) unwraps it before
 * validation, so the inner message reaches `validateCommand` as an ordinary one.
 *
 * @module
 */
import { splitArgs } from "./syntax.ts";

/** One message nested in a command. */
export interface NestedMessage {
  /** The message type MMDAgent-EX will issue. */
  type: string;
  /** Its ARGS text. */
  args: string;
  /** Where it comes from, for error messages (`menu "m" item 0`). */
  via: string;
  /**
   * False when the nested message is a stand-in for an effect that is not a message line
   * (a button's `setkeyvalue,` or `play,` action): checked by the ACL, not by argument validation.
   */
  validate?: boolean;
}

/** The prefixes MMDAgent-EX's Button accepts for its action (lower case, comma included). */
export const BUTTON_ACTION_PREFIXES = ["open,", "play,", "message,", "setkeyvalue,"] as const;

/**
 * Splits `TYPE|args` the way Button::Set::execute does: the type is the first token up to `|`, CR or
 * LF (empty tokens skipped), the args are the rest of the line.
 */
function splitButtonMessage(payload: string): { type: string; args: string } | undefined {
  const m = /^[|\r\n]*([^|\r\n]+)(?:[|\r\n]+([^\r\n]*))?/.exec(payload);
  return m ? { type: m[1], args: m[2] ?? "" } : undefined;
}

/**
 * The messages nested in one command line, in the order MMDAgent-EX would issue them.
 *
 * @example
 * nestedMessages("MENU", "SETITEM|m|0|label|TIMER_START|t|1");
 * // [{ type: "TIMER_START", args: "t|1", via: 'menu "m" item 0' }]
 * nestedMessages("BUTTON_ADD", "b|1|0.5,0.5|a.png|message,FST_LOAD|ON");
 * // [{ type: "FST_LOAD", args: "", via: 'button "b" message action' }]
 */
export function nestedMessages(type: string, args: string): NestedMessage[] {
  // Only menus and buttons carry messages: every other line (nearly all) is not split at all.
  if (type !== "MENU" && type !== "BUTTON_ADD") return [];
  const f = splitArgs(args);
  if (type === "MENU" && f[0] === "SETITEM" && f.length >= 5) {
    return [{ type: f[4], args: f.slice(5).join("|"), via: `menu "${f[1]}" item ${f[2]}` }];
  }
  if (type === "BUTTON_ADD" && f.length >= 5) {
    const action = f[4];
    const who = `button "${f[0]}"`;
    if (action.startsWith("message,")) {
      const inner = splitButtonMessage(action.slice("message,".length));
      return inner ? [{ ...inner, via: `${who} message action` }] : [];
    }
    if (action.startsWith("setkeyvalue,")) {
      // KeyValue::loadBuf reads `key=value` lines.
      return action.slice("setkeyvalue,".length).split(/[\r\n]+/).filter((l) => l.includes("="))
        .map((l) => {
          const eq = l.indexOf("=");
          return {
            type: "KEYVALUE_SET",
            args: `${l.slice(0, eq).trim()}|${l.slice(eq + 1).trim()}`,
            via: `${who} setkeyvalue action`,
            validate: false,
          };
        });
    }
    if (action.startsWith("play,")) {
      // `play,` makes MMDAgent-EX switch to other content, exactly like OPEN_CONTENT.
      return [{
        type: "OPEN_CONTENT",
        args: action.slice("play,".length),
        via: `${who} play action`,
        validate: false,
      }];
    }
  }
  return [];
}
