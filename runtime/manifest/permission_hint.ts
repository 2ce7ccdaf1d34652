/**
 * A Deno permission error inside a bot, told as the manifest change that fixes it. Deno's own
 * advice ("run again with the --allow-net flag") is wrong for a bot: its flags come from its entry
 * in `bots/bots.yaml`, under `permissions:`.
 *
 * @module
 */

const DENO_ADVICE = /,? run again with the --allow-[a-z-]+ flag/;
const REQUIRES = /Requires (read|write|net|env|run|ffi|sys|import) access(?: to "?([^",]*)"?)?/;

/**
 * The `permissions:` entry a permission error asks for, or undefined when `message` is not one.
 *
 * @example
 * ```ts
 * import { permissionFix } from "./permission_hint.ts";
 * permissionFix('Requires net access to "api.example.com:443", run again with the --allow-net flag');
 * // 'grant it in bots/bots.yaml under this bot\'s permissions: net: ["api.example.com:443"]'
 * ```
 */
export function permissionFix(message: string, manifest = "bots/bots.yaml"): string | undefined {
  const m = REQUIRES.exec(message.slice(0, 4096));
  if (!m) return undefined;
  const [, kind, target] = m;
  if (kind === "ffi" || kind === "sys" || kind === "import") {
    return `bots cannot be granted ${kind} access; do this in the host, or without ${kind}`;
  }
  const value = target && target !== "" ? `["${target}"]` : "true";
  return `grant it in ${manifest} under this bot's permissions: ${kind}: ${value}`;
}

/**
 * `text` with Deno's "run again with the --allow-… flag" replaced by the manifest fix (unchanged
 * when it is no permission error).
 */
export function withPermissionFix(text: string, manifest?: string): string {
  const fix = permissionFix(text, manifest);
  if (!fix) return text;
  return DENO_ADVICE.test(text)
    ? text.replace(DENO_ADVICE, ` (fix: ${fix})`)
    : `${text} (fix: ${fix})`;
}
