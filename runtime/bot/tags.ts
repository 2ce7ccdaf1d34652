/**
 * Inline expression and motion tags in an LLM's text (`[motion:wave]`, `[face:joy]`), as other
 * talking-avatar frameworks use them: taken out of the text before it is spoken and turned into
 * MMDAgent-EX `MOTION_ADD` lines through a mapping the bot keeps in its folder (`tags.json`).
 *
 * A tag is `[kind:name]` (letters, digits, `_`, `-`); it may be split across stream chunks. Any
 * such tag is removed from the text, known or not (a tag must never be spoken); a tag the mapping
 * does not know is reported once per run so the author can add it. Brackets that are not of that
 * form stay in the text.
 *
 * Pure: no I/O.
 *
 * @module
 */

/** What one tag does: play `file` on the model as a motion. */
export interface TagAction {
  /** The `.vmd` file, relative to the content's folder. */
  file: string;
  /** Motion alias: a new tag of the same slot replaces the one playing (default `tag_<kind>`). */
  slot?: string;
  /** `PART` (default: only the bones the motion moves, e.g. the face) or `FULL`. */
  part?: "FULL" | "PART";
  /** Repeat until replaced (default false: once). */
  loop?: boolean;
  /** Model alias, when not the mapping's `model`. */
  model?: string;
}

/**
 * The mapping file: the model the motions go to, then one map per tag kind.
 *
 * @example tags.json
 * ```json
 * { "model": "mei",
 *   "motion": { "wave": { "file": "motion/wave.vmd" } },
 *   "face": { "joy": { "file": "expression/joy.vmd" }, "sad": { "file": "expression/sad.vmd" } } }
 * ```
 */
export interface TagMap {
  /** Default model alias for every tag. */
  model: string;
  /** Tag kind → tag name → action. */
  kinds: Record<string, Record<string, TagAction>>;
}

/** One piece of filtered text: text to speak, or a tag found at this place. */
export type TagPiece = { text: string } | { tag: string; kind: string; name: string };

/** Longest text kept back while waiting for a `[` to turn out a tag or not. */
const MAX_TAG = 64;
const TAG = /^\[([A-Za-z][\w-]*):([\w-]+)\]/;
const PARTIAL = /^\[([A-Za-z][\w-]*(:[\w-]*)?)?$/;

/** A streaming tag filter: push text as it arrives, get text and tags in order. */
export function createTagFilter(): { push(text: string): TagPiece[]; end(): TagPiece[] } {
  let held = "";
  const scan = (final: boolean): TagPiece[] => {
    const out: TagPiece[] = [];
    let text = "";
    while (held.length > 0) {
      const open = held.indexOf("[");
      if (open < 0) {
        text += held;
        held = "";
        break;
      }
      text += held.slice(0, open);
      held = held.slice(open);
      const m = held.match(TAG);
      if (m) {
        if (text) out.push({ text });
        text = "";
        out.push({ tag: m[0], kind: m[1].toLowerCase(), name: m[2].toLowerCase() });
        held = held.slice(m[0].length);
        continue;
      }
      if (!final && held.length < MAX_TAG && PARTIAL.test(held)) break; // may still become a tag
      text += "[";
      held = held.slice(1);
    }
    if (text) out.push({ text });
    return out;
  };
  return {
    push(text) {
      held += text;
      return scan(false);
    },
    end() {
      return scan(true);
    },
  };
}

/**
 * Validates a parsed `tags.json` into a {@link TagMap}; throws an Error naming the bad entry.
 */
export function parseTagMap(raw: unknown, file = "tags.json"): TagMap {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${file}: expected an object like { "model": "mei", "face": { … } }`);
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.model !== "string" || r.model === "") {
    throw new Error(`${file}: "model" must name the model alias the motions play on, e.g. "mei"`);
  }
  const kinds: TagMap["kinds"] = {};
  for (const [kind, entries] of Object.entries(r)) {
    if (kind === "model") continue;
    if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
      throw new Error(`${file}: "${kind}" must map tag names to { "file": "….vmd" }`);
    }
    kinds[kind.toLowerCase()] = {};
    for (const [name, action] of Object.entries(entries as Record<string, unknown>)) {
      const a = action as Partial<TagAction> | null;
      if (!a || typeof a.file !== "string" || a.file === "" || /[|\r\n]/.test(a.file)) {
        throw new Error(`${file}: "${kind}.${name}" needs "file": a .vmd path without "|"`);
      }
      if (a.part !== undefined && a.part !== "FULL" && a.part !== "PART") {
        throw new Error(`${file}: "${kind}.${name}".part must be "FULL" or "PART"`);
      }
      for (const f of ["slot", "model"] as const) {
        if (a[f] !== undefined && (typeof a[f] !== "string" || /[|\r\n]/.test(a[f]!))) {
          throw new Error(`${file}: "${kind}.${name}".${f} must be a name without "|"`);
        }
      }
      kinds[kind.toLowerCase()][name.toLowerCase()] = a as TagAction;
    }
  }
  return { model: r.model, kinds };
}

/** The `MOTION_ADD` line of a known tag, or undefined when the mapping does not know it. */
export function tagCommand(map: TagMap, kind: string, name: string): string | undefined {
  const a = map.kinds[kind]?.[name];
  if (!a) return undefined;
  const model = a.model ?? map.model;
  const slot = a.slot ?? `tag_${kind}`;
  return `MOTION_ADD|${model}|${slot}|${a.file}|${a.part ?? "PART"}|${
    a.loop ? "LOOP" : "ONCE"
  }|ON|OFF`;
}
