/**
 * Buttons and menus (answers.md section 4). `BUTTON_EVENT_DELETE` comes from the frame loop
 * (+0.24 s); a `BUTTON_ADD` whose action lacks a known prefix crashes the real binary after its
 * `BUTTON_EVENT_ADD` (section 9).
 */
import { type Family, isNumber, parseVec } from "./context.ts";

/** Buttons and menus that exist. */
export interface ButtonsMenusState {
  buttons: Map<string, { action: string }>;
  menus: Map<string, Map<string, { type: string; args: string | null }>>;
}

/** Fresh state. */
export function newButtonsMenusState(): ButtonsMenusState {
  return { buttons: new Map(), menus: new Map() };
}

/** The action prefixes `Button::Set::setup` knows. */
export const BUTTON_ACTION_PREFIXES = ["open,", "play,", "message,", "setkeyvalue,"];
/** At most this many buttons exist at once (source). */
export const MAX_BUTTONS = 10;
/** BUTTON_DELETE → BUTTON_EVENT_DELETE, measured from the echo (+0.24 s from the send). */
export const BUTTON_DELETE_DELAY = 210;

/** The buttons-and-menus family. */
export function buttonsMenusFamily(st: ButtonsMenusState): Family {
  return {
    name: "ButtonsMenus",
    handlers: {
      BUTTON_ADD(ctx, msg) {
        const f = msg.fields;
        if (f.length !== 6 || st.buttons.has(f[0]) || st.buttons.size >= MAX_BUTTONS) return;
        if (!isNumber(f[1]) || !parseVec(f[2], 2) || (f[5] !== "ON" && f[5] !== "OFF")) return;
        if (!ctx.exists(f[3])) return; // the image must load
        st.buttons.set(f[0], { action: f[4] });
        ctx.issue("BUTTON_EVENT_ADD", f[0]);
        if (!BUTTON_ACTION_PREFIXES.some((p) => f[4].startsWith(p))) {
          const simulate = ctx.fault(
            "crash",
            `BUTTON_ADD|${msg.args}`,
            `BUTTON_ADD action "${f[4]}" lacks one of the prefixes ${
              BUTTON_ACTION_PREFIXES.join(" ")
            }: MMDAgent-EX logs "unknown exec type" and dies 12 ms after BUTTON_EVENT_ADD`,
          );
          if (simulate) ctx.die("crash", 12);
        }
      },
      BUTTON_DELETE(ctx, msg) {
        const a = msg.fields[0];
        if (a === undefined || !st.buttons.has(a)) return;
        st.buttons.delete(a);
        ctx.later(BUTTON_DELETE_DELAY, () => ctx.issue("BUTTON_EVENT_DELETE", a));
      },
      MENU(ctx, msg) {
        const [sub, alias, id, label, type, ...rest] = msg.fields;
        if (alias === undefined) return;
        const menu = st.menus.get(alias);
        if (sub === "ADD") {
          if (menu) return;
          st.menus.set(alias, new Map());
          ctx.issue("MENU_EVENT", `ADD|${alias}`);
        } else if (sub === "DELETE") {
          if (!menu) return;
          st.menus.delete(alias);
          ctx.issue("MENU_EVENT", `DELETE|${alias}`);
        } else if (sub === "SETITEM") {
          if (!menu || !isNumber(id) || label === undefined || type === undefined) return;
          menu.set(id, { type, args: rest.length ? rest.join("|") : null });
          ctx.issue("MENU_EVENT", `SETITEM|${alias}|${id}`);
        } else if (sub === "DELETEITEM") {
          if (!menu || id === undefined || !menu.delete(id)) return;
          ctx.issue("MENU_EVENT", `DELETEITEM|${alias}|${id}`);
        }
      },
    },
  };
}
