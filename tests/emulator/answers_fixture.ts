/**
 * One case per row of answers.md's tables: the lines sent (after optional setup lines) and the
 * lines that must come back, in order, each with its delay window in ms measured from the send, on
 * a VirtualClock. `[line]` alone means "same tick" (0-5 ms).
 *
 * Files (tests/emulator/content.ts builds them): `Gene_light.pmd` (with `.loadmessage`,
 * `.deletemessage`, `.shapemap`), `Gene_light.pmx` (not loadable), `motion/stand.vmd` (300 frames),
 * `motion/00_normal.vmd` (10 frames), `motion/02.vmd` (120 frames), `motion/01_happy.vmd`,
 * `audio.wav` (5.4 s), `logo.png`, `frame.png`, `img.png`, `sub.fst`, and `main.fst` as start-up FST.
 *
 * Rows left out, and why:
 * - MODEL_ADD's 43 s ROTATE_EVENT_STOP, MOVE/TURN/ROTATE arrival times: the real arrival depends on
 *   the renderer's frame rate; covered by shape only (START with the echo, STOP later).
 * - FST_LOAD of other files, SUBFST_START while running: the FST emulation is minimal (fst.ts).
 * - The section 9 crash/hang rows are in crash_triggers_test.ts (they need strict mode).
 * - Section 10 (commands not observed) has no expected answers.
 */

/** An expected line and its window [min, max] in ms from the send. */
export type Expect = [string] | [string, number, number];

/** One row. */
export interface AnswerCase {
  row: string;
  setup?: string[];
  send: string[];
  expect: Expect[];
  /** How long to run after the send (default 3 s). */
  runMs?: number;
  /** Run with the voice on (default: off, exactly the observed binary). */
  voice?: boolean;
}

const MENU_BURST = [
  "MENU|ADD|Gene",
  ...[0, 1, 2, 3, 4, 5].map((i) => `MENU|SETITEM|Gene|${i}|item${i}|MODEL_BINDFACE|0|m${i}|1`),
];
const MENU_EVENTS = [
  "MENU_EVENT|ADD|Gene",
  ...[0, 1, 2, 3, 4, 5].map((i) => `MENU_EVENT|SETITEM|Gene|${i}`),
];
const at = (lines: string[], min: number, max: number): Expect[] => lines.map((l) => [l, min, max]);

/** The cases. */
export const ANSWER_CASES: AnswerCase[] = [
  // Section 1
  { row: "1 echo: MESSAGE| comes back as MESSAGE", send: ["MESSAGE|"], expect: [["MESSAGE"]] },
  { row: "1 echo: |leadingpipe", send: ["|leadingpipe"], expect: [["leadingpipe"]] },
  { row: "1 echo: MESSAGE|a||b unchanged", send: ["MESSAGE|a||b"], expect: [["MESSAGE|a||b"]] },
  {
    row: "1 unknown types are echoed",
    send: ["FOO_BAR|1", "lowercase_type|a|b"],
    expect: [["FOO_BAR|1"], ["lowercase_type|a|b"]],
  },
  // Section 2
  { row: "2 KEYVALUE_SET echo only", send: ["KEYVALUE_SET|k|v"], expect: [["KEYVALUE_SET|k|v"]] },
  {
    row: "2 VALUE_SET",
    send: ["VALUE_SET|x|10"],
    expect: [["VALUE_SET|x|10"], ["VALUE_EVENT_SET|x"]],
  },
  {
    row: "2 VALUE_SET random",
    send: ["VALUE_SET|r|0|100"],
    expect: [["VALUE_SET|r|0|100"], ["VALUE_EVENT_SET|r"]],
  },
  {
    row: "2 VALUE_SET no value",
    send: ["VALUE_SET|onlyname"],
    expect: [["VALUE_SET|onlyname"], ["VALUE_EVENT_SET|onlyname"]],
  },
  {
    row: "2 VALUE_SET||5",
    send: ["VALUE_SET||5"],
    expect: [["VALUE_SET||5"], ["VALUE_EVENT_SET|5"]],
  },
  {
    row: "2 VALUE_GET",
    setup: ["VALUE_SET|x|10"],
    send: ["VALUE_GET|x"],
    expect: [["VALUE_GET|x"], ["VALUE_EVENT_GET|x|10"]],
  },
  {
    row: "2 VALUE_GET random",
    setup: ["VALUE_SET|r|0|100"],
    send: ["VALUE_GET|r"],
    expect: [["VALUE_GET|r"], ["VALUE_EVENT_GET|r|0|100"]],
  },
  {
    row: "2 VALUE_GET no value",
    setup: ["VALUE_SET|onlyname"],
    send: ["VALUE_GET|onlyname"],
    expect: [["VALUE_GET|onlyname"], ["VALUE_EVENT_GET|onlyname|(null)"]],
  },
  {
    row: "2 VALUE_EVAL",
    setup: ["VALUE_SET|x|10"],
    send: ["VALUE_EVAL|x|EQ|10.0", "VALUE_EVAL|x|LT|5"],
    expect: [["VALUE_EVAL|x|EQ|10.0"], ["VALUE_EVENT_EVAL|x|EQ|10.0|TRUE"], ["VALUE_EVAL|x|LT|5"], [
      "VALUE_EVENT_EVAL|x|LT|5|FALSE",
    ]],
  },
  {
    row: "2 VALUE_EVAL no operand",
    setup: ["VALUE_SET|x|10"],
    send: ["VALUE_EVAL|x|EQ"],
    expect: [["VALUE_EVAL|x|EQ"], ["VALUE_EVENT_EVAL|x|EQ|(null)|FALSE"]],
  },
  {
    row: "2 VALUE_EVAL unknown op/variable, VALUE_GET unknown: echo only",
    send: ["VALUE_EVAL|x|XX|1", "VALUE_GET|nosuch", "VALUE_UNSET|nosuch"],
    expect: [["VALUE_EVAL|x|XX|1"], ["VALUE_GET|nosuch"], ["VALUE_UNSET|nosuch"]],
  },
  {
    row: "2 VALUE_UNSET first/last",
    setup: ["VALUE_SET|a|1", "VALUE_SET|b|2"],
    send: ["VALUE_UNSET|b", "VALUE_UNSET|a"],
    expect: [["VALUE_UNSET|b"], ["VALUE_EVENT_UNSET|b"], ["VALUE_UNSET|a"], [
      "VALUE_EVENT_UNSET|a",
    ]],
  },
  {
    row: "2 TIMER_START 0.1",
    send: ["TIMER_START|t|0.1"],
    expect: [["TIMER_START|t|0.1"], ["TIMER_EVENT_START|t"], ["TIMER_EVENT_STOP|t", 100, 200]],
  },
  {
    row: "2 TIMER_START 1",
    send: ["TIMER_START|t|1"],
    expect: [["TIMER_START|t|1"], ["TIMER_EVENT_START|t"], ["TIMER_EVENT_STOP|t", 1000, 1120]],
  },
  {
    row: "2 TIMER_START 2.5",
    send: ["TIMER_START|t|2.5"],
    expect: [["TIMER_START|t|2.5"], ["TIMER_EVENT_START|t"], ["TIMER_EVENT_STOP|t", 2500, 2620]],
  },
  {
    row: "2 TIMER_START of a running timer",
    setup: ["TIMER_START|r|5"],
    send: ["TIMER_START|r|1"],
    expect: [["TIMER_START|r|1"], ["TIMER_EVENT_CANCELLED|r"], ["TIMER_EVENT_START|r"], [
      "TIMER_EVENT_STOP|r",
      1000,
      1120,
    ]],
  },
  {
    row: "2 two timers at once",
    send: ["TIMER_START|a|0.5", "TIMER_START|b|0.3"],
    expect: [
      ["TIMER_START|a|0.5"],
      ["TIMER_EVENT_START|a"],
      ["TIMER_START|b|0.3"],
      ["TIMER_EVENT_START|b"],
      ["TIMER_EVENT_STOP|b", 300, 420],
      ["TIMER_EVENT_STOP|a", 500, 620],
    ],
  },
  {
    row: "2 TIMER_START extra field",
    send: ["TIMER_START|ex|0.5|extra"],
    expect: [["TIMER_START|ex|0.5|extra"], ["TIMER_EVENT_START|ex"], [
      "TIMER_EVENT_STOP|ex",
      500,
      620,
    ]],
  },
  {
    row: "2 TIMER_START bad durations: echo only",
    send: ["TIMER_START|a", "TIMER_START|a|0", "TIMER_START|a|-1", "TIMER_START|a|abc"],
    expect: [["TIMER_START|a"], ["TIMER_START|a|0"], ["TIMER_START|a|-1"], ["TIMER_START|a|abc"]],
  },
  {
    row: "2 TIMER_STOP running",
    setup: ["TIMER_START|s|5"],
    send: ["TIMER_STOP|s"],
    expect: [["TIMER_STOP|s"], ["TIMER_EVENT_STOP|s"]],
  },
  {
    row: "2 TIMER_STOP nosuch",
    send: ["TIMER_STOP|nosuch", "TIMER_STOP"],
    expect: [["TIMER_STOP|nosuch"], ["TIMER_STOP"]],
  },
  {
    row: "2 TIMER_CANCEL running",
    setup: ["TIMER_START|c|5"],
    send: ["TIMER_CANCEL|c"],
    expect: [["TIMER_CANCEL|c"], ["TIMER_EVENT_CANCELLED|c"]],
    runMs: 6000,
  },
  {
    row: "2 TIMER_CANCEL nosuch",
    send: ["TIMER_CANCEL|nosuch", "TIMER_CANCEL|a|b"],
    expect: [["TIMER_CANCEL|nosuch"], ["TIMER_EVENT_CANCELLED|nosuch"], ["TIMER_CANCEL|a|b"], [
      "TIMER_EVENT_CANCELLED|a|b",
    ]],
  },
  // Section 3
  {
    row: "3 MODEL_ADD with .loadmessage burst",
    send: ["MODEL_ADD|m1|Gene_light.pmd"],
    expect: [
      ["MODEL_ADD|m1|Gene_light.pmd"],
      ["MODEL_EVENT_ADD|m1", 550, 700],
      ...at(MENU_BURST, 550, 700),
      ...at(MENU_EVENTS, 550, 700),
    ],
  },
  {
    row: "3 MODEL_ADD second Gene: no MENU_EVENT|ADD",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MODEL_ADD|m2|Gene_light.pmd"],
    expect: [
      ["MODEL_ADD|m2|Gene_light.pmd"],
      ["MODEL_EVENT_ADD|m2", 550, 700],
      ...at(MENU_BURST, 550, 700),
      ...at(MENU_EVENTS.slice(1), 550, 700),
    ],
  },
  {
    row: "3 MODEL_ADD missing file, 1 arg, alias in use, position abc, field 5 bad: echo only",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: [
      "MODEL_ADD|x|nosuch.pmd",
      "MODEL_ADD|x",
      "MODEL_ADD|m1|Gene_light.pmd",
      "MODEL_ADD|x|Gene_light.pmd|abc",
      "MODEL_ADD|x|Gene_light.pmd|0,0,0|0,0,0|MAYBE",
    ],
    expect: [["MODEL_ADD|x|nosuch.pmd"], ["MODEL_ADD|x"], ["MODEL_ADD|m1|Gene_light.pmd"], [
      "MODEL_ADD|x|Gene_light.pmd|abc",
    ], ["MODEL_ADD|x|Gene_light.pmd|0,0,0|0,0,0|MAYBE"]],
  },
  {
    row: "3 MODEL_CHANGE pmd → pmd",
    setup: ["MODEL_ADD|g|Gene_light.pmd"],
    send: ["MODEL_CHANGE|g|Gene_light.pmd"],
    expect: [
      ["MODEL_CHANGE|g|Gene_light.pmd"],
      ["MENU|DELETE|Gene", 650, 800],
      ["MODEL_EVENT_CHANGE|g", 650, 800],
      ...at(MENU_BURST, 650, 800),
      ["MENU_EVENT|DELETE|Gene", 650, 800],
      ...at(MENU_EVENTS, 650, 800),
    ],
  },
  {
    row: "3 MODEL_CHANGE to an unloadable file removes the model silently",
    setup: ["MODEL_ADD|m2|Gene_light.pmd"],
    send: ["MODEL_CHANGE|m2|Gene_light.pmx"],
    expect: [["MODEL_CHANGE|m2|Gene_light.pmx"], ["MENU|DELETE|Gene", 650, 800], [
      "MENU_EVENT|DELETE|Gene",
      650,
      800,
    ]],
  },
  {
    row: "3 MODEL_CHANGE unknown alias: echo only",
    send: ["MODEL_CHANGE|nosuch|Gene_light.pmd"],
    expect: [["MODEL_CHANGE|nosuch|Gene_light.pmd"]],
  },
  {
    row: "3 MODEL_DELETE while a motion plays",
    setup: ["MODEL_ADD|g|Gene_light.pmd", "MOTION_ADD|g|m2|motion/stand.vmd|FULL|LOOP|ON|OFF"],
    send: ["MODEL_DELETE|g"],
    expect: [
      ["MODEL_DELETE|g"],
      ["MOTION_EVENT_DELETE|g|m2", 500, 700],
      ["MENU|DELETE|Gene", 500, 700],
      ["MODEL_EVENT_DELETE|g", 500, 700],
      ["MENU_EVENT|DELETE|Gene", 500, 700],
    ],
  },
  {
    row: "3 MODEL_DELETE of a parent deletes the child; LIPSYNC_EVENT_STOP for an ended lip-sync",
    setup: [
      "MODEL_ADD|m1|Gene_light.pmd",
      "MODEL_ADD|child|Gene_light.pmd|0,5,0|0,0,0|ON|m1|頭",
      "LIPSYNC_START|m1|a,100",
    ],
    send: ["MODEL_DELETE|m1"],
    expect: [
      ["MODEL_DELETE|m1"],
      ["MENU|DELETE|Gene", 500, 1100],
      ["MODEL_EVENT_DELETE|child", 500, 1100],
      ["LIPSYNC_EVENT_STOP|m1", 500, 1100],
      ["MENU|DELETE|Gene", 500, 1100],
      ["MODEL_EVENT_DELETE|m1", 500, 1100],
      ["MENU_EVENT|DELETE|Gene", 500, 1100],
    ],
  },
  {
    row: "3 MODEL_DELETE unknown: echo only",
    send: ["MODEL_DELETE|nosuch", "MODEL_DELETE"],
    expect: [["MODEL_DELETE|nosuch"], ["MODEL_DELETE"]],
  },
  {
    row: "3 MOTION_ADD LOOP",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP|ON|OFF"],
    expect: [["MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP|ON|OFF"], [
      "MOTION_EVENT_ADD|m1|base",
    ]],
    runMs: 15000,
  },
  {
    row: "3 MOTION_ADD ONCE 10 frames",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOTION_ADD|m1|short|motion/00_normal.vmd"],
    expect: [["MOTION_ADD|m1|short|motion/00_normal.vmd"], ["MOTION_EVENT_ADD|m1|short"], [
      "MOTION_EVENT_DELETE|m1|short",
      380,
      520,
    ]],
  },
  {
    row: "3 MOTION_ADD ONCE 120 frames",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOTION_ADD|m1|short|motion/02.vmd"],
    expect: [["MOTION_ADD|m1|short|motion/02.vmd"], ["MOTION_EVENT_ADD|m1|short"], [
      "MOTION_EVENT_DELETE|m1|short",
      4000,
      4330,
    ]],
    runMs: 6000,
  },
  {
    row: "3 MOTION_ADD ONCE 300 frames",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOTION_ADD|m1|long|motion/stand.vmd"],
    expect: [["MOTION_ADD|m1|long|motion/stand.vmd"], ["MOTION_EVENT_ADD|m1|long"], [
      "MOTION_EVENT_DELETE|m1|long",
      9950,
      10150,
    ]],
    runMs: 12000,
  },
  {
    row: "3 MOTION_ADD with a playing alias: swapped, no DELETE",
    setup: ["MODEL_ADD|m1|Gene_light.pmd", "MOTION_ADD|m1|b|motion/stand.vmd|FULL|LOOP"],
    send: ["MOTION_ADD|m1|b|motion/stand.vmd|FULL|LOOP"],
    expect: [["MOTION_ADD|m1|b|motion/stand.vmd|FULL|LOOP"], ["MOTION_EVENT_ADD|m1|b"]],
  },
  {
    row: "3 MOTION_CHANGE / RESET / CONFIGURE",
    setup: ["MODEL_ADD|m1|Gene_light.pmd", "MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP"],
    send: [
      "MOTION_CHANGE|m1|base|motion/stand.vmd",
      "MOTION_RESET|m1|base",
      "MOTION_CONFIGURE|m1|base|BLEND_RATE|0.5",
      "MOTION_CONFIGURE|m1|base|NOPE",
    ],
    expect: [
      ["MOTION_CHANGE|m1|base|motion/stand.vmd"],
      ["MOTION_EVENT_CHANGE|m1|base"],
      ["MOTION_RESET|m1|base"],
      ["MOTION_EVENT_RESET|m1|base"],
      ["MOTION_CONFIGURE|m1|base|BLEND_RATE|0.5"],
      ["MOTION_EVENT_CONFIGURE|m1|base"],
      ["MOTION_CONFIGURE|m1|base|NOPE"],
    ],
  },
  {
    row: "3 MOTION_ACCELERATE (frame loop)",
    setup: ["MODEL_ADD|m1|Gene_light.pmd", "MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP"],
    send: ["MOTION_ACCELERATE|m1|base|2.0"],
    expect: [["MOTION_ACCELERATE|m1|base|2.0"], ["MOTION_EVENT_ACCELERATE|m1|base", 400, 520]],
  },
  {
    row: "3 MOTION_DELETE (frame loop)",
    setup: ["MODEL_ADD|m1|Gene_light.pmd", "MOTION_ADD|m1|base|motion/stand.vmd|FULL|LOOP"],
    send: ["MOTION_DELETE|m1|base"],
    expect: [["MOTION_DELETE|m1|base"], ["MOTION_EVENT_DELETE|m1|base", 500, 600]],
  },
  {
    row: "3 MOTION_* unknown / missing file / bad repeat: echo only",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: [
      "MOTION_DELETE|m1|nosuch",
      "MOTION_ADD|nosuch|a|motion/stand.vmd",
      "MOTION_ADD|m1|a|motion/nosuch.vmd",
      "MOTION_ADD|m1|a",
      "MOTION_ADD|m1|a|motion/stand.vmd|FULL|TWICE",
    ],
    expect: [
      ["MOTION_DELETE|m1|nosuch"],
      ["MOTION_ADD|nosuch|a|motion/stand.vmd"],
      ["MOTION_ADD|m1|a|motion/nosuch.vmd"],
      ["MOTION_ADD|m1|a"],
      ["MOTION_ADD|m1|a|motion/stand.vmd|FULL|TWICE"],
    ],
  },
  {
    row: "3 MOVE_START / a new START while one runs / MOVE_STOP",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOVE_START|m1|0,0,3|GLOBAL|10", "MOVE_START|m1|0,0,6|GLOBAL|10", "MOVE_STOP|m1"],
    expect: [
      ["MOVE_START|m1|0,0,3|GLOBAL|10"],
      ["MOVE_EVENT_START|m1"],
      ["MOVE_START|m1|0,0,6|GLOBAL|10"],
      ["MOVE_EVENT_STOP|m1"],
      ["MOVE_EVENT_START|m1"],
      ["MOVE_STOP|m1"],
      ["MOVE_EVENT_STOP|m1"],
    ],
  },
  {
    row: "3 MOVE_STOP idle, unknown model: echo only",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MOVE_STOP|m1", "TURN_START|nosuch|1,0,0", "ROTATE_START|m1|abc"],
    expect: [["MOVE_STOP|m1"], ["TURN_START|nosuch|1,0,0"], ["ROTATE_START|m1|abc"]],
  },
  {
    row: "3 LIPSYNC_START",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["LIPSYNC_START|m1|a,100,i,100,u,100,e,100,o,100"],
    expect: [["LIPSYNC_START|m1|a,100,i,100,u,100,e,100,o,100"], ["LIPSYNC_EVENT_START|m1"], [
      "LIPSYNC_EVENT_STOP|m1",
      1000,
      1150,
    ]],
  },
  {
    row: "3 LIPSYNC_STOP while running (frame loop)",
    setup: ["MODEL_ADD|m1|Gene_light.pmd", "LIPSYNC_START|m1|a,5000"],
    send: ["LIPSYNC_STOP|m1"],
    expect: [["LIPSYNC_STOP|m1"], ["LIPSYNC_EVENT_STOP|m1", 580, 680]],
  },
  {
    row: "3 LIPSYNC_STOP idle / unknown model: echo only",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["LIPSYNC_STOP|m1", "LIPSYNC_START|nosuch|a,100"],
    expect: [["LIPSYNC_STOP|m1"], ["LIPSYNC_START|nosuch|a,100"]],
  },
  {
    row: "3 MODEL_BINDFACE both forms, BINDBONE both forms",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: [
      "MODEL_BINDFACE|m1|まばたき|1.0",
      "MODEL_BINDFACE|kf|0.0|1.0|m1|い|0.0|1.0",
      "MODEL_BINDBONE|m1|頭|0,0,0|0,30,0",
      "MODEL_BINDBONE|kb|0.0|1.0|m1|首|0,0,0|0,0,0|0,0,0|0,30,0",
    ],
    expect: [
      ["MODEL_BINDFACE|m1|まばたき|1.0"],
      ["MODEL_EVENT_BINDFACE|m1|まばたき"],
      ["MODEL_BINDFACE|kf|0.0|1.0|m1|い|0.0|1.0"],
      ["MODEL_EVENT_BINDFACE|kf|m1|い"],
      ["MODEL_BINDBONE|m1|頭|0,0,0|0,30,0"],
      ["MODEL_EVENT_BINDBONE|m1|頭"],
      ["MODEL_BINDBONE|kb|0.0|1.0|m1|首|0,0,0|0,0,0|0,0,0|0,30,0"],
      ["MODEL_EVENT_BINDBONE|m1|首"],
    ],
  },
  {
    row: "3 MODEL_UNBIND* also when nothing is bound",
    setup: ["MODEL_ADD|m1|Gene_light.pmd"],
    send: ["MODEL_UNBINDFACE|m1|あ", "MODEL_UNBINDBONE|m1|頭"],
    expect: [["MODEL_UNBINDFACE|m1|あ"], ["MODEL_EVENT_UNBINDFACE|m1|あ"], [
      "MODEL_UNBINDBONE|m1|頭",
    ], ["MODEL_EVENT_UNBINDBONE|m1|頭"]],
  },
  {
    row: "3 TEXTURE_SETANIMATIONRATE, MOTIONCAPTURE_*: echo only",
    send: [
      "TEXTURE_SETANIMATIONRATE|g|light/face.png|1.0",
      "MOTIONCAPTURE_START|g|f.vmd",
      "MOTIONCAPTURE_STOP|g",
    ],
    expect: [["TEXTURE_SETANIMATIONRATE|g|light/face.png|1.0"], ["MOTIONCAPTURE_START|g|f.vmd"], [
      "MOTIONCAPTURE_STOP|g",
    ]],
  },
  // Section 4
  {
    row: "4 TEXTAREA_ADD / SET / DELETE",
    send: [
      "TEXTAREA_ADD|ta1|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0",
      "TEXTAREA_SET|ta1|hello world",
      "TEXTAREA_DELETE|ta1",
    ],
    expect: [
      ["TEXTAREA_ADD|ta1|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0"],
      ["TEXTAREA_EVENT_ADD|ta1"],
      ["TEXTAREA_SET|ta1|hello world"],
      ["TEXTAREA_EVENT_SET|ta1"],
      ["TEXTAREA_DELETE|ta1"],
      ["TEXTAREA_EVENT_DELETE|ta1"],
    ],
  },
  {
    row: "4 TEXTAREA_ADD 9 args with unknown parent",
    send: ["TEXTAREA_ADD|ta3|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0|0,0,0|nosuch|nobone"],
    expect: [
      ["TEXTAREA_ADD|ta3|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0|0,0,0|nosuch|nobone"],
      ["TEXTAREA_EVENT_ADD|ta3"],
    ],
  },
  {
    row: "4 TEXTAREA_SET unknown, DELETE unknown: echo only",
    send: ["TEXTAREA_SET|nosuch|x", "TEXTAREA_DELETE|nosuch"],
    expect: [["TEXTAREA_SET|nosuch|x"], ["TEXTAREA_DELETE|nosuch"]],
  },
  {
    row: "4 CAPTION_SETSTYLE 3 fields; 2 fields echo only",
    send: ["CAPTION_SETSTYLE|st1|default|1,1,1,1", "CAPTION_SETSTYLE|st2|default"],
    expect: [["CAPTION_SETSTYLE|st1|default|1,1,1,1"], ["CAPTION_EVENT_SETSTYLE|st1"], [
      "CAPTION_SETSTYLE|st2|default",
    ]],
  },
  {
    row: "4 CAPTION_START 60 frames → +2.0 s",
    setup: ["CAPTION_SETSTYLE|st1|default|1,1,1,1"],
    send: ["CAPTION_START|c1|st1|hello caption|3.0|CENTER|0.8|60"],
    expect: [["CAPTION_START|c1|st1|hello caption|3.0|CENTER|0.8|60"], ["CAPTION_EVENT_START|c1"], [
      "CAPTION_EVENT_STOP|c1",
      1990,
      2050,
    ]],
  },
  {
    row: "4 CAPTION_STOP of a long caption; STOP with nothing shown",
    setup: ["CAPTION_START|c2|_default|long|3.0|CENTER|0.8|9000"],
    send: ["CAPTION_STOP|c2", "CAPTION_STOP|c2"],
    expect: [["CAPTION_STOP|c2"], ["CAPTION_EVENT_STOP|c2"], ["CAPTION_STOP|c2"]],
  },
  {
    row: "4 CAPTION_START unknown style / bad align / 9 fields: echo only",
    send: [
      "CAPTION_START|c|nosuch|t|3.0|CENTER|0.8|60",
      "CAPTION_START|c|_default|t|3.0|MIDDLE|0.8|60",
      "CAPTION_START|c|style_alias|_default|text|lrc|3.0|CENTER|0.8|60",
    ],
    expect: [["CAPTION_START|c|nosuch|t|3.0|CENTER|0.8|60"], [
      "CAPTION_START|c|_default|t|3.0|MIDDLE|0.8|60",
    ], ["CAPTION_START|c|style_alias|_default|text|lrc|3.0|CENTER|0.8|60"]],
  },
  {
    row: "4 PROMPT_SHOW, NOTIFY_SHOW: echo only",
    send: [
      "PROMPT_SHOW|Question?|yes|no",
      "PROMPT_SHOW|Again?|a",
      "NOTIFY_SHOW|notification text|2",
    ],
    expect: [["PROMPT_SHOW|Question?|yes|no"], ["PROMPT_SHOW|Again?|a"], [
      "NOTIFY_SHOW|notification text|2",
    ]],
    runMs: 12000,
  },
  {
    row: "4 INFOTEXT_* → INFOTEXT_EVENT_SHOW with no args",
    send: ["INFOTEXT_STRING|body|Title|OK,Cancel", "INFOTEXT_FILE|info.txt|Title|OK"],
    expect: [["INFOTEXT_STRING|body|Title|OK,Cancel"], ["INFOTEXT_EVENT_SHOW"], [
      "INFOTEXT_FILE|info.txt|Title|OK",
    ], ["INFOTEXT_EVENT_SHOW"]],
  },
  {
    row: "4 BUTTON_ADD / BUTTON_DELETE (frame loop)",
    send: ["BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON", "BUTTON_DELETE|b1"],
    expect: [["BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON"], ["BUTTON_EVENT_ADD|b1"], [
      "BUTTON_DELETE|b1",
    ], ["BUTTON_EVENT_DELETE|b1", 180, 260]],
  },
  {
    row: "4 BUTTON duplicate / bad autoclose / unknown delete: echo only",
    setup: ["BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON"],
    send: [
      "BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON",
      "BUTTON_ADD|b2|1.0|0.5,0.5|logo.png|message,MESSAGE|MAYBE",
      "BUTTON_DELETE|nosuch",
    ],
    expect: [["BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|message,MESSAGE|ON"], [
      "BUTTON_ADD|b2|1.0|0.5,0.5|logo.png|message,MESSAGE|MAYBE",
    ], ["BUTTON_DELETE|nosuch"]],
  },
  {
    row: "4 MENU ADD/SETITEM/DELETEITEM/DELETE; duplicates echo only",
    send: [
      "MENU|ADD|menu1",
      "MENU|SETITEM|menu1|0|label zero|MESSAGE|picked0",
      "MENU|DELETEITEM|menu1|0",
      "MENU|ADD|menu1",
      "MENU|DELETE|menu1",
      "MENU|DELETE|menu1",
    ],
    expect: [
      ["MENU|ADD|menu1"],
      ["MENU_EVENT|ADD|menu1"],
      ["MENU|SETITEM|menu1|0|label zero|MESSAGE|picked0"],
      ["MENU_EVENT|SETITEM|menu1|0"],
      ["MENU|DELETEITEM|menu1|0"],
      ["MENU_EVENT|DELETEITEM|menu1|0"],
      ["MENU|ADD|menu1"],
      ["MENU|DELETE|menu1"],
      ["MENU_EVENT|DELETE|menu1"],
      ["MENU|DELETE|menu1"],
    ],
  },
  {
    row: "4 WINDOWFRAME*, WINDOWOVERLAY*",
    send: [
      "WINDOWFRAME|frame.png",
      "WINDOWFRAME|NONE",
      "WINDOWFRAME_ADD|f1|frame.png",
      "WINDOWFRAME_ADD|f2|nosuch.png",
      "WINDOWFRAME_DELETE|f1",
      "WINDOWFRAME_DELETEALL",
      "WINDOWOVERLAY_ADD|o1|img.png|0.2|0.2|TOPLEFT|0.01",
      "WINDOWOVERLAY_HIDE|o1",
      "WINDOWOVERLAY_SHOW|o1",
      "WINDOWOVERLAY_DELETE|o1",
      "WINDOWOVERLAY_ADD|o2|img.png|0.2|0.2",
      "WINDOWOVERLAY_DELETEALL",
    ],
    expect: [
      ["WINDOWFRAME|frame.png"],
      ["WINDOWFRAME|NONE"],
      ["WINDOWFRAME_ADD|f1|frame.png"],
      ["WINDOWFRAME_EVENT_ADD|f1"],
      ["WINDOWFRAME_ADD|f2|nosuch.png"],
      ["WINDOWFRAME_DELETE|f1"],
      ["WINDOWFRAME_EVENT_DELETE|f1"],
      ["WINDOWFRAME_DELETEALL"],
      ["WINDOWOVERLAY_ADD|o1|img.png|0.2|0.2|TOPLEFT|0.01"],
      ["WINDOWOVERLAY_EVENT_ADD|o1"],
      ["WINDOWOVERLAY_HIDE|o1"],
      ["WINDOWOVERLAY_EVENT_HIDE|o1"],
      ["WINDOWOVERLAY_SHOW|o1"],
      ["WINDOWOVERLAY_EVENT_SHOW|o1"],
      ["WINDOWOVERLAY_DELETE|o1"],
      ["WINDOWOVERLAY_EVENT_DELETE|o1"],
      ["WINDOWOVERLAY_ADD|o2|img.png|0.2|0.2"],
      ["WINDOWOVERLAY_DELETEALL"],
    ],
  },
  {
    row: "4 STAGE, CAMERA, LIGHT*, TRANSPARENT_*, CONFIG_*: echo only",
    send: [
      "STAGE|floor.png,back.bmp",
      "CAMERA|0,10,0|0,0,0|50|27",
      "CAMERA|1,2",
      "LIGHTCOLOR|1.0,0.9,0.8",
      "LIGHTDIRECTION|0.5,1.0,0.5",
      "TRANSPARENT_START|0,1,0",
      "TRANSPARENT_STOP",
      "CONFIG_PARALLELSKINNING_THREADS|2",
    ],
    expect: [
      ["STAGE|floor.png,back.bmp"],
      ["CAMERA|0,10,0|0,0,0|50|27"],
      ["CAMERA|1,2"],
      ["LIGHTCOLOR|1.0,0.9,0.8"],
      ["LIGHTDIRECTION|0.5,1.0,0.5"],
      ["TRANSPARENT_START|0,1,0"],
      ["TRANSPARENT_STOP"],
      ["CONFIG_PARALLELSKINNING_THREADS|2"],
    ],
  },
  // Section 5
  {
    row: "5 MESSAGE|ping → MESSAGE|pong from the FST thread",
    send: ["MESSAGE|ping"],
    expect: [["MESSAGE|ping"], ["MESSAGE|pong", 10, 20]],
  },
  {
    row: "5 SUBFST_START / sub-FST ends in a state with no arcs",
    send: ["SUBFST_START|s1|sub.fst", "MESSAGE|subping"],
    expect: [["SUBFST_START|s1|sub.fst"], ["SUBFST_EVENT_START|s1"], ["MESSAGE|subping"], [
      "MESSAGE|subpong",
      10,
      20,
    ], ["SUBFST_EVENT_STOP|s1", 10, 20]],
  },
  {
    row: "5 SUBFST_STOP; a second one echo only; missing file echo only",
    setup: ["SUBFST_START|s2|sub.fst"],
    send: ["SUBFST_STOP|s2", "SUBFST_STOP|s2", "SUBFST_START_IF|s5|nosuch.fst"],
    expect: [["SUBFST_STOP|s2"], ["SUBFST_EVENT_STOP|s2"], ["SUBFST_STOP|s2"], [
      "SUBFST_START_IF|s5|nosuch.fst",
    ]],
  },
  {
    row: "5 FST_LOAD nosuch.fst: the old FST no longer answers",
    send: ["FST_LOAD|nosuch.fst", "MESSAGE|ping"],
    expect: [["FST_LOAD|nosuch.fst"], ["MESSAGE|ping"]],
  },
  // Section 6
  {
    row: "6 __AV_START / __AV_END are never echoed",
    send: ["__AV_START", "__AV_END", "__AV_END"],
    expect: [["AVATAR|START"], ["AVATAR|END"], ["AVATAR|END"]],
  },
  {
    row: "6 other __AV lines and SND headers: nothing",
    send: [
      "__AV_SETMODEL,av",
      "__AV_EXMORPH,a=1",
      "__AV_UNKNOWNTHING,1,2",
      "SNDSTRM",
      "SNDFILE",
      "SNDBRKS",
    ],
    expect: [],
  },
  {
    row: "6 __AV_ACTION through the shapemap",
    setup: ["MODEL_ADD|av|Gene_light.pmd", "__AV_START", "__AV_SETMODEL,av"],
    send: ["__AV_ACTION,1"],
    expect: [["MOTION_ADD|av|__action0|./motion/01_happy.vmd|PART|ONCE|ON|OFF"], [
      "MOTION_EVENT_ADD|av|__action0",
    ]],
    runMs: 100,
  },
  {
    row: "6 __AV_MESSAGE payloads are issued",
    send: [
      "__AV_MESSAGE,MESSAGE|via_av_message",
      "__AV_MESSAGE,NOPIPE",
      "__AV_MESSAGE,TIMER_START|avt|0.5",
    ],
    expect: [["MESSAGE|via_av_message"], ["NOPIPE"], ["TIMER_START|avt|0.5"], [
      "TIMER_EVENT_START|avt",
    ], ["TIMER_EVENT_STOP|avt", 500, 620]],
  },
  {
    row: "6 AVATAR_CONTROL DISABLE / ENABLE",
    send: ["AVATAR_CONTROL|DISABLE"],
    expect: [["AVATAR_CONTROL|DISABLE"], ["AVATAR|END"], [
      "AVATAR_EVENT_CONTROL|DISABLED",
      800,
      860,
    ]],
  },
  {
    row: "6 AVATAR_CONTROL ENABLE",
    send: ["AVATAR_CONTROL|ENABLE"],
    expect: [["AVATAR_CONTROL|ENABLE"], ["AVATAR|START"], ["AVATAR_EVENT_CONTROL|ENABLED"]],
  },
  {
    row: "6 AVATAR_LOGSAVE_*: echo only",
    send: ["AVATAR_LOGSAVE_START|file", "AVATAR_LOGSAVE_STOP"],
    expect: [["AVATAR_LOGSAVE_START|file"], ["AVATAR_LOGSAVE_STOP"]],
  },
  // Section 7
  {
    row: "7 SYNTH_START without a voice: echo only",
    send: ["SYNTH_START|0|mei_voice_normal|hello", "SYNTH_STOP|mei"],
    expect: [["SYNTH_START|0|mei_voice_normal|hello"], ["SYNTH_STOP|mei"]],
  },
  {
    row: "7 (voice) SYNTH_START with a model: events and lip-sync",
    voice: true,
    setup: ["MODEL_ADD|mei|Gene_light.pmd"],
    // speech.md §2, "Hello world, how are you?": SYNTH_EVENT_START +88 after the echo, the audio
    // 1241 ms, SYNTH_EVENT_STOP +1329, LIPSYNC_EVENT_STOP +1753.
    send: ["SYNTH_START|mei|normal|Hello world, how are you?"],
    expect: [
      ["SYNTH_START|mei|normal|Hello world, how are you?"],
      ["SYNTH_EVENT_START|mei", 50, 150],
      // One vowel per character, summing to the audio length less 190 ms (1060 ms).
      [`LIPSYNC_START|mei|${Array(5).fill("a,42,i,43,u,42,e,43,o,42").join(",")}`, 50, 150],
      ["LIPSYNC_EVENT_START|mei", 50, 150],
      ["SYNTH_EVENT_STOP|mei", 1300, 1400],
      ["LIPSYNC_EVENT_STOP|mei", 1650, 1850],
    ],
    runMs: 3000,
  },
  {
    row: "7 SOUND_START → SOUND_EVENT_START, never a STOP by itself",
    send: ["SOUND_START|snd1|audio.wav"],
    expect: [["SOUND_START|snd1|audio.wav"], ["SOUND_EVENT_START|snd1", 140, 160]],
    runMs: 8000,
  },
  {
    row: "7 SOUND_STOP while playing; missing file and nosuch echo only",
    setup: ["SOUND_START|snd1|audio.wav"],
    send: ["SOUND_STOP|snd1", "SOUND_START|x|nosuch.wav", "SOUND_STOP|nosuch"],
    expect: [["SOUND_STOP|snd1"], ["SOUND_START|x|nosuch.wav"], ["SOUND_STOP|nosuch"], [
      "SOUND_EVENT_STOP|snd1",
      40,
      60,
    ]],
  },
  {
    row: "7 SPEAK_STOP|nosuch → SPEAK_EVENT_STOP",
    send: ["SPEAK_STOP|nosuch"],
    expect: [["SPEAK_STOP|nosuch"], ["SPEAK_EVENT_STOP|nosuch"]],
  },
  {
    row: "7 SPEAK_START with no model, SPEAK_STOP: two SPEAK_EVENT_STOPs",
    send: ["SPEAK_START|0|audio.wav"],
    expect: [
      ["SPEAK_START|0|audio.wav"],
      ["SPEAK_EVENT_START|0"],
      ["SOUND_START|__speak__0|audio.wav", 0, 100],
      ["SOUND_EVENT_START|__speak__0", 100, 250],
      ["SPEAK_EVENT_STOP|0", 5450, 5550],
    ],
    runMs: 7000,
  },
  {
    row: "7 SPEAK_START with a model: AVATAR|START first",
    setup: ["MODEL_ADD|g|Gene_light.pmd"],
    send: ["SPEAK_START|g|audio.wav"],
    expect: [
      ["SPEAK_START|g|audio.wav"],
      ["AVATAR|START"],
      ["SPEAK_EVENT_START|g"],
      ["SOUND_START|__speak__g|audio.wav", 150, 250],
      ["SOUND_EVENT_START|__speak__g", 300, 420],
      ["SPEAK_EVENT_STOP|g", 5450, 5550],
    ],
    runMs: 7000,
  },
  // Section 8
  {
    row: "8 PLUGIN_DISABLE|Variables: VALUE_* echo only; enable again",
    send: [
      "PLUGIN_DISABLE|Variables",
      "VALUE_SET|x|1",
      "PLUGIN_DISABLE|Variables",
      "PLUGIN_ENABLE|Variables",
    ],
    expect: [
      ["PLUGIN_DISABLE|Variables"],
      ["PLUGIN_EVENT_DISABLE|Variables"],
      ["VALUE_SET|x|1"],
      ["PLUGIN_DISABLE|Variables"],
      ["PLUGIN_ENABLE|Variables"],
      ["PLUGIN_EVENT_ENABLE|Variables"],
    ],
  },
  {
    row: "8 PLUGIN_DISABLE|LookAt echo only; ENABLE announces; unknown echo only",
    send: [
      "PLUGIN_DISABLE|LookAt",
      "PLUGIN_ENABLE|LookAt",
      "PLUGIN_ENABLE|NoSuchPlugin",
      "RECOG_MODIFY|GAIN|1.0",
    ],
    expect: [["PLUGIN_DISABLE|LookAt"], ["PLUGIN_ENABLE|LookAt"], ["PLUGIN_EVENT_ENABLE|LookAt"], [
      "PLUGIN_ENABLE|NoSuchPlugin",
    ], ["RECOG_MODIFY|GAIN|1.0"]],
  },
];
