/**
 * Command forms that messages.json cannot express, from what the real binary accepted and rejected
 * (`../shared/reference/answers.md`, cited per entry). Each entry replaces the form derived from the
 * catalog for its command; `tests/catalog/overrides_test.ts` has a test per entry.
 *
 * @module
 */
import type { CommandForm, FieldRule, Shape } from "./rules.ts";

const T: FieldRule = { kind: "text" };
const V2: FieldRule = { kind: "vector", size: 2 };
const V3: FieldRule = { kind: "vector", size: 3 };
const V4: FieldRule = { kind: "vector", size: 4 };
const V5: FieldRule = { kind: "vector", size: 5 };
const ON_OFF: FieldRule = { kind: "enum", values: ["ON", "OFF"] };
const enumOf = (...values: string[]): FieldRule => ({ kind: "enum", values });

/** Names the handler reads as the whole ARGS text (answers.md section 2, source). */
function wholeName(type: string, example: string): CommandForm {
  return {
    type,
    wholeArgsName: true,
    example,
    shapes: [{ min: 1, max: Infinity, fields: [], usage: `${type}|name` }],
  };
}

const MENU_SUBS = ["ADD", "DELETE", "SETITEM", "DELETEITEM"];
const menuShape = (sub: string, min: number, max: number, usage: string): Shape => ({
  when: (f) => f[0] === sub,
  min,
  max,
  fields: [T],
  usage,
});

/** One override with the observation that justifies it. */
export interface Override {
  /** The form that replaces the catalog-derived one. */
  readonly form: CommandForm;
  /** What the binary did (answers.md section), so a reader can check the entry. */
  readonly why: string;
}

/** The override table, by command type. */
export const OVERRIDES: Readonly<Record<string, Override>> = {
  CAMERA: {
    why: "§4 Stage/camera: 1 field is always a camera-motion file; 2 or 3 fields are rejected " +
      '("should be 1 or 4-7"); the catalog can only say "1 to 7".',
    form: {
      type: "CAMERA",
      example: "CAMERA|0,10,0|0,0,0|50|27",
      shapes: [
        { min: 1, max: 1, fields: [T], usage: "CAMERA|camera_motion_file" },
        {
          min: 4,
          max: 7,
          fields: [V3, V3, T, T, T, T, T],
          usage:
            "CAMERA|x,y,z|rx,ry,rz|distance|fovy[|transition_seconds[|model_alias[|bone_name]]]",
        },
      ],
    },
  },
  MOTION_ADD: {
    why:
      '§3: 3-8 fields are accepted although the binary logs "should be 4-7"; field 4 FULL/PART, ' +
      "field 5 ONCE/LOOP (other words: echo only).",
    form: {
      type: "MOTION_ADD",
      example: "MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP|ON|OFF",
      shapes: [{
        min: 3,
        max: 8,
        fields: [T, T, T, enumOf("FULL", "PART"), enumOf("ONCE", "LOOP"), ON_OFF, ON_OFF, T],
        usage: "MOTION_ADD|model|motion_alias|file[|FULL/PART[|ONCE/LOOP[|ON/OFF[|ON/OFF" +
          "[|priority]]]]]",
      }],
    },
  },
  CAPTION_START: {
    why: "§4 Captions, §11: exactly 7 fields (`style_alias|_default` and `text|lrc_file` are one " +
      "field each); align CENTER/LEFT/RIGHT; duration in frames at 30 fps.",
    form: {
      type: "CAPTION_START",
      example: "CAPTION_START|c1|st1|hello caption|3.0|CENTER|0.8|60",
      shapes: [{
        min: 7,
        max: 7,
        fields: [T, T, T, T, enumOf("CENTER", "LEFT", "RIGHT"), T, T],
        usage:
          "CAPTION_START|alias|style_alias_or__default|text_or_lrc_file|size|CENTER/LEFT/RIGHT" +
          "|height_0_to_1|duration_frames",
      }],
    },
  },
  CAPTION_SETSTYLE: {
    why: "§4 Captions: the 3-field and 6-field forms work; 2 fields or a bad colour: echo only.",
    form: {
      type: "CAPTION_SETSTYLE",
      example: "CAPTION_SETSTYLE|st1|default|1,1,1,1",
      shapes: [
        {
          min: 3,
          max: 3,
          fields: [T, T, V4],
          usage: "CAPTION_SETSTYLE|style|font_path_or_default|r,g,b,a",
        },
        {
          min: 6,
          max: 6,
          fields: [T, T, V4, V5, V5, V4],
          usage:
            "CAPTION_SETSTYLE|style|font|r,g,b,a|edge1_r,g,b,a,thickness|edge2_r,g,b,a,thickness" +
            "|base_r,g,b,a",
        },
      ],
    },
  },
  WINDOWOVERLAY_ADD: {
    why: '§4 Overlays: 6 fields are required although the log says "should be 2"; the anchor is ' +
      "not checked (`TOPLEFT` was accepted), so any anchor word passes.",
    form: {
      type: "WINDOWOVERLAY_ADD",
      example: "WINDOWOVERLAY_ADD|o1|img.png|0.2|0.2|TOPLEFT|0.01",
      shapes: [{
        min: 6,
        max: 6,
        fields: [T, T, T, T, T, T],
        usage: "WINDOWOVERLAY_ADD|alias|image_file|relative_width|relative_height|anchor|padding",
      }],
    },
  },
  MODEL_BINDFACE: {
    why: "§3: plain form `model|morph|value[|seconds]` and KeyValue form " +
      "`key|min|max|model|morph[|rate1[|rate2]]` (observed with 7 fields).",
    form: {
      type: "MODEL_BINDFACE",
      example: "MODEL_BINDFACE|m1|まばたき|1.0",
      shapes: [
        {
          when: (f) => f.length <= 4,
          min: 3,
          max: 4,
          fields: [],
          usage: "MODEL_BINDFACE|model|morph|value[|transition_seconds]",
        },
        {
          when: (f) => f.length > 4,
          min: 5,
          max: 7,
          fields: [],
          usage: "MODEL_BINDFACE|key|min|max|model|morph[|rate1[|rate2]]",
        },
      ],
    },
  },
  MODEL_BINDBONE: {
    why: "§3: plain form `model|bone|x,y,z|rx,ry,rz` and the 9-field KeyValue form " +
      "`key|min|max|model|bone|x1,y1,z1|rx1,ry1,rz1|x2,y2,z2|rx2,ry2,rz2`.",
    form: {
      type: "MODEL_BINDBONE",
      example: "MODEL_BINDBONE|m1|頭|0,0,0|0,30,0",
      shapes: [
        {
          when: (f) => f.length <= 4,
          min: 4,
          max: 4,
          fields: [T, T, V3, V3],
          usage: "MODEL_BINDBONE|model|bone|x,y,z|rx,ry,rz",
        },
        {
          when: (f) => f.length > 4,
          min: 9,
          max: 9,
          fields: [T, T, T, T, T, V3, V3, V3, V3],
          usage: "MODEL_BINDBONE|key|min|max|model|bone|x1,y1,z1|rx1,ry1,rz1|x2,y2,z2|rx2,ry2,rz2",
        },
      ],
    },
  },
  TIMER_START: {
    why: "§2: the duration must be > 0 (`a`, `0`, `-1`, `abc`: echo only, not even a log line); " +
      "an extra field is ignored.",
    form: {
      type: "TIMER_START",
      example: "TIMER_START|t|2.5",
      shapes: [{
        min: 2,
        max: 10,
        fields: [T, { kind: "positive" }],
        usage: "TIMER_START|name|seconds (> 0)",
      }],
    },
  },
  VALUE_SET: {
    why: "§2: `VALUE_SET|onlyname` (no value) works and answers VALUE_EVENT_SET; `name|min|max` " +
      "stores a random range.",
    form: {
      type: "VALUE_SET",
      example: "VALUE_SET|x|10",
      shapes: [{
        min: 1,
        max: 3,
        fields: [],
        usage: "VALUE_SET|name[|value] or VALUE_SET|name|min|max",
      }],
    },
  },
  VALUE_EVAL: {
    why:
      "§2: `VALUE_EVAL|x|EQ` without an operand works (compared with 0); an unknown op: echo only.",
    form: {
      type: "VALUE_EVAL",
      example: "VALUE_EVAL|x|EQ|10",
      shapes: [{
        min: 2,
        max: 3,
        fields: [T, enumOf("EQ", "NE", "LE", "LT", "GE", "GT")],
        usage: "VALUE_EVAL|name|EQ/NE/LE/LT/GE/GT[|value]",
      }],
    },
  },
  KEYVALUE_SET: {
    why: '§2: exactly 2 fields; 1 or 3 give "number of arguments should be 2" (echo only).',
    form: {
      type: "KEYVALUE_SET",
      example: "KEYVALUE_SET|k|v",
      shapes: [{ min: 2, max: 2, fields: [], usage: "KEYVALUE_SET|key|value" }],
    },
  },
  VALUE_GET: {
    why: "§2: takes the whole ARGS text as the name; no argument: echo only.",
    form: wholeName("VALUE_GET", "VALUE_GET|x"),
  },
  VALUE_UNSET: {
    why: "§2: takes the whole ARGS text as the name; no argument: echo only.",
    form: wholeName("VALUE_UNSET", "VALUE_UNSET|x"),
  },
  TIMER_STOP: {
    why: "§2: takes the whole ARGS text as the name; `TIMER_STOP` alone: echo only.",
    form: wholeName("TIMER_STOP", "TIMER_STOP|t"),
  },
  TIMER_CANCEL: {
    why: "§2: takes the whole ARGS text as the name (`TIMER_CANCEL|a|b` cancels `a|b`).",
    form: wholeName("TIMER_CANCEL", "TIMER_CANCEL|t"),
  },
  MENU: {
    why: "§4 Menus and §3 (Gene's loadmessage): the fields depend on the sub-command; SETITEM " +
      "carries the item's message as `TYPE|args…` in the remaining fields.",
    form: {
      type: "MENU",
      example: "MENU|SETITEM|menu1|0|label zero|MESSAGE|picked0",
      shapes: [
        menuShape("ADD", 2, 3, "MENU|ADD|alias[|background_image]"),
        menuShape("DELETE", 2, 2, "MENU|DELETE|alias"),
        menuShape("SETITEM", 5, 10, "MENU|SETITEM|alias|item_id|label|TYPE[|args…]"),
        menuShape("DELETEITEM", 3, 3, "MENU|DELETEITEM|alias|item_id"),
        {
          when: (f) => !MENU_SUBS.includes(f[0]),
          min: 1,
          max: 10,
          fields: [enumOf(...MENU_SUBS)],
          usage: "MENU|ADD/DELETE/SETITEM/DELETEITEM|alias|…",
        },
      ],
    },
  },
  WINDOWFRAME: {
    why:
      "§4, §11: `WINDOWFRAME|NONE` is looked up as a file and fails; it does not remove the frame.",
    form: {
      type: "WINDOWFRAME",
      example: "WINDOWFRAME|frame.png",
      shapes: [{
        min: 1,
        max: 1,
        fields: [{
          kind: "not",
          values: ["NONE"],
          why:
            "MMDAgent-EX looks NONE up as an image file; use WINDOWFRAME_DELETEALL to remove frames",
        }],
        usage: "WINDOWFRAME|image_file",
      }],
    },
  },
  BUTTON_ADD: {
    why: "§4 Buttons: 6 fields, `x,y` position, autoclose ON/OFF (otherwise echo only); the " +
      "action prefix is a crash trigger, checked by validateCommand.",
    form: {
      type: "BUTTON_ADD",
      example: "BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON",
      shapes: [{
        min: 6,
        max: 6,
        fields: [T, T, V2, T, T, ON_OFF],
        usage: "BUTTON_ADD|alias|scale|x,y|image_file|open,…/play,…/message,…/setkeyvalue,…|ON/OFF",
      }],
    },
  },
  MODEL_ADD: {
    why: "§3: 2-7 fields; position `abc` or field 5 not ON/OFF: echo only.",
    form: {
      type: "MODEL_ADD",
      example: "MODEL_ADD|m1|Gene_light.pmd",
      shapes: [{
        min: 2,
        max: 7,
        fields: [T, T, V3, V3, ON_OFF, T, T],
        usage: "MODEL_ADD|alias|file[|x,y,z[|rx,ry,rz[|ON/OFF[|parent_model[|parent_bone]]]]]",
      }],
    },
  },
  TEXTAREA_SET: {
    why:
      "§4 Text areas: alias and text; an empty or missing text is a crash trigger (validateCommand).",
    form: {
      type: "TEXTAREA_SET",
      example: "TEXTAREA_SET|ta1|hello world",
      shapes: [{ min: 2, max: 2, fields: [], usage: "TEXTAREA_SET|alias|text_or_image_path" }],
    },
  },
};

/** Commands MMDAgent-EX drops when a peer sends them (answers.md §10, source). */
export const DROPPED_FROM_PEERS: Readonly<Record<string, string>> = {
  RECOG_RECORD_START: "MMDAgent-EX's core drops RECOG_RECORD_START when a peer sends it",
  RECOG_RECORD_STOP: "MMDAgent-EX's core drops RECOG_RECORD_STOP when a peer sends it",
};
