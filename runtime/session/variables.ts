/**
 * Follows Plugin_Variables' list from what MMDAgent-EX forwards, so the guard can tell whether a
 * `VALUE_UNSET` is safe (answers.md §9: unsetting a name in the middle of the list makes the next
 * lookup spin MMDAgent-EX's main thread for ever).
 *
 * The list is in order of each name's first successful `VALUE_SET` by anyone (FST, other peers,
 * menus, buttons). mmdbot sees every such set as a `VALUE_EVENT_SET|name` line, but only while it is
 * connected: the list counts as known in full only from MMDAgent-EX's own start-up (its
 * `PLUGIN_EVENT_ENABLE|Variables`, which a peer sees in TCP-client and WebSocket modes) until the
 * first disconnect, after which sets may have been missed.
 */

/** A tracker fed with every inbound line. */
export interface VariableTracker {
  /** Feeds one parsed inbound message (type and its `|` fields as the wire carried them). */
  observe(type: string, fields: readonly string[]): void;
  /** The connection dropped: sets may be missed from now on. */
  disconnected(): void;
  /** The list when known in full, otherwise undefined. */
  known(): readonly string[] | undefined;
}

/**
 * Most names followed. Past it the list counts as unknown (as after a disconnect), so memory
 * stays bounded however many names are set, and the guard falls back to its cautious rule.
 */
export const MAX_TRACKED_VARIABLES = 10_000;

/** Creates a tracker that knows nothing yet. */
export function createVariableTracker(limit = MAX_TRACKED_VARIABLES): VariableTracker {
  // Insertion-ordered: the order of first sets, with O(1) membership and removal.
  const names = new Map<string, true>();
  let list: readonly string[] | undefined;
  let complete = false;
  // Once over the limit, an empty map no longer means "nothing set": never complete again.
  let overflowed = false;
  return {
    observe(type, fields) {
      if (
        type === "PLUGIN_EVENT_ENABLE" && fields[0] === "Variables" && names.size === 0 &&
        !overflowed
      ) {
        // Start-up announcement: nothing can have been set before the plugin was enabled.
        complete = true;
        return;
      }
      if (type !== "VALUE_EVENT_SET" && type !== "VALUE_EVENT_UNSET") return;
      const name = fields.filter((f) => f !== "").join("|");
      if (name === "") return;
      if (type === "VALUE_EVENT_SET") {
        if (names.has(name)) return;
        if (names.size >= limit) {
          // Too many to follow: forget them all rather than keep a list that is no longer true.
          names.clear();
          complete = false;
          overflowed = true;
        } else names.set(name, true);
      } else if (!names.delete(name)) return;
      list = undefined;
    },
    disconnected() {
      complete = false;
    },
    // Read on every send's guard check: the array is rebuilt only after the list changed.
    known: () => (complete ? (list ??= [...names.keys()]) : undefined),
  };
}
