/**
 * The dangerous set (decisions.md, "Bots and safety"): commands MMDAgent-EX carries out for whoever
 * sends them, with effects outside the avatar (programs, keystrokes, downloads, other content, logs,
 * plugins, the next connection). A bot may send them only when its manifest names the command under
 * `allow:`; every other command and every custom message is allowed.
 *
 * @module
 */
import type { Refusal } from "../errors/refusal.ts";
import { nestedMessages } from "./nested.ts";
import { splitArgs } from "./syntax.ts";

/** Dangerous command types, each with what MMDAgent-EX would do on the sender's behalf. */
export const DANGEROUS_REASONS: Readonly<Record<string, string>> = {
  EXECUTE: "MMDAgent-EX starts the named program or opens the file with its default application",
  KEY_POST: "MMDAgent-EX posts keystrokes to another application's window",
  NETWORK_GET: "MMDAgent-EX downloads a URL and writes it to a file on disk",
  OPEN_CONTENT: "MMDAgent-EX closes the current content and opens other content (file or URL)",
  PLUGIN_DISABLE:
    "MMDAgent-EX disables a plugin for everyone (Remote closes every connection, Variables stops timers)",
  FST_LOAD:
    "MMDAgent-EX replaces the dialogue FST for everyone (and crashes if none was loaded at start-up)",
  SUBFST_START: "MMDAgent-EX loads and runs an FST file alongside the main dialogue",
  SUBFST_START_IF: "MMDAgent-EX loads and runs an FST file alongside the main dialogue",
  HOME_SET: "MMDAgent-EX changes the persistent home content setting",
  HOME_CLEAR: "MMDAgent-EX clears the persistent home content setting",
  LOG_START: "MMDAgent-EX starts writing log files to disk",
  LOG_FINISH: "MMDAgent-EX finishes and writes a log file to disk",
  LOG_UPLOAD: "MMDAgent-EX uploads its log files to the content's upload URL",
  AVATAR_LOGSAVE_START: "MMDAgent-EX records every received line with timestamps into a file",
  MOTIONCAPTURE_START: "MMDAgent-EX records the model's motion into a VMD file on disk",
  REMOTEKEY_CHAR:
    "MMDAgent-EX feeds a key to its key handler, whose hotkeys quit, go full screen or open dialogs",
  REMOTEKEY_DOWN:
    "MMDAgent-EX feeds a key to its key handler, whose hotkeys quit, go full screen or open dialogs",
  REMOTEKEY_UP:
    "MMDAgent-EX feeds a key to its key handler, whose hotkeys quit, go full screen or open dialogs",
  RECOG_RECORD_START: "MMDAgent-EX records microphone audio into files in a directory",
  VALUE_UNSET:
    "MMDAgent-EX unlinks a variable; unsetting one in the middle of the list hangs it at the next lookup",
};

/** The dangerous command types (KEYVALUE_SET and BUTTON_ADD are dangerous only in some forms). */
export const DANGEROUS_COMMANDS: ReadonlySet<string> = new Set(Object.keys(DANGEROUS_REASONS));

/**
 * Every command type whose line the ACL may refuse: the dangerous set, those dangerous only in some
 * forms, and those that carry a nested message (see {@link checkAcl}). A line of any other type
 * (its type spelt plainly, not wrapped in `__AV_MESSAGE,`) is never `acl-denied`.
 */
export const ACL_CHECKED_TYPES: ReadonlySet<string> = new Set([
  ...DANGEROUS_COMMANDS,
  "KEYVALUE_SET",
  "BUTTON_ADD",
  "MENU",
]);

/**
 * Why this one line is dangerous (not counting nested messages), or `undefined` when it is not.
 *
 * @example
 * dangerReason("KEYVALUE_SET", "Plugin_Remote_Hostname|evil.example"); // "MMDAgent-EX stores …"
 * dangerReason("KEYVALUE_SET", "my_key|1"); // undefined
 */
export function dangerReason(type: string, args: string): string | undefined {
  if (Object.hasOwn(DANGEROUS_REASONS, type)) return DANGEROUS_REASONS[type];
  // Only two types are dangerous in some forms: every other line is not split at all.
  if (type !== "KEYVALUE_SET" && type !== "BUTTON_ADD") return undefined;
  const f = splitArgs(args);
  if (type === "KEYVALUE_SET" && /^plugin_/i.test(f[0] ?? "")) {
    return `MMDAgent-EX stores plugin setting ${f[0]}, which can redirect its next connection ` +
      "or change how a plugin behaves";
  }
  if (type === "BUTTON_ADD" && (f[4] ?? "").startsWith("open,")) {
    return "MMDAgent-EX opens the button's URL in the user's browser when the button is clicked";
  }
  return undefined;
}

/**
 * Refuses a dangerous line, or a line carrying a dangerous nested message (menu item, button
 * action), unless `granted` (the bot's manifest `allow:` list) names the command type.
 *
 * @example
 * checkAcl("EXECUTE", "calc.exe", new Set())?.code; // "acl-denied"
 * checkAcl("EXECUTE", "calc.exe", new Set(["EXECUTE"])); // undefined
 */
export function checkAcl(
  type: string,
  args: string,
  granted: ReadonlySet<string>,
): Refusal | undefined {
  const reason = dangerReason(type, args);
  if (reason !== undefined && !granted.has(type)) {
    return {
      code: "acl-denied",
      reason: `${type} is a dangerous command and this bot is not allowed to send it: ${reason}`,
      fix: `if the bot really needs it, add ${type} to its allow: list in the manifest ` +
        `(allow: [${type}])`,
    };
  }
  for (const n of nestedMessages(type, args)) {
    const inner = checkAcl(n.type, n.args, granted);
    if (inner) return { ...inner, reason: `${n.via} would issue ${n.type}: ${inner.reason}` };
  }
  return undefined;
}
