/**
 * The check every operator line passes (the CLI's `send`, directly or through a running runtime's
 * control channel): the outbound guard, then the operator ACL. The ACL refuses the dangerous set
 * (`catalog/dangerous.ts`, decisions.md "Bots and safety") unless the operator said
 * `--allow-dangerous`, which exists only for the CLI and also lifts the guard's command-level check
 * (the byte rules always apply). The session's `ControlTarget.send` should use this too, so both
 * paths refuse the same lines with the same words.
 */
import { checkAcl } from "../catalog/dangerous.ts";
import { type GuardContext, guardLine, type GuardResult } from "../wire/guard.ts";
import { parseMessage } from "../wire/parse.ts";

const NO_GRANTS: ReadonlySet<string> = new Set();

/**
 * Clears one operator line for the wire, or says why not (with the `--allow-dangerous` fix for
 * dangerous commands).
 *
 * @example
 * operatorGuard("EXECUTE|calc.exe", { commands: { hasStartupFst: false } });
 * // { ok: false, refusal: { code: "acl-denied", fix: "…--allow-dangerous…" } }
 */
export function operatorGuard(line: string, ctx: GuardContext): GuardResult {
  const guarded = guardLine(line, ctx);
  if (!guarded.ok || ctx.allowDangerous) return guarded;
  const msg = parseMessage(line);
  const denied = checkAcl(msg.type, msg.args, NO_GRANTS);
  if (!denied) return guarded;
  return {
    ok: false,
    refusal: {
      code: denied.code,
      reason: denied.reason.replace(
        "and this bot is not allowed to send it",
        "and is refused unless the operator allows it",
      ),
      fix: "if you really mean it, repeat the command with --allow-dangerous",
    },
  };
}
