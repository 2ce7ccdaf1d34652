/**
 * Every `.mdf` key MMDAgent-EX reads that matters to mmdbot (reference 2.7 and 7.8), with how its
 * value is parsed. Lint uses the table for typo suggestions and boolean traps.
 */

/** How MMDAgent-EX parses a key's value. */
export type KeyParse =
  | "on-unless-false"
  | "true-yes"
  | "port"
  | "int"
  | "text"
  | "never-read";

/** One known key. */
export interface KnownKey {
  key: string;
  parse: KeyParse;
  /** The default MMDAgent-EX uses when the key is absent, as text (`undefined`: none). */
  default?: string;
  /** One line on what it does. */
  meaning: string;
}

/** The `Plugin_Remote_*` keys of reference 2.7, in the order of that table. */
export const REMOTE_KEYS: readonly KnownKey[] = [
  {
    key: "Plugin_Remote_EnableServer",
    parse: "on-unless-false",
    default: "false",
    meaning: "TCP server mode",
  },
  {
    key: "Plugin_Remote_ServerMode",
    parse: "on-unless-false",
    default: "false",
    meaning: "old name of EnableServer",
  },
  {
    key: "Plugin_Remote_EnableClient",
    parse: "on-unless-false",
    default: "false",
    meaning: "TCP client mode",
  },
  {
    key: "Plugin_Remote_ClientMode",
    parse: "on-unless-false",
    default: "false",
    meaning: "old name of EnableClient",
  },
  {
    key: "Plugin_Remote_ListenPort",
    parse: "port",
    default: "60001",
    meaning: "TCP server listen port",
  },
  {
    key: "Plugin_Remote_Hostname",
    parse: "text",
    default: "localhost",
    meaning: "TCP client target host (IPv4)",
  },
  { key: "Plugin_Remote_Port", parse: "port", default: "60001", meaning: "TCP client target port" },
  {
    key: "Plugin_Remote_RetryCount",
    parse: "int",
    default: "0",
    meaning: "extra connection attempts, 0.5 s apart",
  },
  {
    key: "Plugin_Remote_Websocket_Host",
    parse: "text",
    meaning: "WebSocket server host; non-empty turns WebSocket mode on",
  },
  {
    key: "Plugin_Remote_Websocket_Port",
    parse: "port",
    default: "80",
    meaning: "WebSocket port; 443 means wss",
  },
  {
    key: "Plugin_Remote_Websocket_Directory",
    parse: "text",
    default: "/",
    meaning: "WebSocket request path",
  },
  {
    key: "Plugin_Remote_AllLog",
    parse: "on-unless-false",
    default: "false",
    meaning: "forward log lines instead of messages",
  },
  {
    key: "Plugin_Remote_EnableLocalLipsync",
    parse: "true-yes",
    default: "false",
    meaning: "lip-sync from the local microphone",
  },
  {
    key: "Plugin_Remote_EnableLocalPassthrough",
    parse: "true-yes",
    default: "false",
    meaning: "also play the microphone audio",
  },
  {
    key: "Plugin_Remote_Speak_16k",
    parse: "on-unless-false",
    default: "false",
    meaning: "SPEAK_START plays 16 kHz audio itself",
  },
  {
    key: "Plugin_Remote_Record_Wave_Dir",
    parse: "text",
    meaning: "folder for recorded lip-sync segments",
  },
  {
    key: "Plugin_Remote_Record_Wave_Limit",
    parse: "int",
    default: "120",
    meaning: "recording limit in minutes",
  },
  { key: "Plugin_Remote_RotationRateBody", parse: "never-read", meaning: "removed head tracking" },
  { key: "Plugin_Remote_RotationRateNeck", parse: "never-read", meaning: "removed head tracking" },
  { key: "Plugin_Remote_RotationRateHead", parse: "never-read", meaning: "removed head tracking" },
  { key: "Plugin_Remote_MoveRateUpDown", parse: "never-read", meaning: "removed head tracking" },
  { key: "Plugin_Remote_MoveRateSlide", parse: "never-read", meaning: "removed head tracking" },
];

/** `Plugin_AnyScript_Command` and `…Command1` to `…Command9` (reference 7.8). */
export const ANYSCRIPT_COMMAND_KEYS: readonly string[] = [
  "Plugin_AnyScript_Command",
  ...Array.from({ length: 9 }, (_, i) => `Plugin_AnyScript_Command${i + 1}`),
];

/** The other Plugin_AnyScript and plugin-loading keys, known so they are not called typos. */
export const OTHER_KEYS: readonly KnownKey[] = [
  ...ANYSCRIPT_COMMAND_KEYS.map((key): KnownKey => ({
    key,
    parse: "text",
    meaning: "child process started by Plugin_AnyScript",
  })),
  {
    key: "Plugin_AnyScript_AllLog",
    parse: "on-unless-false",
    default: "false",
    meaning: "AnyScript sends log lines",
  },
  { key: "enablePlugin", parse: "text", meaning: "plugins to load (comma list, or ALL/NONE)" },
  { key: "disablePlugin", parse: "text", meaning: "plugins not to load (comma list, or ALL/NONE)" },
  {
    key: "exclude_Plugin_Remote",
    parse: "text",
    meaning: "old switch: yes/true keeps Plugin_Remote from loading",
  },
  {
    key: "exclude_Plugin_AnyScript",
    parse: "text",
    meaning: "old switch: yes/true keeps Plugin_AnyScript from loading",
  },
];

/** Every key in {@link REMOTE_KEYS} and {@link OTHER_KEYS}, by name. */
export const KNOWN_KEYS: ReadonlyMap<string, KnownKey> = new Map(
  [...REMOTE_KEYS, ...OTHER_KEYS].map((k) => [k.key, k]),
);
