import { eventArgs, wireFields } from "../../runtime/catalog/events.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test("eventArgs names the fields the catalog knows", () => {
  const v = eventArgs("RECOG_EVENT_STOP", ["hello world"]);
  assert(v.result === "hello world" && v.rest.length === 0, JSON.stringify(v));
  const m = eventArgs("MOTION_EVENT_DELETE", ["m1", "base"]);
  assert(m.modelAlias === "m1" && m.motionAlias === "base", JSON.stringify(m));
});

Deno.test("eventArgs keeps (null) as text and extra fields in rest", () => {
  const g = eventArgs("VALUE_EVENT_GET", wireFields("onlyname|(null)"));
  assert(g.name === "onlyname" && g.valueOrMin === "(null)", JSON.stringify(g));
  const r = eventArgs("VALUE_EVENT_EVAL", wireFields("x|EQ|(null)|FALSE"));
  assert(r.value === "(null)" && r.result === "FALSE", JSON.stringify(r));
  const e = eventArgs("AVATAR", ["START", "extra", ""]);
  assert(e.state === "START" && e.rest.join(",") === "extra,", JSON.stringify(e));
});

Deno.test("eventArgs leaves missing fields undefined and accepts argument-less events", () => {
  const s = eventArgs("INFOTEXT_EVENT_SHOW", []);
  assert(Object.keys(s).join() === "rest" && s.rest.length === 0, JSON.stringify(s));
  const m = eventArgs("MOTION_EVENT_DELETE", ["m1"]);
  assert(m.modelAlias === "m1" && m.motionAlias === undefined, JSON.stringify(m));
  const b = eventArgs("MODEL_EVENT_BINDFACE", ["kf", "m1", "い"]);
  assert(b.morphName === "い", JSON.stringify(b));
});

Deno.test("eventArgs never throws, whatever the type or field count", () => {
  for (const t of ["UNKNOWN_TYPE", "", "RECOG_EVENT_STOP", "__AV_START", "toString", "__proto__"]) {
    for (const f of [[], ["a"], Array(30).fill("x")]) {
      const v = eventArgs(t, f);
      assert(Array.isArray(v.rest), t);
    }
  }
  assert(eventArgs("UNKNOWN_TYPE", ["a", "b"]).rest.join() === "a,b", "unknown → rest");
});

Deno.test("wireFields keeps empty fields, which carry information on the inbound side", () => {
  assert(wireFields("a||b").length === 3, "empty kept");
  assert(wireFields("").length === 0 && wireFields(undefined).length === 0, "no args");
});
