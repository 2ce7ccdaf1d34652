/**
 * The path of every line a bot (or the operator) sends: ACL (dangerous commands need the
 * manifest's `allow:`), rate limit, the wire guard (bytes and catalog), echo bookkeeping, then the
 * sink owned by whoever holds the Link. A refusal at any step goes back to the sender and nothing
 * reaches the wire.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import { createLogThrottle } from "../log/throttle.ts";
import { checkAcl } from "../catalog/dangerous.ts";
import type { SendOutcome } from "../transport/types.ts";
import { type GuardContext, guardLine } from "../wire/guard.ts";
import { parseMessage } from "../wire/parse.ts";
import type { Refusal, WireUnit } from "../wire/types.ts";
import type { EchoTracker } from "./echo.ts";
import type { RateLimiter } from "./ratelimit.ts";

/** Writes one checked unit toward MMDAgent-EX; `source` is the bot name (or `operator`). */
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
}

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
  /** Checks a line without sending it: the ACL and guard verdict, or the unit to write. */
  check(
    line: string,
    sender: Sender,
  ): { ok: true; unit: WireUnit } | { ok: false; refusal: Refusal };
  /** Checks and sends one line; never rejects. */
  send(line: string, sender: Sender): Promise<SendReply>;
  /** Notes that `unit` was written by someone else for `by` (setup replay), for echo marks. */
  noteSent(text: string, by: string): void;
  /** Logs what the refusal log still holds back and stops its timer. */
  close(): void;
}

/** Creates the outbound path. */
export function createOutbound(d: OutboundDeps): Outbound {
  // Per sender and code a few records a second, the rest summarised: 100 000 refused sends were
  // 100 000 warnings (35 MB of log). Every refusal still reaches its sender.
  const refusals = createLogThrottle(d.log, d.clock);
  const refuse = (sender: Sender, line: string, refusal: Refusal): SendReply => {
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

  const check: Outbound["check"] = (line, sender) => {
    const msg = parseMessage(line);
    const acl = checkAcl(msg.type, msg.args, sender.allow);
    if (acl) return { ok: false, refusal: acl };
    const guarded = guardLine(line, d.guardContext());
    if (!guarded.ok) return { ok: false, refusal: guarded.refusal };
    return { ok: true, unit: guarded.unit };
  };

  return {
    check,
    async send(line, sender) {
      const msg = parseMessage(line);
      const acl = checkAcl(msg.type, msg.args, sender.allow);
      if (acl) return refuse(sender, line, acl);
      // The rate limit counts lines that passed the ACL, so refusals do not eat the budget twice.
      const limited = sender.limiter?.take();
      if (limited) {
        // Not logged per line (the limiter summarises), but still marked for the dashboard.
        d.onRefused?.(sender.name, line, limited);
        return { ok: false, refusal: limited };
      }
      const guarded = guardLine(line, d.guardContext());
      if (!guarded.ok) return refuse(sender, line, guarded.refusal);
      d.echo.sent(guarded.unit.text, sender.name, d.clock.now());
      try {
        const outcome = await d.sink(guarded.unit, sender.name);
        if (outcome.status === "written") return { ok: true, status: "written" };
        if (outcome.status === "queued") return { ok: true, status: "queued" };
        return { ok: true, status: "dropped" };
      } catch (e) {
        return refuse(sender, line, {
          code: "send-failed",
          reason: `the connection could not take the line: ${e instanceof Error ? e.message : e}`,
        });
      }
    },
    noteSent(text, by) {
      d.echo.sent(text, by, d.clock.now());
    },
    close: () => refusals.close(),
  };
}
