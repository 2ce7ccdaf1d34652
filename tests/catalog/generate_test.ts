import { CATALOG } from "../../runtime/catalog/messages.gen.ts";
import {
  fieldName,
  generate,
  type RawMessage,
  SOURCE_URL,
  TARGET_URL,
  typeIdentifier,
} from "../../runtime/catalog/generate.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

// The reference catalog sits beside the repository (../shared); a clean clone on CI may lack it.
const source = await Deno.readTextFile(SOURCE_URL).catch(() => undefined);

Deno.test({
  name: "regenerating messages.gen.ts from messages.json gives the committed file byte for byte",
  ignore: source === undefined,
  fn: async () => {
    const committed = await Deno.readTextFile(TARGET_URL);
    const fresh = generate(JSON.parse(source!) as RawMessage[]);
    if (fresh !== committed) {
      const a = fresh.split("\n"), b = committed.split("\n");
      const i = a.findIndex((l, n) => l !== b[n]);
      throw new Error(`messages.gen.ts drifted at line ${i + 1}: run \`deno task gen\` and commit`);
    }
  },
});

Deno.test({
  name: "the generated CATALOG holds every messages.json entry with its direction and args",
  ignore: source === undefined,
  fn: () => {
    const raw = JSON.parse(source!) as RawMessage[];
    assert(Object.keys(CATALOG).length === raw.length, "message count differs");
    for (const m of raw) {
      const e = (CATALOG as Record<string, typeof CATALOG[keyof typeof CATALOG]>)[m.name];
      assert(e && e.direction === m.direction, `${m.name} missing or wrong direction`);
      assert(e.args.map((a) => a.name).join("\n") === m.args.map((a) => a.name).join("\n"), m.name);
    }
  },
});

Deno.test("generate is deterministic and refuses duplicate message names", () => {
  const msgs: RawMessage[] = [
    { name: "A_B", direction: "command", args: [{ name: "x,y,z", optional: false }], summary: "s" },
    { name: "A_EVENT", direction: "event", args: [], summary: "t" },
  ];
  assert(generate(msgs) === generate(structuredClone(msgs)), "two runs differ");
  let threw = false;
  try {
    generate([...msgs, msgs[0]]);
  } catch {
    threw = true;
  }
  assert(threw, "duplicate accepted");
});

Deno.test("a | inside an arg name becomes one field with alternatives, not two fields", () => {
  const start = CATALOG.CAPTION_START.args;
  assert(start.length === 7, "CAPTION_START should have 7 fields");
  assert(start[1].alternatives?.join(",") === "style_alias,_default", "alternatives lost");
  assert(start[1].field === "styleAliasOrDefault", `field ${start[1].field}`);
  assert(fieldName("x,y,z|camera_motion_file") === "positionOrCameraMotionFile", "camera field");
  assert(typeIdentifier("__AV_START") === "AvStart", "identifier");
  assert(typeIdentifier("RECOG_EVENT_STOP") === "RecogEventStop", "identifier");
});

Deno.test("messages.gen.ts imports nothing, so --no-npm bot processes can load it", async () => {
  const text = await Deno.readTextFile(TARGET_URL);
  assert(!/^\s*(import|export \* from|export \{[^}]*\} from)/m.test(text), "has an import");
  assert(!text.includes("npm:"), "mentions npm:");
});
