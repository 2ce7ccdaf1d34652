/**
 * Delivery of operator lines: MMDAgent-EX echoes every line it issues to every peer (reference
 * Part 7), so the echo proves it took a line from the socket. A written line is only on the wire;
 * closing the connection before the echo loses it on the real binary (reference 7.5). The runtime
 * already marks each inbound echo with whose line it is (`host/echo.ts`); a line sent here is
 * `delivered` when the echo marked `operator` with its text comes back, and `not-delivered` when it
 * does not come within the caller's bound. Used by `send` on its own connection and by a running
 * runtime answering `send` through its control channel.
 */
import { TIMED_OUT, within } from "../clock/deadline.ts";
import { echoForm } from "../wire/parse.ts";
import { OPERATOR, type OperatorResult, type Runtime } from "./runtime.ts";

/** The final outcome of one {@link Deliveries.deliver}. */
export type DeliverResult =
  | OperatorResult
  | { status: "delivered"; connection: string; echoMs: number }
  | { status: "not-delivered"; connection: string; reason: string };

/** One line on its way: written first, then echoed (or not). */
export interface Delivery {
  /** The write's outcome (or the refusal): settles before the next line may be written. */
  readonly sent: Promise<OperatorResult>;
  /** The final outcome: `delivered` once the echo came. */
  readonly outcome: Promise<DeliverResult>;
}

/** Operator sends that wait for MMDAgent-EX's echo. */
export interface Deliveries {
  /**
   * The operator's outbound path, the link, then MMDAgent-EX's echo of the line. A written line
   * whose echo does not come within `echoTimeoutMs` is `not-delivered`; a refused, queued or
   * dropped line is reported as such at once.
   */
  deliver(line: string, options: { allowDangerous?: boolean; echoTimeoutMs: number }): Delivery;
}

/** Watches `rt`'s inbound traffic for the operator's echoes. */
export function operatorDeliveries(rt: Pick<Runtime, "tap" | "sendAsOperator">): Deliveries {
  // Lines written and not yet echoed, by echo text, oldest first (one line may be sent twice).
  const awaiting = new Map<string, (() => void)[]>();
  // Listening only while a line waits for its echo: a tap with no listener builds no record per
  // line, which was a tenth of the host's work on the hot path.
  let unlisten: (() => void) | undefined;
  const listen = () => {
    unlisten ??= rt.tap.onRecord((r) => {
      if (r.dir !== "in" || !r.echo || r.bot !== OPERATOR) return;
      const list = awaiting.get(r.line);
      const first = list?.shift();
      if (list && list.length === 0) awaiting.delete(r.line);
      first?.();
      quietIfDone();
    });
  };
  const quietIfDone = () => {
    if (awaiting.size > 0 || !unlisten) return;
    unlisten();
    unlisten = undefined;
  };

  return {
    deliver(line, { allowDangerous = false, echoTimeoutMs }) {
      // Registered before the write: the echo can come back before the write's promise settles.
      const text = echoForm(line) ?? line;
      let heard!: () => void;
      const echo = new Promise<void>((r) => heard = r);
      const list = awaiting.get(text) ?? [];
      list.push(heard);
      awaiting.set(text, list);
      listen();
      const forget = () => {
        const l = awaiting.get(text);
        const i = l?.indexOf(heard) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
        if (l && l.length === 0) awaiting.delete(text);
        quietIfDone();
      };
      const sent = rt.sendAsOperator(line, { allowDangerous }).then((outcome) => {
        if (outcome.status !== "written") forget();
        return outcome;
      }, (err) => {
        forget();
        throw err;
      });
      const outcome = sent.then(async (s): Promise<DeliverResult> => {
        if (s.status !== "written") return s;
        const since = performance.now();
        if (await within(echo, echoTimeoutMs) === TIMED_OUT) {
          forget();
          return {
            status: "not-delivered",
            connection: s.connection,
            reason: notEchoed(echoTimeoutMs),
          };
        }
        return {
          status: "delivered",
          connection: s.connection,
          echoMs: Math.round(performance.now() - since),
        };
      });
      return { sent, outcome };
    },
  };
}

/** Why a written line counts as lost. */
export function notEchoed(echoTimeoutMs: number): string {
  return `written, but MMDAgent-EX did not echo it within ${echoTimeoutMs / 1000} s, ` +
    "so it did not issue it (it echoes every line it takes from a peer); is this the " +
    "MMDAgent-EX of this .mdf, and is it still serving? (--echo-timeout waits longer)";
}
