/**
 * Record → replay round trips: a session recorded from the test kit (real bot processes, the
 * in-process emulator) replays with no difference; a changed bot reports one, through the real CLI.
 */
import { equal, ok } from "node:assert/strict";
import { createTestRuntime } from "../../testing.ts";
import { readRecording } from "../../runtime/record/read.ts";
import { replay } from "../../runtime/session/replay.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MOD = ROOT + "mod.ts";

function tinyBot(reply: string, delayMs: number): string {
  return `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (ctx.args.result !== "hello") return;
  await ctx.speak("mei", "mei_voice_normal", "${reply}");
  ctx.after(${delayMs}, () => void ctx.send("MESSAGE", "later"));
});
export default bot;
`;
}

async function tempBots(reply: string, delayMs = 500): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-replay-" });
  await Deno.mkdir(`${dir}/tiny`);
  await Deno.writeTextFile(`${dir}/tiny/bot.ts`, tinyBot(reply, delayMs));
  await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  tiny: {}\n");
  return dir;
}

async function recordTiny(dir: string, file: string): Promise<void> {
  await using rt = await createTestRuntime({ bots: `${dir}/bots.yaml`, record: file });
  await rt.say("hello");
  await rt.advance(20_000);
  await rt.say("something else");
  await rt.advance(1_000);
}

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", ROOT + "runtime/cli/main.ts", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("a session of the example bots recorded by the test kit replays with no difference", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-replay-" });
  const file = `${dir}/examples.jsonl`;
  const manifest = ROOT + "bots/bots.yaml";
  try {
    {
      await using rt = await createTestRuntime({
        bots: manifest,
        record: file,
        startTime: Date.UTC(2025, 0, 1, 9, 0),
      });
      await rt.say("hello");
      await rt.advance(15_000);
      await rt.say("how is the weather");
      await rt.advance(15_000);
      await rt.say("set a timer for 5 seconds");
      await rt.advance(20_000);
    }
    const records = await readRecording(file);
    const outs = records.filter((r) => r.dir === "out").map((r) => r.line);
    ok(outs.some((l) => l.endsWith("|Your 5 seconds timer is done!")), outs.join("\n"));
    ok(records.some((r) => r.dir === "in" && r.echo && r.bot === "greeter"), "echoes are marked");
    const result = await replay(records, { manifest, label: file });
    equal(result.diff, "");
    ok(result.equal);
    equal(result.actual.length, outs.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay CLI: exit 0 when the bot is unchanged, 1 with a diff when its answer changed, 0 after --update", async () => {
  const dir = await tempBots("hi there");
  const file = `${dir}/golden.jsonl`;
  try {
    await recordTiny(dir, file);
    const same = await cli("replay", file, "--bots", `${dir}/bots.yaml`);
    equal(same.code, 0, same.stdout + same.stderr);
    ok(same.stdout.includes("no difference"), same.stdout);

    await Deno.writeTextFile(`${dir}/tiny/bot.ts`, tinyBot("howdy", 500));
    const changed = await cli("replay", file, "--bots", `${dir}/bots.yaml`);
    equal(changed.code, 1, changed.stdout + changed.stderr);
    ok(changed.stdout.includes("--- recorded"), changed.stdout);
    ok(changed.stdout.includes("- SYNTH_START|mei|mei_voice_normal|hi there"), changed.stdout);
    ok(changed.stdout.includes("+ SYNTH_START|mei|mei_voice_normal|howdy"), changed.stdout);
    ok(changed.stderr.includes("--update"), changed.stderr);

    const updated = await cli("replay", file, "--bots", `${dir}/bots.yaml`, "--update");
    equal(updated.code, 0, updated.stdout + updated.stderr);
    const again = await cli("replay", file, "--bots", `${dir}/bots.yaml`);
    equal(again.code, 0, again.stdout + again.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("timing is ignored by default and compared within the tolerance when asked", async () => {
  const dir = await tempBots("hi there", 500);
  const file = `${dir}/golden.jsonl`;
  try {
    await recordTiny(dir, file);
    await Deno.writeTextFile(`${dir}/tiny/bot.ts`, tinyBot("hi there", 800));
    const records = await readRecording(file);
    const manifest = `${dir}/bots.yaml`;
    ok((await replay(records, { manifest })).equal, "timing counted by default");
    ok((await replay(records, { manifest, timingToleranceMs: 500 })).equal, "within tolerance");
    const strict = await replay(records, { manifest, timingToleranceMs: 100 });
    equal(strict.equal, false);
    ok(/~ MESSAGE\|later +\(recorded at \d+ ms, replayed at \d+ ms/.test(strict.diff), strict.diff);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay starts its clock at the recording's own start time: a bot that says the time says what it said then, and --update keeps that time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-replay-" });
  const file = `${dir}/golden.jsonl`;
  const start = Date.UTC(2025, 5, 1, 12, 34, 56);
  try {
    await Deno.mkdir(`${dir}/when`);
    await Deno.writeTextFile(
      `${dir}/when/bot.ts`,
      `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", (ctx) => void ctx.send("MESSAGE", "now " + new Date(ctx.now()).toISOString()));
export default bot;
`,
    );
    await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  when: {}\n");
    {
      await using rt = await createTestRuntime({
        bots: `${dir}/bots.yaml`,
        record: file,
        startTime: start,
      });
      await rt.advance(2_000);
      await rt.say("what time is it");
      await rt.advance(1_000);
    }
    const records = await readRecording(file);
    const said = records.find((r) => r.dir === "out" && r.bot === "when");
    // The recording carries the time the bot saw (the test kit's virtual time), not this machine's.
    ok(said?.line.startsWith("MESSAGE|now 2025-06-01T12:34:5"), JSON.stringify(said));
    equal(records[0].time.slice(0, 10), "2025-06-01", JSON.stringify(records[0]));
    const result = await replay(records, { manifest: `${dir}/bots.yaml` });
    ok(result.equal, result.diff);
    equal(result.actual[0].line, said!.line);

    const updated = await cli("replay", file, "--bots", `${dir}/bots.yaml`, "--update");
    equal(updated.code, 0, updated.stdout + updated.stderr);
    const again = await readRecording(file);
    const rewritten = again.find((r) => r.dir === "out" && r.bot === "when");
    equal(rewritten?.line, said!.line);
    equal(rewritten?.time.slice(0, 10), "2025-06-01");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad recording makes the replay CLI exit 1 with file:line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-replay-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"t":0}\n');
    const r = await cli("replay", `${dir}/bad.jsonl`);
    equal(r.code, 1);
    ok(r.stderr.includes(`${dir}/bad.jsonl:1: not a traffic record`), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
