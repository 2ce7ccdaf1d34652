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

/** Creates a tracker that knows nothing yet. */
export function createVariableTracker(): VariableTracker {
  let names: string[] = [];
  let complete = false;
  return {
    observe(type, fields) {
      if (type === "PLUGIN_EVENT_ENABLE" && fields[0] === "Variables" && names.length === 0) {
        // Start-up announcement: nothing can have been set before the plugin was enabled.
        complete = true;
        return;
      }
      const name = fields.filter((f) => f !== "").join("|");
      if (name === "") return;
      if (type === "VALUE_EVENT_SET" && !names.includes(name)) names.push(name);
      else if (type === "VALUE_EVENT_UNSET") names = names.filter((n) => n !== name);
    },
    disconnected() {
      complete = false;
    },
    known: () => (complete ? names : undefined),
  };
}
