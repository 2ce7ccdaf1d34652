import { type CommandContext, validateCommand } from "../../runtime/catalog/validate.ts";
import { commandForm, knownCommands } from "../../runtime/catalog/forms.ts";
import { CATALOG } from "../../runtime/catalog/messages.gen.ts";
import { DROPPED_FROM_PEERS } from "../../runtime/catalog/overrides.ts";
import { ACCEPTED, CRASHES, REJECTED, typeArgs } from "./answers_fixture.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const WITH_FST: CommandContext = { hasStartupFst: true, variables: ["a", "b", "c"] };
const NO_FST: CommandContext = { hasStartupFst: false, variables: ["a", "b", "c"] };

Deno.test("every accepted form in answers.md passes validateCommand", () => {
  const failures: string[] = [];
  for (const { line, from } of ACCEPTED) {
    const r = validateCommand(...typeArgs(line), WITH_FST);
    if (r) failures.push(`${from} ${line}: ${r.code} ${r.reason}`);
  }
  assert(failures.length === 0, failures.join("\n"));
});

Deno.test("every echo-only argument error in answers.md is refused with bad-arguments and a fix", () => {
  const failures: string[] = [];
  for (const { line, from } of REJECTED) {
    const r = validateCommand(...typeArgs(line), WITH_FST);
    if (!r || r.code !== "bad-arguments" || !r.fix?.includes("e.g.")) {
      failures.push(`${from} ${line}: ${JSON.stringify(r)}`);
    }
  }
  assert(failures.length === 0, failures.join("\n"));
});

Deno.test("every section-9 crash trigger, also nested in menu items and button actions, is refused as crash-trigger", () => {
  const failures: string[] = [];
  for (const { line } of CRASHES) {
    const r = validateCommand(...typeArgs(line), NO_FST);
    if (!r || r.code !== "crash-trigger" || !r.fix) failures.push(`${line}: ${JSON.stringify(r)}`);
  }
  assert(failures.length === 0, failures.join("\n"));
});

Deno.test("crash refusals name the safe alternative", () => {
  const fix = (line: string, ctx = NO_FST) => validateCommand(...typeArgs(line), ctx)?.fix ?? "";
  assert(fix("TEXTAREA_SET|ta1|").includes("TEXTAREA_SET|ta1| "), "single space");
  assert(fix("FST_LOAD|x.fst").includes(".fst` beside the .mdf"), "ship an fst");
  assert(fix("BUTTON_ADD|b|1|0.5,0.5|a.png|MESSAGE|ON").includes("message,TYPE|args"), "prefix");
  assert(fix("VALUE_UNSET|b").includes("VALUE_SET|b|"), "overwrite");
  const nested = validateCommand(...typeArgs("MENU|SETITEM|m|3|l|TEXTAREA_SET|ta1"), NO_FST);
  assert(
    nested?.reason.startsWith('menu "m" item 3 would make MMDAgent-EX issue TEXTAREA_SET'),
    nested?.reason ?? "",
  );
});

Deno.test("FST_LOAD and SUBFST_START are allowed only when the content has a start-up FST", () => {
  for (const line of ["FST_LOAD|main.fst", "SUBFST_START|s|sub.fst", "SUBFST_START_IF|s|sub.fst"]) {
    assert(validateCommand(...typeArgs(line), WITH_FST) === undefined, `${line} with FST`);
    assert(validateCommand(...typeArgs(line), NO_FST)?.code === "crash-trigger", `${line} no FST`);
  }
});

Deno.test("VALUE_UNSET is allowed only for the first or last entry of a fully known list", () => {
  const ctx = (variables?: string[]): CommandContext => ({ hasStartupFst: true, variables });
  assert(validateCommand("VALUE_UNSET", "a", ctx(["a", "b", "c"])) === undefined, "first");
  assert(validateCommand("VALUE_UNSET", "c", ctx(["a", "b", "c"])) === undefined, "last");
  assert(
    validateCommand("VALUE_UNSET", "b", ctx(["a", "b", "c"]))?.code === "crash-trigger",
    "mid",
  );
  assert(validateCommand("VALUE_UNSET", "x", ctx(["a", "b"]))?.code === "crash-trigger", "unknown");
  assert(validateCommand("VALUE_UNSET", "a", ctx())?.code === "crash-trigger", "list unknown");
  // The handler reads the whole ARGS text as the name.
  assert(validateCommand("VALUE_UNSET", "a|b", ctx(["x", "a|b"])) === undefined, "whole text");
});

Deno.test("unknown types, wire-level lines and catalog events are allowed untouched", () => {
  const lines = [
    "MESSAGE|ping",
    "MY_CUSTOM|1|2|3|4|5|6|7|8|9|10|11|12",
    "lowercase_type|a|b",
    "__AV_START",
    "__AV_MESSAGE,TEXTAREA_SET|ta1|",
    "RECOG_EVENT_STOP|hi",
    "RECOG_EVENT_STOP",
    "INFOTEXT_EVENT_SHOW",
    "VALUE_EVENT_GET|x|(null)",
    "AVATAR|START|extra",
    "MOTION_EVENT_DELETE|m1",
  ];
  for (const line of lines) {
    assert(validateCommand(...typeArgs(line), NO_FST) === undefined, line);
  }
});

Deno.test("RECOG_RECORD_* from a peer is refused because the core drops it", () => {
  assert(
    validateCommand("RECOG_RECORD_START", "dir", WITH_FST)?.code === "ignored-command",
    "start",
  );
  assert(validateCommand("RECOG_RECORD_STOP", "", WITH_FST)?.code === "ignored-command", "stop");
});

Deno.test("empty fields vanish before counting, as in MMDAgent-EX's split", () => {
  assert(validateCommand("KEYVALUE_SET", "k||v", WITH_FST) === undefined, "k||v is 2 fields");
  assert(
    validateCommand("KEYVALUE_SET", "k|", WITH_FST)?.code === "bad-arguments",
    "k| is 1 field",
  );
  assert(validateCommand("MOVE_START", "m1|0,,0,3", WITH_FST) === undefined, "empty component");
  assert(validateCommand("MOVE_START", "m1|0,,3", WITH_FST)?.code === "bad-arguments", "2 items");
});

Deno.test("vectors need at least their component count (extra components are ignored by the binary)", () => {
  assert(validateCommand("LIGHTCOLOR", "1,1", WITH_FST)?.code === "bad-arguments", "2 of 3");
  assert(validateCommand("LIGHTCOLOR", "1,1,1,1", WITH_FST) === undefined, "4 of 3");
  assert(validateCommand("CAPTION_SETSTYLE", "s|default|1,1,1", WITH_FST) !== undefined, "rgba");
});

Deno.test("every catalog command's own example passes, and every command needing fields refuses none", () => {
  const ctx: CommandContext = { hasStartupFst: true, variables: ["x", "name", "y"] };
  const failures: string[] = [];
  for (const type of knownCommands()) {
    if (Object.hasOwn(DROPPED_FROM_PEERS, type)) continue;
    const form = commandForm(type)!;
    const [t, a] = typeArgs(form.example);
    const r = validateCommand(t, a, ctx);
    if (t !== type || r) failures.push(`${form.example}: ${r?.reason}`);
    if (form.shapes.every((s) => s.min > 0) && !validateCommand(type, "", ctx)) {
      failures.push(`${type} with no fields was allowed`);
    }
  }
  assert(failures.length === 0, failures.join("\n"));
  const commands = Object.values(CATALOG).filter((e) => e.direction === "command").length;
  assert(knownCommands().length > 80 && knownCommands().length < commands, "wire lines excluded");
});
