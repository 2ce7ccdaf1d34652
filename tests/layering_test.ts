/**
 * The architecture map is true and stays true: reads the real module graph (`deno info --json` on
 * the entry points and every file under runtime/) and fails when a room imports a room its rule
 * does not allow, when a room has no rule, when a bot-side room reaches npm, when anything imports
 * cli/, or when README.md's map says something else than {@link ROOMS}.
 *
 * To add a room or an arrow: add or extend ONE line of ROOMS below, and the matching row of the
 * README's architecture table (its "may import" cell lists the same rooms, as `room/`; `nothing`;
 * `everything but` and the rooms; `everything`).
 */
import { assert } from "./assert.ts";

/**
 * What each room (folder under runtime/, or a root entry file) may import, besides `errors/`, the
 * leaf every room may use. `*`: anything; `{ except }`: anything but those.
 */
export const ROOMS: Record<
  string,
  { may: readonly string[] | "*" | { except: readonly string[] }; npm?: false }
> = {
  // leaves
  errors: { may: [] },
  clock: { may: [] },
  log: { may: [] },
  paths: { may: [] },
  text: { may: [] },
  // the wire and what it needs
  mdf: { may: ["paths", "text"] },
  catalog: { may: [] },
  wire: { may: ["catalog"] },
  transport: { may: ["wire", "clock", "log"] },
  // bots; the bot process loads no npm code (decisions.md)
  manifest: { may: ["catalog", "paths", "text"] },
  sandbox: { may: ["manifest", "paths"] },
  store: { may: ["manifest"] },
  conversation: { may: ["catalog", "wire", "clock"] }, // pure: the host drives it
  audio: { may: ["wire", "clock", "log"] },
  bot: { may: ["catalog", "wire", "conversation", "store", "audio"], npm: false },
  "mod.ts": { may: ["bot", "catalog", "wire"], npm: false },
  host: {
    may: [
      "bot", // the IPC protocol's other end
      "catalog",
      "wire",
      "transport", // SendOutcome
      "sandbox",
      "manifest",
      "clock",
      "log",
      "paths",
      "store",
      "conversation",
      "audio",
    ],
  },
  // MMDAgent-EX's side, the edges
  emulator: { may: ["wire", "catalog", "transport", "mdf", "clock", "log", "audio"] },
  record: { may: ["wire", "clock"] },
  control: { may: ["wire", "transport", "record", "clock", "log", "paths"] },
  broker: {
    may: ["transport", "wire", "catalog", "record", "host", "clock", "log", "session", "manifest"],
  },
  // composition and front ends
  session: { may: { except: ["cli", "console", "dashboard"] } },
  console: { may: ["session", "clock"] },
  dashboard: {
    may: ["session", "host", "control", "record", "conversation", "audio", "wire", "clock", "log"],
  },
  "testing.ts": { may: ["session"] },
  "catalog.ts": { may: ["catalog"], npm: false },
  cli: { may: "*" },
};

/** Whether `rule` lets its room import room `to`. */
function allows(rule: (typeof ROOMS)[string], to: string): boolean {
  if (to === "errors" || rule.may === "*") return true;
  if (Array.isArray(rule.may)) return rule.may.includes(to);
  return !(rule.may as { except: readonly string[] }).except.includes(to);
}

/** The rule in README words. */
function described(rule: (typeof ROOMS)[string]): string {
  if (rule.may === "*") return "everything";
  if (Array.isArray(rule.may)) return rule.may.length ? rule.may.join(", ") : "nothing";
  return `everything but ${(rule.may as { except: readonly string[] }).except.join(", ")}`;
}

const ROOT = new URL("../", import.meta.url);
/** The package's entry files (deno.json `exports`), each a room of its own. */
const ENTRY_FILES = ["mod.ts", "testing.ts", "catalog.ts"];
const rootPath = decodeURIComponent(ROOT.pathname);

/** The room of a file URL inside the repository (undefined outside runtime/ and the entries). */
function roomOf(specifier: string): string | undefined {
  if (!specifier.startsWith(ROOT.href)) return undefined;
  const rel = decodeURIComponent(specifier.slice(ROOT.href.length));
  if (ENTRY_FILES.includes(rel)) return rel;
  return rel.match(/^runtime\/([^/]+)\//)?.[1];
}

async function runtimeFiles(dir: string, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) await runtimeFiles(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

interface Edge {
  from: string;
  to: string;
  fromRoom: string;
  toRoom?: string;
}

/** Every import edge among the repository's modules (and to npm), from `deno info --json`. */
async function importEdges(): Promise<Edge[]> {
  const files = await runtimeFiles(`${rootPath}runtime`);
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const all = [...files, ...ENTRY_FILES.map((f) => `${rootPath}${f}`)];
    await Deno.writeTextFile(
      entry,
      all.map((f) => `import ${JSON.stringify(new URL(`file://${f}`).href)};`).join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: rootPath,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, `deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
      }[];
    };
    const edges: Edge[] = [];
    for (const m of info.modules) {
      const fromRoom = roomOf(m.specifier);
      if (!fromRoom) continue;
      for (const d of m.dependencies ?? []) {
        for (const to of [d.code?.specifier, d.type?.specifier]) {
          if (!to) continue;
          edges.push({ from: m.specifier, to, fromRoom, toRoom: roomOf(to) });
        }
      }
    }
    return edges;
  } finally {
    await Deno.remove(entry);
  }
}

const rel = (s: string) =>
  s.startsWith(ROOT.href) ? decodeURIComponent(s.slice(ROOT.href.length)) : s;

Deno.test("every import between rooms is one the architecture rules allow; every room has a rule; bot-side rooms load no npm; nothing imports cli/", async () => {
  const edges = await importEdges();
  const problems = new Set<string>();
  for (const e of edges) {
    const rule = ROOMS[e.fromRoom];
    if (!rule) {
      problems.add(
        `runtime/${e.fromRoom}/ has no rule: add a line for it to ROOMS in tests/layering_test.ts ` +
          "and a row to README.md's architecture table",
      );
      continue;
    }
    if (e.to.startsWith("npm:") && rule.npm === false) {
      problems.add(`${rel(e.from)} imports ${e.to}: ${e.fromRoom} runs in bot processes (no npm)`);
    }
    if (!e.toRoom || e.toRoom === e.fromRoom) continue;
    if (e.toRoom === "cli") {
      problems.add(`${rel(e.from)} imports ${rel(e.to)}: nothing may import cli/`);
      continue;
    }
    if (!allows(rule, e.toRoom)) {
      problems.add(
        `${rel(e.from)} imports ${rel(e.to)}: ${e.fromRoom} may import ${described(rule)} ` +
          "(ROOMS in tests/layering_test.ts; change the rule only with the README map)",
      );
    }
  }
  assert(problems.size === 0, `layering broken:\n${[...problems].join("\n")}`);
});

Deno.test("README.md's architecture map says what ROOMS says, room by room", async () => {
  const readme = await Deno.readTextFile(`${rootPath}README.md`);
  const rows = readme.split("\n").filter((l) => l.startsWith("| `"));
  const problems: string[] = [];
  for (const [room, rule] of Object.entries(ROOMS)) {
    const cell = room.endsWith(".ts") ? `\`${room}\`` : `\`runtime/${room}/\``;
    const row = rows.find((r) => r.split("|")[1].includes(cell));
    if (!row) {
      problems.push(`README.md's architecture table has no row for ${cell}`);
      continue;
    }
    const may = row.split("|").at(-2)!.trim();
    const listed = [...may.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]).sort().join(",");
    const ok = rule.may === "*"
      ? may.startsWith("everything;") || may === "everything"
      : Array.isArray(rule.may)
      ? listed === [...rule.may].sort().join(",") && (rule.may.length > 0 || may === "nothing")
      : may.startsWith("everything but") &&
        listed === [...(rule.may as { except: readonly string[] }).except].sort().join(",");
    if (!ok) problems.push(`${cell}: README says "${may}", ROOMS says ${described(rule)}`);
  }
  assert(problems.length === 0, problems.join("\n"));
});
