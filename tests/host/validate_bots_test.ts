import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  loadBot,
  mapLimit,
  parseDenoCheck,
  validateBots,
} from "../../runtime/host/validate_bots.ts";
import { buildLaunch } from "../../runtime/sandbox/launch.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import { launchSpecOf } from "../../runtime/host/host.ts";
import { botSpec } from "./helpers.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const GOOD = `import { createBot } from "${MOD}";
const bot = createBot();
bot.hear(/^PING$/, (ctx) => ctx.sendRaw("PONG").then(() => {}));
export default bot;
`;

/** Writes bots (name → source) into a fresh temp folder; returns the folder. */
async function botsIn(sources: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mmdbot-validate-" });
  for (const [name, source] of Object.entries(sources)) {
    await Deno.mkdir(`${root}/${name}`);
    await Deno.writeTextFile(`${root}/${name}/bot.ts`, source);
  }
  return root;
}

Deno.test("validateBots: a good bot type-checks and loads; a type error and a syntax error are located at bot.ts:line:col", async () => {
  const root = await botsIn({
    good: GOOD,
    typed: GOOD.replace("const bot", 'const n: number = "x";\nconst bot'),
    broken: GOOD.replace("createBot();", "createBot(;"),
  });
  try {
    const detected = await detectSandbox();
    const spec = (n: string) => botSpec(n, `${root}/${n}`);
    const checks = await validateBots(
      { file: `${root}/bots.yaml`, bots: [spec("good"), spec("typed"), spec("broken")] },
      { detected },
    );
    assertEquals(checks.map((c) => c.name), ["good", "typed", "broken"], "manifest order kept");
    const [good, typed, broken] = checks;

    assertEquals(good.problems, []);
    assertEquals([good.typeChecked, good.loaded], [true, true]);
    assertEquals(good.level, detected.level);
    assertMatch(good.line, new RegExp(`^good: ${detected.level} \\(`));

    // --no-check at run time: the type error loads fine but fails the type check.
    assertEquals([typed.typeChecked, typed.loaded], [false, true]);
    assertEquals(typed.problems.length, 1, JSON.stringify(typed.problems));
    assertEquals(typed.problems[0].code, "type-error");
    assertEquals(typed.problems[0].file, `${root}/typed/bot.ts`);
    assertEquals([typed.problems[0].line, typed.problems[0].col], [2, 7]);
    assertMatch(typed.problems[0].message, /^TS2322: Type 'string' is not assignable/);

    // A syntax error fails both checks at the same place and is reported once.
    assertEquals([broken.typeChecked, broken.loaded], [false, false]);
    assertEquals(broken.problems.length, 1, JSON.stringify(broken.problems));
    assertEquals(broken.problems[0].file, `${root}/broken/bot.ts`);
    assertEquals(broken.problems[0].line, 2);
    assertMatch(broken.problems[0].message, /SyntaxError/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadBot starts the real bot process: a module without a default bot is a load error with the fix", async () => {
  const root = await botsIn({
    nodefault: `import { createBot } from "${MOD}";\nexport const bot = createBot();\n`,
    throws: `throw new RangeError("boom at load");\nexport default 1;\n`,
  });
  try {
    const detected = await detectSandbox();
    const load = (n: string) => {
      const spec = botSpec(n, `${root}/${n}`);
      return loadBot(spec, buildLaunch(launchSpecOf(spec), detected));
    };
    const nodefault = await load("nodefault");
    assert(nodefault, "a module without a default export must not load");
    assertEquals(nodefault.code, "load-error");
    assertMatch(nodefault.message, /no default export made with createBot\(\)/);
    assertMatch(nodefault.fix, /export default bot/);

    const throws = await load("throws");
    assert(throws, "a module that throws at load must not load");
    assertEquals(throws.file, `${root}/throws/bot.ts`);
    assertEquals([throws.line, throws.col], [1, 7]);
    assertMatch(throws.message, /RangeError: boom at load/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateBots: isolation: os at the weaker level is refused with the bubblewrap fix, and not loaded", async () => {
  const root = await botsIn({ strict: GOOD });
  try {
    const detected = await detectSandbox({ force: "deno" });
    const spec = botSpec("strict", `${root}/strict`, {
      isolation: "os",
      origin: { file: "bots.yaml", line: 7 },
    });
    const [check] = await validateBots({ file: `${root}/bots.yaml`, bots: [spec] }, {
      detected,
      typeCheck: false,
    });
    assertEquals(check.level, undefined);
    assertEquals(check.loaded, undefined, "a refused bot is not started");
    assertMatch(check.line, /^strict: NOT STARTED \(/);
    assertEquals(check.problems.length, 1);
    const p = check.problems[0];
    assertEquals([p.code, p.file, p.line], ["isolation-unavailable", "bots.yaml", 7]);
    assertMatch(p.message, /requires isolation: os/);
    assertMatch(p.fix, /apt-get install bubblewrap/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("parseDenoCheck reads TS errors and plain errors with their file:line:col", () => {
  const text = [
    "TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.",
    'const n: number = "x";',
    "      ^",
    "    at file:///b/x/bot.ts:3:7",
    "",
    "TS2307 [ERROR]: Cannot find module 'file:///b/x/nothere.ts'.",
    "    at file:///b/x/bot.ts:1:15",
    "",
    "Found 2 errors.",
    "",
    "error: Type checking failed.",
    "error: Something without a place",
  ].join("\n");
  const found = parseDenoCheck(text, "/b/x/bot.ts");
  assertEquals(
    found.map((p) => [p.file, p.line, p.col, p.message.slice(0, 6)]),
    [
      ["/b/x/bot.ts", 3, 7, "TS2322"],
      ["/b/x/bot.ts", 1, 15, "TS2307"],
      ["/b/x/bot.ts", 0, 0, "Someth"],
    ],
  );
  assertMatch(found[1].fix, /import path/);
});

Deno.test("mapLimit never runs more than the limit at once and keeps the order", async () => {
  let running = 0;
  let peak = 0;
  const out = await mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return n * 10;
  });
  assertEquals(out, [10, 20, 30, 40, 50]);
  assertEquals(peak, 2);
});
