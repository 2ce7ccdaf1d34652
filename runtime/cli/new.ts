/**
 * `mmdbot new <name>`: scaffolds a bot as decisions.md lays it out: the folder `bots/<name>/` with
 * a commented starter `bot.ts` and its own `bot_test.ts` (on the test kit), and an entry in
 * `bots/bots.yaml` appended with the yaml Document API so the file's comments stay as they were.
 */
import type { Command } from "commander";
import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import { BOT_NAME } from "../manifest/schema.ts";
import { fail } from "./program.ts";
import { MmdbotError } from "../errors/error.ts";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_MANIFEST, PROJECT_DIR } from "../paths/project.ts";
import {
  anyScriptCommand,
  anyScriptTrouble,
  denoForPeople,
  RUNTIME_PERMISSIONS,
} from "../paths/invocation.ts";

const ROOT = PROJECT_DIR + "/";
/** The bots folder `new` writes to by default: the project's, whatever the working directory. */
export const DEFAULT_BOTS_DIR: string = dirname(DEFAULT_MANIFEST);

/** What `new` created. */
export interface Scaffold {
  dir: string;
  files: string[];
  manifest: string;
}

/** Why `new` refused: the message says what to do instead. */
export class ScaffoldError extends MmdbotError {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

const MANIFEST_HEADER =
  `# The bots mmdbot runs. Each bot is a folder <name>/ beside this file, holding its bot.ts
# (and its data and test). \`mmdbot new <name>\` adds a folder and an entry here.
bots: {}
`;

/** A relative import specifier from folder `from` to absolute file `to`. */
export function relativeImport(from: string, to: string): string {
  const a = from.replace(/\/+$/, "").split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  const up = a.length - i;
  const rel = [...Array(up).fill(".."), ...b.slice(i)].join("/");
  return up === 0 ? `./${rel}` : rel;
}

function botSource(name: string, mod: string): string {
  return `/**
 * ${name}: a starter bot made by \`mmdbot new\`. Edit it and save: a running mmdbot reloads it.
 *
 * A bot reacts to MMDAgent-EX's messages (\`RECOG_EVENT_STOP|<words>\` when the user has spoken,
 * \`SYNTH_EVENT_STOP|<model>\` when the avatar has finished speaking, …) and sends commands back.
 * It runs in its own sandboxed process: it sees only this folder, and the network, other files or
 * dangerous MMDAgent-EX commands need a grant in bots.yaml.
 */
import { createBot } from "${mod}";

// The model and voice of MMDAgent-EX's example content; change them to match yours.
const MODEL = "mei";
const VOICE = "mei_voice_normal";

// Per-bot state lives in ctx.state (it survives between messages, not reloads).
const bot = createBot({ state: () => ({ heard: 0 }) });

// Handlers by message type get typed, named arguments (ctx.args.result is what the user said).
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").trim();
  if (!/\\bping\\b/i.test(said)) return;
  ctx.state.heard++;
  // speak() puts the text on the avatar's speech floor and resolves with what became of it:
  // finished, interrupted (the user spoke again), refused (another bot answers) or timed-out.
  const r = await ctx.speak(MODEL, VOICE, \`pong number \${ctx.state.heard}\`);
  if (r.status === "timed-out") ctx.log.warn(\`the speech did not end: \${r.reason}\`);
});

// Whole-line regular expressions work too: here the user pressed a key in MMDAgent-EX.
bot.hear(/^KEY\\|(\\w)$/, (ctx) => ctx.log.info(\`key \${ctx.match![1]} pressed\`));

// Timers run on the host's clock (virtual in tests): ctx.after(ms, fn), ctx.every(ms, fn).

export default bot;
`;
}

function testSource(name: string, testing: string): string {
  const deno = denoForPeople();
  return `// ${name}'s own test: \`${deno} test -A bots/${name}/\` or \`${deno} task test\` (in the project folder).
import { createTestRuntime } from "${testing}";

Deno.test("${name} answers ping by voice", async () => {
  await using rt = await createTestRuntime({
    bots: ["${name}"],
    manifest: new URL("../bots.yaml", import.meta.url),
  });
  await rt.say("ping");
  const answer = "SYNTH_START|mei|mei_voice_normal|pong number 1";
  if (!rt.sent().includes(answer)) {
    throw new Error(\`expected \${answer}, sent: \${JSON.stringify(rt.sent())}\`);
  }
  // Time is virtual: the emulated voice finishes speaking within these 10 seconds.
  await rt.advance(10_000);
  if (!rt.received().includes("SYNTH_EVENT_STOP|mei")) throw new Error("the speech did not end");
});
`;
}

/** The message types the starter bot handles (its `on`, `hear` and `speak`'s wait). */
export const STARTER_RECEIVE: readonly string[] = ["RECOG_EVENT_STOP", "SYNTH_EVENT_STOP", "KEY"];

/** Adds the entry for `name` to the manifest text, keeping its comments. */
export function addManifestEntry(text: string, name: string, file: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ScaffoldError(
      `${file} is not valid YAML (${doc.errors[0].message.split("\n")[0]}); fix it ` +
        "(`mmdbot check` shows where), then run `mmdbot new` again",
    );
  }
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  if (!isMap(doc.contents)) {
    throw new ScaffoldError(`${file}: the manifest must be a mapping with a \`bots:\` key`);
  }
  let bots = doc.get("bots");
  if (bots === undefined || bots === null) {
    doc.set("bots", doc.createNode({}));
    bots = doc.get("bots");
  }
  if (!isMap(bots)) {
    throw new ScaffoldError(
      `${file}: \`bots:\` must be a mapping of bot names (it is a ${
        isSeq(bots) ? "list" : typeof bots
      })`,
    );
  }
  const map = bots as YAMLMap;
  if (map.has(name)) {
    throw new ScaffoldError(
      `${file} already has a bot named "${name}"; pick another name, or remove that entry first`,
    );
  }
  map.flow = false;
  // Exactly what the starter bot handles: a type missing here never reaches its handler.
  const entry = doc.createNode({ receive: STARTER_RECEIVE }) as YAMLMap;
  const receive = entry.get("receive", true);
  if (isSeq(receive)) receive.flow = true;
  const pair = doc.createPair(name, entry);
  const key = pair.key as { commentBefore?: string; spaceBefore?: boolean };
  key.spaceBefore = map.items.length > 0;
  key.commentBefore =
    ` Made by \`mmdbot new\`: see ${name}/bot.ts. Grants (permissions:, allow:) go here.`;
  map.add(pair);
  return doc.toString({ lineWidth: 100, flowCollectionPadding: false });
}

/**
 * Creates `<botsDir>/<name>/bot.ts` and `bot_test.ts` and appends the manifest entry.
 * @throws {ScaffoldError} for an invalid or taken name, with the fix.
 */
export async function scaffoldBot(name: string, botsDir: string): Promise<Scaffold> {
  if (!BOT_NAME.test(name)) {
    const suggestion = name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[-_]+/, "");
    throw new ScaffoldError(
      `"${name}" is not a valid bot name: use lower-case letters, digits, "_" and "-", starting ` +
        `with a letter or digit${
          suggestion && BOT_NAME.test(suggestion) ? ` (e.g. mmdbot new ${suggestion})` : ""
        }`,
    );
  }
  const root = resolve(botsDir);
  const dir = join(root, name);
  const manifest = join(root, "bots.yaml");
  try {
    await Deno.lstat(dir);
    throw new ScaffoldError(
      `${dir} already exists; pick another name, or remove that folder if it is left over`,
    );
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(manifest);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    text = MANIFEST_HEADER;
  }
  // Compute the new manifest first: a taken name or broken YAML leaves no folder behind.
  const updated = addManifestEntry(text, name, manifest);
  await Deno.mkdir(dir, { recursive: true });
  const files = [`${dir}/bot.ts`, `${dir}/bot_test.ts`];
  await Deno.writeTextFile(files[0], botSource(name, relativeImport(dir, ROOT + "mod.ts")), {
    createNew: true,
  });
  await Deno.writeTextFile(
    files[1],
    testSource(name, relativeImport(dir, ROOT + "testing.ts")),
    { createNew: true },
  );
  const tmp = `${manifest}.tmp`;
  await Deno.writeTextFile(tmp, updated);
  await Deno.rename(tmp, manifest);
  return { dir, files, manifest };
}

/** The next steps `new` prints; every command works as printed, from any folder. */
export function nextSteps(s: Scaffold, name: string, deno: string = denoForPeople()): string {
  const perms = RUNTIME_PERMISSIONS.join(" ");
  const config = join(PROJECT_DIR, "deno.json");
  const bots = s.manifest === DEFAULT_MANIFEST ? "" : ` --bots ${s.manifest}`;
  const line = anyScriptCommand({ manifest: s.manifest });
  const trouble = anyScriptTrouble(line, [PROJECT_DIR, s.manifest]);
  return `Created ${s.files.join(" and ")}, and added "${name}" to ${s.manifest}.

Next steps:
  1. Edit ${s.files[0]} (it answers "ping"; the comments show the API).
  2. Test it:   ${deno} test --no-prompt --config ${config} ${perms} ${s.dir}/
  3. Try it:    ${deno} task --config ${config} start${bots}     (console mode: type "ping")
  4. With MMDAgent-EX, as a Plugin_AnyScript child, add this line to your content's .mdf
     (all paths absolute, so it works in any content folder):
Plugin_AnyScript_Command=${line}${
    trouble
      ? `

  Warning: ${trouble}`
      : ""
  }`;
}

const HELP_AFTER = `
Examples:
  mmdbot new weather                 # bots/weather/bot.ts + bot_test.ts, entry in bots/bots.yaml
                                     # (the project's bots/ folder, whatever the working directory)
  mmdbot new weather --dir my-bots   # in another bots folder (its bots.yaml is created if needed)

Names: lower-case letters, digits, "_" and "-", starting with a letter or digit.
`;

/** Adds `new` to the program. */
export function register(program: Command): void {
  program
    .command("new")
    .description(
      "create a bot: its folder with a starter bot.ts and a test, and its manifest entry",
    )
    .argument("<name>", "the bot's name (its folder's name)")
    .option("--dir <folder>", "the bots folder holding bots.yaml", DEFAULT_BOTS_DIR)
    .addHelpText("after", HELP_AFTER)
    .action(async (name: string, opts: { dir: string }) => {
      try {
        const s = await scaffoldBot(name, opts.dir);
        console.log(nextSteps(s, name));
      } catch (err) {
        console.error(`mmdbot new: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      }
    });
}
