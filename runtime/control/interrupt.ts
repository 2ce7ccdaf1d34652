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

/** Options of {@link onInterrupt}. */
export interface InterruptOptions {
  /**
   * Runs at the second SIGINT/SIGTERM: the user wants out now. The default exits with 130 at once
   * (after `beforeExit`), skipping whatever the graceful stop still waits for.
   */
  onSecond?: () => void;
  /** Runs before the default immediate exit, synchronously (e.g. kill child process groups). */
  beforeExit?: () => void;
}

/**
 * Listens for SIGINT and SIGTERM (SIGINT only on Windows). The first fires the signal (graceful
 * stop); the second exits at once, so no Ctrl-C is ever ignored.
 *
 * @example
 * const stop = onInterrupt();
 * try { await Promise.race([work(), stop.fired]); } finally { stop.dispose(); }
 */
export function onInterrupt(options: InterruptOptions = {}): Interrupt {
  const abort = new AbortController();
  let which: Deno.Signal | undefined;
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => {
    const h = () => {
      if (which !== undefined) {
        if (options.onSecond) return options.onSecond();
        options.beforeExit?.();
        console.error("mmdbot: second interrupt: exiting now");
        Deno.exit(130);
      }
      which = s;
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
