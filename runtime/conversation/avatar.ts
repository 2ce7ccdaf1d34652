/**
 * The avatar's state as the messages reveal it: models present, motions running, MMDAgent-EX
 * timers, Plugin_Variables values, the connection. MMDAgent-EX's own state is not reset by a
 * peer's disconnect, but what the runtime *knows* is: after a reconnect anything may have changed
 * unseen, so the mirror starts empty again (speech is mirrored by the floor, not here).
 *
 * @module
 */

/** The mirror of models, motions, timers and variables. */
export interface AvatarMirror {
  /** Feeds one inbound line (type and wire fields). Returns true when the state changed. */
  observe(type: string, fields: readonly string[], now: number): boolean;
  /** Connected (`id`) or gone (undefined): a disconnect forgets everything seen. */
  connection(id: string | undefined): void;
  readonly connected: boolean;
  readonly connectionId: string | undefined;
  /** Model aliases with their motions, in order of appearance. */
  models(): Map<string, Set<string>>;
  timers(): { name: string; since: number }[];
  variables(): Record<string, string>;
}

/** Creates an empty mirror. */
export function createAvatarMirror(): AvatarMirror {
  let models = new Map<string, Set<string>>();
  let timers = new Map<string, number>();
  let variables = new Map<string, string>();
  let conn: string | undefined;
  const model = (alias: string) => {
    let m = models.get(alias);
    if (!m) models.set(alias, m = new Set());
    return m;
  };
  return {
    observe(type, f, now) {
      switch (type) {
        case "MODEL_EVENT_ADD":
          if (f[0] === undefined || models.has(f[0])) return false;
          model(f[0]);
          return true;
        case "MODEL_EVENT_DELETE":
          return f[0] !== undefined && models.delete(f[0]);
        case "MOTION_EVENT_ADD":
          if (f[0] === undefined || f[1] === undefined) return false;
          model(f[0]).add(f[1]);
          return true;
        case "MOTION_EVENT_DELETE":
          return f[0] !== undefined && f[1] !== undefined &&
            (models.get(f[0])?.delete(f[1]) ?? false);
        case "TIMER_EVENT_START":
          if (f[0] === undefined) return false;
          timers.set(f[0], now);
          return true;
        case "TIMER_EVENT_STOP":
        case "TIMER_EVENT_CANCELLED":
          return f[0] !== undefined && timers.delete(f[0]);
        case "VALUE_SET":
          // The echo of a set by anyone (FST, peers, menus) carries the value; the event does not.
          if (f[0] === undefined || f[0] === "") return false;
          variables.set(f[0], f.slice(1).join("|"));
          return true;
        case "VALUE_EVENT_UNSET":
        case "VALUE_UNSET":
          return f[0] !== undefined && variables.delete(f[0]);
        default:
          return false;
      }
    },
    connection(id) {
      conn = id;
      if (id === undefined) {
        models = new Map();
        timers = new Map();
        variables = new Map();
      }
    },
    get connected() {
      return conn !== undefined;
    },
    get connectionId() {
      return conn;
    },
    models: () => models,
    timers: () => [...timers].map(([name, since]) => ({ name, since })),
    variables: () => Object.fromEntries(variables),
  };
}
