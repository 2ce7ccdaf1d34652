import { assert, assertEquals, assertIncludes, assertMatch } from "../assert.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).href;

const GOOD = `import { createBot } from "${MOD}";
const bot = createBot();
bot.hear(/^PING$/, (ctx) => ctx.sendRaw("PONG").then(() => {}));
export default bot;
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`check …`) in `cwd` (the repository by default). In another folder it checks
 * that folder's `bots/bots.yaml` (passed as a relative `--bots`, which resolves against the working
 * directory), since the default is the project's own manifest whatever the working directory.
 */
async function check(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; noDefaultBots?: boolean } = {},
): Promise<Run> {
  if (opts.cwd && !opts.noDefaultBots && !args.some((a) => a === "--bots" || a === "--no-bots")) {
    args = [...args, "--bots", "bots/bots.yaml"];
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "-A",
      "--config",
      ROOT + "deno.json",
      ROOT + "runtime/cli/main.ts",
      "check",
      ...args,
    ],
    cwd: opts.cwd ?? ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...opts.env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temp project: `bots/bots.yaml` with `manifest`, and `bots/<name>/bot.ts` per source. */
async function project(manifest: string, bots: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-check-bots-" });
  await Deno.mkdir(`${dir}/bots`);
  await Deno.writeTextFile(`${dir}/bots/bots.yaml`, manifest);
  for (const [name, source] of Object.entries(bots)) {
    await Deno.mkdir(`${dir}/bots/${name}`);
    await Deno.writeTextFile(`${dir}/bots/${name}/bot.ts`, source);
  }
  return dir;
}

/** The level this machine gives bots, as `check` will detect it. */
async function expectedLevel(): Promise<string> {
  const force = Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined;
  return (await detectSandbox({ force })).level;
}

Deno.test("check fails on a manifest YAML error, naming bots/bots.yaml:line:col", async () => {
  const dir = await project("bots:\n  greeter:\n    receive: [A, B\n  qa: {}\n", { greeter: GOOD });
  try {
    const r = await check([], { cwd: dir });
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertMatch(r.stdout, /^bots\/bots\.yaml:\d+:\d+: error: YAML syntax: .*\(fix: /m);
    assertIncludes(r.stdout, "no bot was checked");
    assertIncludes(r.stdout, "FAILED: ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check fails on an unknown manifest key, naming bots/bots.yaml:line:col and the likely key", async () => {
  const dir = await project("bots:\n  greeter:\n    recieve: [RECOG_EVENT_STOP]\n", {
    greeter: GOOD,
  });
  try {
    const r = await check([], { cwd: dir });
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertIncludes(r.stdout, 'bots/bots.yaml:3:5: error: unknown key "recieve"');
    assertIncludes(r.stdout, 'did you mean "receive"?');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check fails on a bot with a syntax error and one with a type error, naming bots/<x>/bot.ts:line:col", async () => {
  const dir = await project("bots:\n  good: {}\n  syntax: {}\n  typed: {}\n", {
    good: GOOD,
    syntax: GOOD.replace("createBot();", "createBot(;"),
    typed: GOOD.replace("const bot", 'const n: number = "x";\nconst bot'),
  });
  try {
    const r = await check([], { cwd: dir });
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertMatch(r.stdout, /^bots\/syntax\/bot\.ts:2:23: error: syntax: .*SyntaxError/m);
    assertMatch(
      r.stdout,
      /^bots\/typed\/bot\.ts:2:7: error: typed: TS2322: Type 'string' is not assignable/m,
    );
    assertEquals(r.stdout.includes("bots/good/"), false, "the good bot has no finding");
    assertIncludes(r.stdout, "Failed: syntax, typed (see the findings).");
    assertIncludes(r.stdout, "FAILED: 2 errors");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check passes a good manifest and prints each bot's isolation level", async () => {
  const dir = await project("bots:\n  one: {}\n  two:\n    permissions:\n      write: [.]\n", {
    one: GOOD,
    two: GOOD,
  });
  try {
    const level = await expectedLevel();
    const r = await check([], { cwd: dir });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(
      r.stdout,
      new RegExp(`^  one: ${level} \\(.*own folder read-only, no network\\)$`, "m"),
    );
    assertMatch(
      r.stdout,
      new RegExp(`^  two: ${level} \\(.*own folder read-write, no network\\)$`, "m"),
    );
    assertIncludes(r.stdout, "All 2 bots type-check and load.");
    if (level === "deno") assertIncludes(r.stdout, "WARNING: bots run with WEAKER isolation");
    else assertEquals(r.stdout.includes("WEAKER"), false);

    const json = JSON.parse((await check(["--json"], { cwd: dir })).stdout);
    const bots = json.sections.find((s: { title: string }) => s.title.startsWith("Bots"));
    assertEquals(bots.bots, [
      { name: "one", level, typeChecked: true, loaded: true },
      { name: "two", level, typeChecked: true, loaded: true },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check with isolation: os and MMDBOT_SANDBOX=deno fails with the bubblewrap fix", async () => {
  const dir = await project("bots:\n  easy: {}\n  strict:\n    isolation: os\n", {
    easy: GOOD,
    strict: GOOD,
  });
  try {
    const r = await check([], { cwd: dir, env: { MMDBOT_SANDBOX: "deno" } });
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertIncludes(r.stdout, "WARNING: bots run with WEAKER isolation");
    assertMatch(r.stdout, /^ {2}easy: deno \(WEAKER: /m);
    assertMatch(r.stdout, /^ {2}strict: NOT STARTED \(bot "strict" requires isolation: os/m);
    const line = r.stdout.split("\n").find((l) => l.startsWith("bots/bots.yaml:3: error: "));
    assert(line, r.stdout);
    assertIncludes(line, "requires isolation: os, but the OS sandbox is not available here");
    assertIncludes(line, '(fix: install bwrap (Debian/Ubuntu package "bubblewrap"');
    assertIncludes(r.stdout, "FAILED: 1 error");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check in any folder checks the project's manifest; a missing --bots manifest is an error with its absolute path; --no-bots skips", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-check-bots-" });
  try {
    const anywhere = await check(["--json"], { cwd: dir, noDefaultBots: true });
    const bots = JSON.parse(anywhere.stdout).sections.find((s: { title: string }) =>
      s.title.startsWith("Bots")
    );
    assertEquals(bots.title, `Bots (${ROOT}bots/bots.yaml)`);
    assert(bots.bots.some((b: { name: string }) => b.name === "greeter"), anywhere.stdout);

    const loud = await check(["--bots", "my.yaml"], { cwd: dir });
    assertEquals(loud.code, 1, loud.stdout + loud.stderr);
    assertIncludes(
      loud.stdout,
      `my.yaml:1:1: error: cannot read the bot manifest: file not found: ${dir}/my.yaml`,
    );

    const skipped = await check(["--no-bots"], { cwd: dir });
    assertEquals(skipped.code, 0);
    assertEquals(skipped.stdout.includes("Bots ("), false, skipped.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check examples/tcp-server.mdf in the repository lists greeter, qa, clock, notes, storyteller, chime and tone with their levels", async () => {
  const level = await expectedLevel();
  const r = await check(["examples/tcp-server.mdf"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  for (const name of ["greeter", "qa", "clock", "notes", "storyteller", "chime", "tone"]) {
    assertMatch(r.stdout, new RegExp(`^  ${name}: ${level} \\(`, "m"));
  }
  // The chat example is off by default: listed, type-checked, never started.
  assertMatch(r.stdout, /^ {2}chat: disabled \(enabled: false\), would run at /m);
  assertIncludes(r.stdout, "All 8 bots type-check and load.");
});
