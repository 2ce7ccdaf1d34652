import { assert, assertEquals } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { makeContent } from "./content.ts";

const enc = new TextEncoder();
const dir = await makeContent();

async function run(lines: string[], mode: "recover" | "crash", fst = true) {
  const clock = new VirtualClock(0);
  const emu = new Emulator({
    clock,
    contentDir: dir,
    fstFile: fst ? `${dir}/main.fst` : undefined,
    mode,
    currentTime: false,
  });
  const seen: string[] = [];
  emu.onOutput((l) => seen.push(l));
  emu.connect(0, "127.0.0.1");
  for (const l of lines) {
    emu.receive(enc.encode(l + "\n"), 0);
    await clock.advance(100);
  }
  emu.close();
  return { emu, seen };
}

const TRIGGERS: { name: string; lines: string[]; fst?: boolean; effect: "dead" | "hung" }[] = [
  {
    name: "TEXTAREA_SET with an empty text",
    lines: ["TEXTAREA_ADD|ta1|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0", "TEXTAREA_SET|ta1|"],
    effect: "dead",
  },
  {
    name: "FST_LOAD without a start-up FST",
    lines: ["FST_LOAD|main.fst"],
    fst: false,
    effect: "dead",
  },
  {
    name: "SUBFST_START without a start-up FST",
    lines: ["SUBFST_START|a|sub.fst"],
    fst: false,
    effect: "dead",
  },
  {
    name: "BUTTON_ADD with an action lacking a known prefix",
    lines: ["BUTTON_ADD|b1|1.0|0.5,0.5|logo.png|MESSAGE|ON"],
    effect: "dead",
  },
  {
    name: "VALUE_UNSET in the middle of the list, then a lookup past it",
    lines: ["VALUE_SET|a|1", "VALUE_SET|b|2", "VALUE_SET|c|3", "VALUE_UNSET|b", "VALUE_GET|c"],
    effect: "hung",
  },
];

for (const t of TRIGGERS) {
  Deno.test(`strict mode flags the crash trigger: ${t.name}`, async () => {
    const { emu, seen } = await run(t.lines, "recover", t.fst ?? true);
    assert(emu.faults.length >= 1, "no fault reported");
    assertEquals(emu.status, "running");
    assert(seen.length > 0);
  });
  Deno.test(`--strict=crash simulates the effect: ${t.name}`, async () => {
    const { emu, seen } = await run([...t.lines, "MESSAGE|after"], "crash", t.fst ?? true);
    assertEquals(emu.status, t.effect);
    assert(!seen.includes("MESSAGE|after"), "answered after the fatal line");
  });
}

Deno.test("the VALUE_UNSET hang swallows the echo of the hanging line", async () => {
  const { seen } = await run(
    ["VALUE_SET|a|1", "VALUE_SET|b|2", "VALUE_SET|c|3", "VALUE_UNSET|b", "VALUE_GET|c"],
    "crash",
  );
  assertEquals(seen.slice(-2), ["VALUE_UNSET|b", "VALUE_EVENT_UNSET|b"]);
});

Deno.test("TEXTAREA_SET's crash comes after its echo", async () => {
  const { seen } = await run(
    ["TEXTAREA_ADD|ta1|2.0,1.0|0.5,0.05,1.0|0,0,0,0.5|1,1,1,1|0,10,0", "TEXTAREA_SET|ta1|"],
    "crash",
  );
  assertEquals(seen.at(-1), "TEXTAREA_SET|ta1|");
});

Deno.test("clean traffic reports no fault", async () => {
  const { emu } = await run(["VALUE_SET|a|1", "TIMER_START|t|0.1", "MESSAGE|ping"], "crash");
  assertEquals(emu.faults, []);
});

Deno.test("cleanup crash trigger content", async () => {
  await Deno.remove(dir, { recursive: true });
});
