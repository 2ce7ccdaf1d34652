/**
 * Routing one message through a bot's routes, in registration order: `on` (by type), `hear` (by
 * regex on the line, with `ctx.match`), `onAny`, and `use` middlewares, which run the routes after
 * them only when they call `next` (not calling it claims the message).
 *
 * Everything that matches starts synchronously, in order, so the engine can acknowledge the message
 * as soon as `route` returns: handlers that `await` do not hold up later messages.
 */
import type { MessageContext, Route } from "./define.ts";

/**
 * Calls user code and reports its failure; returns a promise (that never rejects) when the code
 * returned one, so a middleware's `next` can wait for it.
 */
export type Call = (fn: () => unknown) => Promise<unknown> | undefined;

/**
 * Routes one message. `ctx` makes the message's context (on first need); `call` runs a handler.
 * Returns a promise when some handler is still running, else undefined.
 */
export function route(
  routes: readonly Route<unknown>[],
  type: string,
  line: string,
  ctx: () => MessageContext<string, unknown>,
  call: Call,
): Promise<void> | undefined {
  const from = (start: number): Promise<void> | undefined => {
    let running: Promise<unknown>[] | undefined;
    const track = (p: Promise<unknown> | undefined) => {
      if (p) (running ??= []).push(p);
    };
    for (let i = start; i < routes.length; i++) {
      const r = routes[i];
      if (r.kind === "use") {
        let nexted: Promise<void> | undefined;
        const next = () => (nexted ??= from(i + 1) ?? Promise.resolve());
        track(call(() => r.fn(ctx(), next)));
        // The rest of the chain is the middleware's to run (or not).
        break;
      }
      let match: RegExpMatchArray | null = null;
      if (r.kind === "type") {
        if (!r.types.has(type)) continue;
      } else if (r.kind === "hear") {
        r.re.lastIndex = 0;
        match = line.match(r.re);
        if (!match) continue;
      }
      const base = ctx();
      const c = match ? Object.assign(Object.create(base), { match }) : base;
      track(call(() => r.fn(c)));
    }
    return running ? Promise.all(running).then(() => {}) : undefined;
  };
  return from(0);
}
