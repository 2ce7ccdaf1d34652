import { assert } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { ANSWER_CASES } from "./answers_fixture.ts";
import { makeContent } from "./content.ts";

const enc = new TextEncoder();
const dir = await makeContent();

for (const c of ANSWER_CASES) {
  Deno.test(`answers.md ${c.row}`, async () => {
    const clock = new VirtualClock(1_000_000);
    const emu = new Emulator({
      clock,
      contentDir: dir,
      fstFile: `${dir}/main.fst`,
      voice: c.voice ?? false,
      currentTime: false,
    });
    const seen: { line: string; at: number }[] = [];
    emu.onOutput((line) => seen.push({ line, at: clock.now() }));
    emu.connect(0, "127.0.0.1");
    try {
      for (const l of c.setup ?? []) {
        emu.receive(enc.encode(l + "\n"), 0);
        await clock.advance(1000);
      }
      await clock.advance(500);
      seen.length = 0;
      const t0 = clock.now();
      for (const l of c.send) emu.receive(enc.encode(l + "\n"), 0);
      await clock.advance(c.runMs ?? 3000);
      const got = seen.filter((s) => !s.line.startsWith("AVATAR_EVENT_IDLE"));
      const report = () =>
        `expected:\n  ${c.expect.map((e) => e.join(" ")).join("\n  ")}\ngot:\n  ${
          got.map((g) => `${g.line} +${g.at - t0}`).join("\n  ")
        }`;
      assert(got.length === c.expect.length, `line count differs\n${report()}`);
      c.expect.forEach((e, i) => {
        const [line, min, max] = e.length === 1 ? [e[0], 0, 5] : e;
        const dt = got[i].at - t0;
        assert(got[i].line === line, `line ${i} differs\n${report()}`);
        assert(
          dt >= min && dt <= max,
          `line ${i} at +${dt} ms, not in [${min}, ${max}]\n${report()}`,
        );
      });
    } finally {
      emu.close();
    }
  });
}

Deno.test("answers.md 1: AVATAR_EVENT_IDLE|START after 15 s of silence, STOP after the next echo", async () => {
  const clock = new VirtualClock(0);
  const emu = new Emulator({ clock, contentDir: dir, currentTime: false });
  const seen: string[] = [];
  emu.onOutput((l) => seen.push(l));
  emu.connect(0, "127.0.0.1");
  await clock.advance(14_900);
  assert(!seen.includes("AVATAR_EVENT_IDLE|START"), "idle too early");
  await clock.advance(200);
  assert(seen.includes("AVATAR_EVENT_IDLE|START"), "no idle start");
  emu.receive(enc.encode("MESSAGE|hi\n"), 0);
  await clock.advance(100);
  assert(seen.join(",").endsWith("MESSAGE|hi,AVATAR_EVENT_IDLE|STOP"), seen.join(","));
  emu.close();
});

Deno.test("cleanup content folder", async () => {
  await Deno.remove(dir, { recursive: true });
});
