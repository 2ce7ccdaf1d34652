import { OVERRIDES } from "../../runtime/catalog/overrides.ts";
import { catalogForm, commandForm } from "../../runtime/catalog/forms.ts";
import { validateCommand } from "../../runtime/catalog/validate.ts";
import { typeArgs } from "./answers_fixture.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const ctx = { hasStartupFst: true, variables: ["x", "t"] };
const ok = (line: string) => validateCommand(...typeArgs(line), ctx) === undefined;

/** Per override: what it proves, lines the binary accepts, lines it rejects (answers.md). */
const CASES: Record<string, { proves: string; accept: string[]; reject: string[] }> = {
  CAMERA: {
    proves: "1 field (a camera-motion file) or 4-7 fields; 2 and 3 fields are refused",
    accept: [
      "CAMERA|cam.vmd",
      "CAMERA|1,2",
      "CAMERA|0,10,0|0,0,0|50|27",
      "CAMERA|0,1,0|0,0,0|5|27|1|m|頭",
    ],
    reject: ["CAMERA|1,2,3|0,0,0", "CAMERA|1,2,3|0,0,0|5", "CAMERA|0,1|0,0,0|5|27", "CAMERA"],
  },
  MOTION_ADD: {
    proves: "3-8 fields are accepted although the binary's log says 4-7",
    accept: ["MOTION_ADD|m|a|f.vmd", "MOTION_ADD|m|a|f.vmd|PART|ONCE|ON|OFF|10"],
    reject: [
      "MOTION_ADD|m|a",
      "MOTION_ADD|m|a|f.vmd|PART|ONCE|ON|OFF|10|x",
      "MOTION_ADD|m|a|f|HALF",
    ],
  },
  CAPTION_START: {
    proves: "exactly 7 fields with align CENTER/LEFT/RIGHT",
    accept: ["CAPTION_START|c|_default|hi|3|RIGHT|0.5|30"],
    reject: ["CAPTION_START|c|_default|hi|3|RIGHT|0.5", "CAPTION_START|c|s|hi|3|TOP|0.5|30"],
  },
  CAPTION_SETSTYLE: {
    proves: "the 3-field and 6-field forms with r,g,b,a colours",
    accept: [
      "CAPTION_SETSTYLE|s|default|1,1,1,1",
      "CAPTION_SETSTYLE|s|f.ttf|1,1,1,1|0,0,0,1,4|0,0,0,1,8|0,0,0,1",
    ],
    reject: [
      "CAPTION_SETSTYLE|s|default",
      "CAPTION_SETSTYLE|s|default|1,1,1,1|0,0,0,1,4",
      "CAPTION_SETSTYLE|s|d|1,1",
    ],
  },
  WINDOWOVERLAY_ADD: {
    proves: "6 fields are required (the log says 2) and any anchor word passes",
    accept: [
      "WINDOWOVERLAY_ADD|o|i.png|0.2|0.2|TOPLEFT|0.01",
      "WINDOWOVERLAY_ADD|o|i.png|1|1|CENTER|0",
    ],
    reject: ["WINDOWOVERLAY_ADD|o|i.png", "WINDOWOVERLAY_ADD|o|i.png|0.2|0.2"],
  },
  MODEL_BINDFACE: {
    proves: "plain form (3-4 fields) and KeyValue form (5-7 fields)",
    accept: [
      "MODEL_BINDFACE|m|あ|1.0",
      "MODEL_BINDFACE|m|あ|0.5|1.0",
      "MODEL_BINDFACE|k|0|1|m|い|0|1",
    ],
    reject: ["MODEL_BINDFACE|m|あ", "MODEL_BINDFACE|k|0|1|m|い|0|1|2"],
  },
  MODEL_BINDBONE: {
    proves: "plain form (4 fields) and the 9-field KeyValue form, with x,y,z vectors",
    accept: [
      "MODEL_BINDBONE|m|頭|0,0,0|0,30,0",
      "MODEL_BINDBONE|k|0|1|m|首|0,0,0|0,0,0|0,1,0|0,30,0",
    ],
    reject: [
      "MODEL_BINDBONE|m|頭|0,0,0",
      "MODEL_BINDBONE|k|0|1|m|首|0,0,0",
      "MODEL_BINDBONE|m|頭|0,0|0,30,0",
    ],
  },
  TIMER_START: {
    proves: "the duration must be greater than 0; an extra field is ignored",
    accept: ["TIMER_START|t|0.1", "TIMER_START|t|0.5|extra", "TIMER_START|t|2s"],
    reject: ["TIMER_START|t", "TIMER_START|t|0", "TIMER_START|t|-1", "TIMER_START|t|abc"],
  },
  VALUE_SET: {
    proves: "a name alone, name|value or name|min|max",
    accept: ["VALUE_SET|x", "VALUE_SET|x|1", "VALUE_SET|x|0|100"],
    reject: ["VALUE_SET", "VALUE_SET|x|0|100|5"],
  },
  VALUE_EVAL: {
    proves: "the operand may be missing; the operator must be EQ/NE/LE/LT/GE/GT",
    accept: ["VALUE_EVAL|x|EQ", "VALUE_EVAL|x|GT|3"],
    reject: ["VALUE_EVAL|x", "VALUE_EVAL|x|eq|3", "VALUE_EVAL|x|==|3"],
  },
  KEYVALUE_SET: {
    proves: "exactly 2 fields",
    accept: ["KEYVALUE_SET|k|v"],
    reject: ["KEYVALUE_SET|k", "KEYVALUE_SET|k|v|w"],
  },
  VALUE_GET: {
    proves: "the whole ARGS text is the name, so any field count passes but none is refused",
    accept: ["VALUE_GET|x", "VALUE_GET|a|b|c|d|e|f|g|h|i|j|k|l"],
    reject: ["VALUE_GET", "VALUE_GET|"],
  },
  VALUE_UNSET: {
    proves: "the whole ARGS text is the name; no name is an argument error",
    accept: ["VALUE_UNSET|x"],
    reject: ["VALUE_UNSET"],
  },
  TIMER_STOP: {
    proves: "the whole ARGS text is the name; TIMER_STOP alone is refused",
    accept: ["TIMER_STOP|t", "TIMER_STOP|t|u"],
    reject: ["TIMER_STOP"],
  },
  TIMER_CANCEL: {
    proves: "the whole ARGS text is the name (TIMER_CANCEL|a|b cancels a|b)",
    accept: ["TIMER_CANCEL|a|b", "TIMER_CANCEL|nosuch"],
    reject: ["TIMER_CANCEL"],
  },
  MENU: {
    proves: "fields depend on the sub-command; SETITEM needs an item message",
    accept: [
      "MENU|ADD|m",
      "MENU|ADD|m|bg.png",
      "MENU|DELETE|m",
      "MENU|SETITEM|m|0|l|MESSAGE",
      "MENU|DELETEITEM|m|0",
    ],
    reject: [
      "MENU|ADD",
      "MENU|DELETE|m|x",
      "MENU|SETITEM|m|0|l",
      "MENU|DELETEITEM|m",
      "MENU|add|m",
      "MENU",
    ],
  },
  WINDOWFRAME: {
    proves: "NONE is refused (it is looked up as a file; WINDOWFRAME_DELETEALL removes frames)",
    accept: ["WINDOWFRAME|frame.png"],
    reject: ["WINDOWFRAME|NONE", "WINDOWFRAME"],
  },
  BUTTON_ADD: {
    proves: "6 fields, an x,y position and autoclose ON/OFF",
    accept: ["BUTTON_ADD|b|1.0|0.5,0.5|l.png|open,https://example.org|OFF"],
    reject: [
      "BUTTON_ADD|b|1.0|0.5|l.png|message,M|ON",
      "BUTTON_ADD|b|1.0|0.5,0.5|l.png|message,M|on",
    ],
  },
  MODEL_ADD: {
    proves: "2-7 fields with x,y,z vectors and ON/OFF",
    accept: ["MODEL_ADD|m|a.pmd", "MODEL_ADD|m|a.pmd|0,5,0|0,0,0|OFF|p|頭"],
    reject: ["MODEL_ADD|m", "MODEL_ADD|m|a.pmd|abc", "MODEL_ADD|m|a.pmd|0,0,0|0,0|ON"],
  },
  TEXTAREA_SET: {
    proves: "alias and text (a single space clears the text safely)",
    accept: ["TEXTAREA_SET|t|hello world", "TEXTAREA_SET|t| "],
    reject: ["TEXTAREA_SET", "TEXTAREA_SET|t|a|b"],
  },
};

for (const [type, c] of Object.entries(CASES)) {
  Deno.test(`override ${type}: ${c.proves}`, () => {
    assert(Object.hasOwn(OVERRIDES, type) && commandForm(type) === OVERRIDES[type].form, "in use");
    for (const line of c.accept) assert(ok(line), `should accept ${line}`);
    for (const line of c.reject) assert(!ok(line), `should refuse ${line}`);
  });
}

Deno.test("every override has its own test cases and replaces a real catalog command", () => {
  for (const type of Object.keys(OVERRIDES)) {
    assert(Object.hasOwn(CASES, type), `no test cases for override ${type}`);
    assert(catalogForm(type) !== undefined, `${type} is not a catalog command`);
    assert(OVERRIDES[type].why.length > 20, `${type} lacks its reason`);
  }
});

Deno.test("the catalog alone would get CAMERA wrong (1-7 fields), which is why the override exists", () => {
  const base = catalogForm("CAMERA")!;
  assert(base.shapes.length === 1 && base.shapes[0].min === 1 && base.shapes[0].max === 7, "base");
});
