/**
 * Plugin_Variables' timers (answers.md section 2). The timer thread polls every 0.1 s, so an expiry
 * is reported at the first poll after it is due: modelled as the next 100 ms step of a grid that
 * starts with the emulator (the observed lateness is 0.03-0.12 s).
 */
import { atof, type EmuContext, type Family } from "./context.ts";
import type { TimerId } from "../clock/clock.ts";

/** The timer thread's polling period. */
export const TIMER_POLL_MS = 100;

/** Running timers, by name. */
export type TimersState = Map<string, TimerId>;

/** The time of the first poll strictly after `due`, on a grid anchored at `origin`. */
export function nextPoll(origin: number, due: number): number {
  const steps = Math.floor((due - origin) / TIMER_POLL_MS) + 1;
  return origin + steps * TIMER_POLL_MS;
}

/** The timers family; `origin` anchors the poll grid (the emulator's start time). */
export function timersFamily(running: TimersState, origin: number): Family {
  const enabled = (ctx: EmuContext) => ctx.pluginEnabled("Variables");
  return {
    name: "Timers",
    handlers: {
      TIMER_START(ctx, msg) {
        if (!enabled(ctx) || msg.fields.length < 2) return;
        const [name, secText] = msg.fields;
        const sec = atof(secText);
        if (!(sec > 0)) return; // silent, not even a log line (observed)
        if (running.has(name)) {
          ctx.cancel(running.get(name));
          running.delete(name);
          ctx.issue("TIMER_EVENT_CANCELLED", name);
        }
        const now = ctx.clock.now();
        const at = nextPoll(origin, now + sec * 1000);
        running.set(
          name,
          ctx.later(at - now, () => {
            running.delete(name);
            ctx.issue("TIMER_EVENT_STOP", name);
          }),
        );
        ctx.issue("TIMER_EVENT_START", name);
      },
      TIMER_STOP(ctx, msg) {
        const name = msg.args;
        if (!enabled(ctx) || name === null || !running.has(name)) return;
        ctx.cancel(running.get(name));
        running.delete(name);
        ctx.issue("TIMER_EVENT_STOP", name);
      },
      TIMER_CANCEL(ctx, msg) {
        const name = msg.args;
        if (!enabled(ctx) || name === null) return;
        if (running.has(name)) {
          ctx.cancel(running.get(name));
          running.delete(name);
        }
        ctx.issue("TIMER_EVENT_CANCELLED", name); // always, also for unknown names (observed)
      },
    },
  };
}
