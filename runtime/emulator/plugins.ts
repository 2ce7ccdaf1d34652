/**
 * PLUGIN_ENABLE / PLUGIN_DISABLE (answers.md section 8). Variables, TextArea, VIManager, Audio and
 * Remote start enabled (announced at start-up); LookAt starts disabled and silent. Unknown names,
 * repeated disables and enabling an enabled plugin give the echo only.
 */
import type { Family } from "./context.ts";

/** Plugins announced at start-up, in the order MMDAgent-EX sends `PLUGIN_EVENT_ENABLE`. */
export const STARTUP_PLUGINS = ["Variables", "TextArea", "VIManager", "Audio", "Remote"];

/** Fresh plugin table: name → enabled. */
export function newPluginsState(): Map<string, boolean> {
  const m = new Map<string, boolean>(STARTUP_PLUGINS.map((p) => [p, true]));
  m.set("LookAt", false);
  return m;
}

/** The plugins family; `onRemoteDisable` stops the network side (it closes every connection). */
export function pluginsFamily(st: Map<string, boolean>, onRemoteDisable: () => void): Family {
  return {
    name: "Plugins",
    handlers: {
      PLUGIN_ENABLE(ctx, msg) {
        const name = msg.args ?? "";
        if (!st.has(name) || st.get(name)) return;
        st.set(name, true);
        ctx.issue("PLUGIN_EVENT_ENABLE", name);
      },
      PLUGIN_DISABLE(ctx, msg) {
        const name = msg.args ?? "";
        if (!st.has(name) || !st.get(name)) return;
        st.set(name, false);
        if (name === "Remote") {
          onRemoteDisable();
          return;
        }
        ctx.issue("PLUGIN_EVENT_DISABLE", name);
      },
    },
  };
}
