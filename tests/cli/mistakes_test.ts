/** `check` and `start` speak about mistakes that used to be silent, through the real CLI. */
import { assertEquals, assertIncludes, assertMatch } from "../assert.ts";
import { mmdbot } from "./child.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const TYPO = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STPO", (ctx) => ctx.sendRaw("SYNTH_STRAT|mei|v|hi").then(() => {}));
bot.hear(/^KEY\\|/, () => {});
export default bot;
`;

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-mistakes-" });
  await Deno.mkdir(`${dir}/bots/typo`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/bots/bots.yaml`,
    "bots:\n  typo:\n    receive: [RECOG_EVENT_STOP]\n",
  );
  await Deno.writeTextFile(`${dir}/bots/typo/bot.ts`, TYPO);
  return dir;
}

Deno.test("check warns at file:line:col about a misspelt type, a misspelt sent line and a hear its receive list filters out", async () => {
  const dir = await project();
  try {
    const r = await mmdbot(["check", "--bots", "bots/bots.yaml"], { cwd: dir, input: "" });
    assertEquals(r.code, 0, "warnings do not fail the check:\n" + r.stdout + r.stderr);
    assertMatch(
      r.stdout,
      /^bots\/typo\/bot\.ts:3:8: warning: .*"RECOG_EVENT_STPO".*\(fix: did you mean RECOG_EVENT_STOP\?\)$/m,
    );
    assertMatch(
      r.stdout,
      /^bots\/typo\/bot\.ts:3:\d+: warning: .*"SYNTH_STRAT".*did you mean SYNTH_START\?/m,
    );
    assertMatch(
      r.stdout,
      /^bots\/typo\/bot\.ts:4:\d+: warning: .*filters KEY out.*\(fix: add KEY to receive: at bots\/bots\.yaml:3\)$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start logs the same warnings before the bots run", async () => {
  const dir = await project();
  try {
    const r = await mmdbot(["start", "--no-watch", "--bots", "bots/bots.yaml"], {
      cwd: dir,
      input: "hello\n",
    });
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(r.stderr, "did you mean RECOG_EVENT_STOP?");
    assertIncludes(r.stderr, "add KEY to receive: at bots/bots.yaml:3");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
