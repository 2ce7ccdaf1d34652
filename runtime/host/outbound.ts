/**
 * The path of every line a bot or the operator sends: ACL (dangerous commands need the manifest's
 * `allow:`, or the operator's override), rate limit (bots only), the wire guard (bytes and catalog),
 * echo bookkeeping, then the sink owned by whoever holds the Link. A refusal at any step goes back
 * to the sender and nothing reaches the wire. There is no other path to the Link.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { createLogThrottle } from "../log/throttle.ts";
import { checkAcl } from "../catalog/dangerous.ts";
import type { SendOutcome } from "../transport/types.ts";
import { type GuardContext, guardLine } from "../wire/guard.ts";
import { echoFormOf, type Message, parseMessage } from "../wire/parse.ts";
import type { Refusal, WireUnit } from "../wire/types.ts";
import type { EchoTracker } from "./echo.ts";
import type { RateLimiter } from "./ratelimit.ts";

/**
 * The operator's one name: lines typed by a person through `send`, the control channel or (later)
 * the dashboard are sent, echo-marked and recorded as `operator`.
 */
export const OPERATOR = "operator";

/** Writes one checked unit toward MMDAgent-EX; `source` is the bot name (or {@link OPERATOR}). */
export type Sink = (unit: WireUnit, source: string) => Promise<SendOutcome>;

/** Outcome of one send as the sender sees it. */
export type SendReply = { ok: true; status: string } | { ok: false; refusal: Refusal };

/** Who is sending. */
export interface Sender {
  name: string;
  /** Dangerous commands this sender may send. */
  allow: ReadonlySet<string>;
  /** Absent for the operator. */
  limiter?: RateLimiter;
  /**
   * Set only for the operator: refusals are worded for a person at the CLI, and `allowDangerous`
   * (the CLI's `--allow-dangerous`) lifts the ACL and the guard's command-level check (the byte
   * rules always apply).
   */
  operator?: { allowDangerous: boolean };
}

/** What the operator's send ends in: the Link's outcome, or the refusal. */
export type OperatorReply = { ok: true; outcome: SendOutcome } | { ok: false; refusal: Refusal };

/** What the outbound path needs. */
export interface OutboundDeps {
  clock: Clock;
  log: Logger;
  guardContext: () => GuardContext;
  sink: Sink;
  echo: EchoTracker;
  /** Hears every refused line (the dashboard marks them in its traffic view). */
  onRefused?: (source: string, line: string, refusal: Refusal) => void;
}

/** The outbound path. */
export interface Outbound {
  /**
   * Checks a line without sending it: the ACL and guard verdict, or the unit to write. `parsed`,
   * when given, must be `parseMessage(line)` (each line is parsed once on its way out).
   */
  check(
    line: string,
    sender: Sender,
    parsed?: Message,
  ): { ok: true; unit: WireUnit } | { ok: false; refusal: Refusal };
  /** Checks and sends one line; never rejects. `parsed` as for {@link Outbound.check}. */
  send(line: string, sender: Sender, parsed?: Message): Promise<SendReply>;
  /** Checks and sends one line, answering with the Link's outcome; never rejects. */
  submit(line: string, sender: Sender): Promise<OperatorReply>;
  /** Sends one operator line through the same steps; never rejects. */
  sendAsOperator(line: string, options: { allowDangerous: boolean }): Promise<OperatorReply>;
  /** Notes that `unit` was written by someone else for `by` (setup replay), for echo marks. */
  noteSent(text: string, by: string): void;
  /** Logs what the refusal log still holds back and stops its timer. */
  close(): void;
}

const NO_GRANTS: ReadonlySet<string> = new Set();

/** The ACL step: the sender's grants, or for the operator, none unless overridden. */
function aclStep(type: string, args: string, sender: Sender): Refusal | undefined {
  if (!sender.operator) return checkAcl(type, args, sender.allow);
  if (sender.operator.allowDangerous) return undefined;
  const denied = checkAcl(type, args, NO_GRANTS);
  if (!denied) return undefined;
  return {
    code: denied.code,
    reason: denied.reason.replace(
      "and this bot is not allowed to send it",
      "and is refused unless the operator allows it",
    ),
    fix: "if you really mean it, repeat the command with --allow-dangerous",
  };
}

/** Creates the outbound path. */
export function createOutbound(d: OutboundDeps): Outbound {
  // Per sender and code a few records a second, the rest summarised: 100 000 refused sends were
  // 100 000 warnings (35 MB of log). Every refusal still reaches its sender.
  const refusals = createLogThrottle(d.log, d.clock);
  const refuse = (
    sender: Sender,
    line: string,
    refusal: Refusal,
  ): { ok: false; refusal: Refusal } => {
    d.onRefused?.(sender.name, line, refusal);
    // One kind per sender and code, and per dangerous command for ACL refusals (their reasons name
    // it, from a fixed set), so each command a bot tried shows up at least once.
    const kind = `${sender.name}\u0000${refusal.code}\u0000` +
      (refusal.code === "acl-denied" ? refusal.reason.slice(0, 300) : "");
    refusals.log(
      kind,
      "warn",
      `refused a line from ${sender.name}: ${refusal.reason}`,
      {
        bot: sender.name,
        code: refusal.code,
        line: line.length > 200 ? line.slice(0, 200) + "…" : line,
        ...(refusal.fix ? { fix: refusal.fix } : {}),
      },
    );
    return { ok: false, refusal };
  };

  const guardOf = (sender: Sender): GuardContext =>
    sender.operator?.allowDangerous
      ? { ...d.guardContext(), allowDangerous: true }
      : d.guardContext();

  const check: Outbound["check"] = (line, sender, parsed) => {
    const msg = parsed ?? parseMessage(line);
    const acl = aclStep(msg.type, msg.args, sender);
    if (acl) return { ok: false, refusal: acl };
    const guarded = guardLine(line, guardOf(sender), msg);
    if (!guarded.ok) return { ok: false, refusal: guarded.refusal };
    return { ok: true, unit: guarded.unit };
  };

  /** ACL, rate limit, guard, echo mark, sink: the one sequence every line goes through. */
  const deliver = async (
    line: string,
    sender: Sender,
    parsed?: Message,
  ): Promise<{ ok: true; outcome: SendOutcome } | { ok: false; refusal: Refusal }> => {
    const msg = parsed ?? parseMessage(line);
    const acl = aclStep(msg.type, msg.args, sender);
    if (acl) return refuse(sender, line, acl);
    // The rate limit counts lines that passed the ACL, so refusals do not eat the budget twice.
    const limited = sender.limiter?.take();
    if (limited) {
      // Not logged per line (the limiter summarises), but still marked for the dashboard.
      d.onRefused?.(sender.name, line, limited);
      return { ok: false, refusal: limited };
    }
    const guarded = guardLine(line, guardOf(sender), msg);
    if (!guarded.ok) return refuse(sender, line, guarded.refusal);
    d.echo.sent(guarded.unit.text, sender.name, d.clock.now(), echoFormOf(msg));
    try {
      return { ok: true, outcome: await d.sink(guarded.unit, sender.name) };
    } catch (e) {
      return refuse(sender, line, {
        code: "send-failed",
        reason: `the connection could not take the line: ${e instanceof Error ? e.message : e}`,
      });
    }
  };

  const operator: Sender = { name: OPERATOR, allow: NO_GRANTS };

  return {
    check,
    async send(line, sender, parsed) {
      const r = await deliver(line, sender, parsed);
      return r.ok ? { ok: true, status: r.outcome.status } : r;
    },
    submit: (line, sender) => deliver(line, sender),
    sendAsOperator(line, { allowDangerous }) {
      return deliver(line, { ...operator, operator: { allowDangerous } });
    },
    noteSent(text, by) {
      d.echo.sent(text, by, d.clock.now());
    },
    close: () => refusals.close(),
  };
}
