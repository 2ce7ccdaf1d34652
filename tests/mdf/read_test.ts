import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { MAX_CHUNK_BYTES, parseMdf, readMdfFile } from "../../runtime/mdf/read.ts";
import { expandEnv } from "../../runtime/mdf/expand_env.ts";
import { layerMdf, loadMdf, resolveFromContent, valueOf } from "../../runtime/mdf/layer.ts";
import { MdfError } from "../../runtime/mdf/finding.ts";
import { docOf, envOf } from "./helpers.ts";

const enc = new TextEncoder();
const keysOf = (text: string) => [...docOf(text).keys.keys()];

Deno.test("a # is a comment only in the first byte; indented # lines with = become keys", () => {
  const doc = docOf("#Plugin_Remote_EnableServer=true\n  # note=1\n\t#x\n");
  deepEqual(keysOf("#a=1\n"), []);
  deepEqual([...doc.keys.keys()], ["  # note"]);
  equal(doc.content.lines[2].kind, "no-equals");
});

Deno.test("only trailing space, tab, CR and LF are trimmed; leading whitespace stays in key and value", () => {
  const doc = docOf("  Key = v1 \t\r\nK2= lead\r\n");
  equal(doc.keys.get("  Key ")?.value, " v1");
  equal(doc.keys.get("K2")?.value, " lead");
  equal(doc.keys.has("Key"), false);
});

Deno.test("a line is split at the first =, the value may hold more =, `key=` is an empty value", () => {
  const doc = docOf("a=b=c\nempty=\n");
  equal(valueOf(doc, "a"), "b=c");
  equal(valueOf(doc, "empty"), "");
});

Deno.test("a line without = is ignored", () => {
  const doc = docOf("Plugin_Remote_EnableServer true\nx=1\n");
  deepEqual([...doc.keys.keys()], ["x"]);
  equal(doc.content.lines[0].kind, "no-equals");
});

Deno.test("keys are byte-exact and case-sensitive", () => {
  const doc = docOf("Plugin_Remote_ListenPort=1\nPlugin_Remote_Listenport=2\n");
  equal(valueOf(doc, "Plugin_Remote_ListenPort"), "1");
  equal(valueOf(doc, "Plugin_Remote_Listenport"), "2");
});

Deno.test("the last occurrence of a key wins and keeps its own line number", () => {
  const doc = docOf("p=1\nq=x\np=2\n");
  equal(valueOf(doc, "p"), "2");
  deepEqual(doc.keys.get("p")?.origin, { file: "t.mdf", line: 3 });
  equal(doc.entries.length, 3);
});

Deno.test("every entry keeps value, raw value and file:line", () => {
  const doc = docOf("# c\n\nA=%ENV{X}/y\n", { X: "/home" });
  deepEqual(doc.keys.get("A"), {
    key: "A",
    value: "/home/y",
    raw: "%ENV{X}/y",
    origin: { file: "t.mdf", line: 3 },
    envNames: ["X"],
  });
});

Deno.test("a line longer than 2047 bytes is cut there and its tail is parsed as a line of its own", () => {
  const head = "k=" + "x".repeat(MAX_CHUNK_BYTES - 2);
  const doc = docOf(`${head}Plugin_Remote_Port=1\nnext=2\n`);
  equal(valueOf(doc, "k")?.length, MAX_CHUNK_BYTES - 2);
  equal(valueOf(doc, "Plugin_Remote_Port"), "1");
  equal(doc.keys.get("Plugin_Remote_Port")?.origin.line, 1, "the tail keeps the physical line");
  equal(doc.keys.get("next")?.origin.line, 2);
  ok(doc.content.lines[1].continuation);
});

Deno.test("a line of exactly 2047 bytes plus LF is read whole", () => {
  const line = "k=" + "y".repeat(MAX_CHUNK_BYTES - 2);
  const doc = docOf(`${line}\nz=1\n`);
  equal(valueOf(doc, "k")?.length, MAX_CHUNK_BYTES - 2);
  equal(valueOf(doc, "z"), "1");
  equal(doc.content.lines.filter((l) => l.kind === "entry").length, 2);
  equal(doc.keys.get("z")?.origin.line, 2);
});

Deno.test("CRLF files and a last line without newline are read", () => {
  const doc = docOf("a=1\r\nb=2");
  equal(valueOf(doc, "a"), "1");
  equal(valueOf(doc, "b"), "2");
});

Deno.test("a UTF-8 BOM is not stripped: it becomes part of the first key and un-comments line 1", () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
  const withKey = new Uint8Array([...bom, ...enc.encode("Plugin_Remote_EnableServer=true\n")]);
  const doc = docOf(withKey);
  equal(doc.keys.has("Plugin_Remote_EnableServer"), false);
  equal(doc.keys.has("\uFEFFPlugin_Remote_EnableServer"), true);
  const comment = docOf(new Uint8Array([...bom, ...enc.encode("# a=b\n")]));
  deepEqual([...comment.keys.keys()], ["\uFEFF# a"]);
});

Deno.test("invalid UTF-8 is decoded leniently and flagged on its line", () => {
  const doc = docOf(
    new Uint8Array([...enc.encode("a="), 0x82, 0xa0, 0x0a, ...enc.encode("b=1\n")]),
  );
  ok(doc.content.lines[0].invalidUtf8);
  equal(doc.content.lines[1].invalidUtf8, false);
  equal(valueOf(doc, "b"), "1");
});

Deno.test("%ENV{NAME} expands anywhere and several times; unset names expand to empty", () => {
  const doc = docOf("a=%ENV{H}:%ENV{P}/%ENV{NOPE}x\n", { H: "host", P: "9001" });
  equal(valueOf(doc, "a"), "host:9001/x");
  deepEqual(doc.keys.get("a")?.envNames, ["H", "P", "NOPE"]);
});

Deno.test("%ENV{} expansion repeats until none is left (a value holding %ENV{…} is expanded again)", () => {
  const r = expandEnv("%ENV{A}", envOf({ A: "x%ENV{B}", B: "y" }));
  deepEqual(r, { ok: true, value: "xy", names: ["A", "B"] });
});

Deno.test("an unterminated %ENV{ is an error naming file:line, and the file contributes no keys", () => {
  const doc = docOf("good=1\n# %ENV{ in a comment is fine\nbad=%ENV{HOME\n");
  equal(doc.errors.length, 1);
  const e = doc.errors[0];
  ok(e instanceof MdfError);
  equal(e.code, "env-unterminated");
  equal(e.file, "t.mdf");
  equal(e.line, 3);
  ok(e.message.startsWith("t.mdf:3: "));
  ok(e.fix.length > 0);
  equal(doc.keys.size, 0, "MMDAgent-EX skips the whole file");
});

Deno.test("an unterminated %ENV{ on a line without = still fails the file, as in MMDAgent-EX", () => {
  const doc = docOf("a=1\nstray %ENV{X\n");
  equal(doc.errors[0]?.code, "env-unterminated");
  equal(doc.errors[0]?.line, 2);
});

Deno.test("a self-referencing variable is reported instead of looping forever", () => {
  const doc = docOf("a=1\nb=%ENV{LOOP}\n", { LOOP: "again %ENV{LOOP}" });
  equal(doc.errors[0]?.code, "env-self-reference");
  equal(doc.errors[0]?.line, 2);
  ok(doc.errors[0]?.message.includes("LOOP"));
  const pair = expandEnv("%ENV{A}", envOf({ A: "%ENV{B}", B: "%ENV{A}" }));
  equal(pair.ok, false);
});

Deno.test("an expansion over 2048 bytes is an error like MMDAgent-EX's 'too long'", () => {
  const doc = docOf("a=%ENV{BIG}\n", { BIG: "z".repeat(2100) });
  equal(doc.errors[0]?.code, "env-too-long");
});

Deno.test("the system .mdf is layered under the content .mdf: content wins, system-only keys stay", () => {
  const sys = parseMdf(enc.encode("Plugin_Remote_ListenPort=1\nsysonly=s\n"), "sys.mdf");
  const content = parseMdf(enc.encode("Plugin_Remote_ListenPort=50001\n"), "c.mdf");
  const doc = layerMdf(content, sys, "/x/c.mdf");
  equal(valueOf(doc, "Plugin_Remote_ListenPort"), "50001");
  deepEqual(doc.keys.get("sysonly")?.origin, { file: "sys.mdf", line: 2 });
  deepEqual(doc.entries.map((e) => e.origin.file), ["sys.mdf", "sys.mdf", "c.mdf"]);
});

Deno.test("a content file that fails to parse leaves only the system keys, with the error kept", () => {
  const sys = parseMdf(enc.encode("a=sys\n"), "sys.mdf");
  const content = parseMdf(enc.encode("a=content\nb=%ENV{\n"), "c.mdf");
  const doc = layerMdf(content, sys, "/x/c.mdf");
  equal(valueOf(doc, "a"), "sys");
  equal(doc.errors[0].file, "c.mdf");
});

Deno.test("relative paths resolve against the content file's folder; absolute ones stay", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "content"));
    const path = join(dir, "content", "main.mdf");
    await Deno.writeFile(path, enc.encode("Plugin_Remote_Record_Wave_Dir=rec\n"));
    const doc = await loadMdf(path);
    equal(doc.dir, await Deno.realPath(join(dir, "content")));
    equal(resolveFromContent(doc, "rec"), join(doc.dir, "rec"));
    equal(resolveFromContent(doc, "../x.py"), join(await Deno.realPath(dir), "x.py"));
    equal(resolveFromContent(doc, "/abs/y"), "/abs/y");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMdf reads a system .mdf from disk and layers it under the content file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "sys.mdf"), "Plugin_Remote_EnableServer=true\n");
    await Deno.writeTextFile(join(dir, "c.mdf"), "Plugin_Remote_ListenPort=50001\n");
    const doc = await loadMdf(join(dir, "c.mdf"), { systemPath: join(dir, "sys.mdf") });
    equal(valueOf(doc, "Plugin_Remote_EnableServer"), "true");
    equal(valueOf(doc, "Plugin_Remote_ListenPort"), "50001");
    ok(doc.system);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable .mdf throws MdfError with code unreadable and a fix", async () => {
  await rejects(readMdfFile("/nonexistent/nope.mdf"), (e: unknown) => {
    ok(e instanceof MdfError);
    equal(e.code, "unreadable");
    equal(e.file, "/nonexistent/nope.mdf");
    ok(e.message.includes("no such file"));
    return true;
  });
});
