/**
 * SIGINT/SIGTERM as an `AbortSignal` for the CLI's long-running commands (`listen`, `send --keep`),
 * so they can print the disconnect warning and close cleanly instead of dying mid-write.
 */

/** An abort signal fired by the first SIGINT or SIGTERM; `dispose()` removes the handlers. */
export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Which signal fired, once one did. */
  readonly which: Deno.Signal | undefined;
  /** A promise that resolves when a signal fires (never rejects). */
  readonly fired: Promise<void>;
  /** Removes the signal handlers (Deno's default handling returns). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM (SIGINT only on Windows).
 *
 * @example
 * const stop = onInterrupt();
 * try { await Promise.race([work(), stop.fired]); } finally { stop.dispose(); }
 */
export function onInterrupt(): Interrupt {
  const abort = new AbortController();
  let which: Deno.Signal | undefined;
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => {
    const h = () => {
      which ??= s;
      abort.abort();
      fire();
    };
    Deno.addSignalListener(s, h);
    return [s, h] as const;
  });
  return {
    signal: abort.signal,
    get which() {
      return which;
    },
    fired,
    dispose() {
      for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    },
  };
}
