import { assert, assertEquals, assertRejects } from "../assert.ts";
import { refusedError, Sends, type SendsIO } from "../../runtime/bot/sends.ts";
import type { BotToHost } from "../../runtime/bot/protocol.ts";
import { type Refusal, RefusedError } from "../../runtime/wire/types.ts";

/** An in-process stand-in for the bot's pipe: posted messages, a batch number to advance. */
function fakeIO() {
  const posted: BotToHost[] = [];
  const unobserved: { refusal: Refusal; local: boolean }[] = [];
  let batch = 0;
  const io: SendsIO = {
    post: (m) => posted.push(m),
    batch: () => batch,
    unobserved: (refusal, local) => unobserved.push({ refusal, local }),
  };
  return { io, posted, unobserved, write: () => batch++ };
}

const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};
const acl: Refusal = { code: "acl-denied", reason: "EXECUTE is dangerous", fix: "allow it" };

Deno.test("a send nobody looks at registers nothing and asks for no answer, however many", () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  for (let i = 0; i < 100_000; i++) sends.send(`PONG|${i}`);
  assertEquals(sends.waiting, 0);
  assertEquals(f.posted.length, 100_000);
  assert(
    f.posted.every((m) => m.t === "send" && m.want === undefined),
    "a send asked for its result",
  );
});

Deno.test("awaiting a send before its batch is written marks the send itself; the answer resolves it and is released", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const p = (async () => await sends.send("PONG|1"))();
  await turns();
  assertEquals(f.posted, [{ t: "send", req: 1, line: "PONG|1", want: true }]);
  assertEquals(sends.waiting, 1);
  sends.answer({ t: "sent", req: 1, ok: true, status: "written" });
  assertEquals(await p, { status: "written" });
  assertEquals(sends.waiting, 0);
});

Deno.test("looking at a send after its batch was written posts a want; then, catch and finally all count", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const a = sends.send("A");
  const b = sends.send("B");
  const c = sends.send("C");
  f.write();
  const got: string[] = [];
  a.then((r) => got.push(`a ${r.status}`));
  b.catch((e) => got.push(`b ${(e as RefusedError).refusal.code}`));
  c.finally(() => got.push("c done"));
  assertEquals(f.posted.slice(3), [
    { t: "want", req: 1 },
    { t: "want", req: 2 },
    { t: "want", req: 3 },
  ]);
  sends.answer({ t: "sent", req: 1, ok: true, status: "queued" });
  sends.answer({ t: "sent", req: 2, ok: false, refusal: acl });
  sends.answer({ t: "sent", req: 3, ok: true, status: "written" });
  await turns();
  assertEquals(got.sort(), ["a queued", "b acl-denied", "c done"]);
  assertEquals(f.unobserved, []);
});

Deno.test("a refusal of a send nobody looked at goes to the unobserved path; looking later still rejects", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const kept = sends.send("EXECUTE|x");
  f.write();
  sends.answer({ t: "sent", req: 1, ok: false, refusal: acl });
  assertEquals(f.unobserved, [{ refusal: acl, local: false }]);
  const late = kept.then(() => "sent", (e) => (e as RefusedError).refusal.code);
  assertEquals(f.posted.at(-1), { t: "want", req: 1 });
  sends.answer({ t: "sent", req: 1, ok: false, refusal: acl }); // the host answers from its ring
  assertEquals(await late, "acl-denied");
});

Deno.test("a local refusal reports itself only when nobody looked by the end of the turn", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const bad: Refusal = { code: "empty-field", reason: "field 1 is empty" };
  sends.refuse(bad); // dropped
  const awaited = assertRejects(async () => {
    await sends.refuse(bad);
  }, RefusedError);
  await turns(4);
  await awaited;
  assertEquals(f.unobserved, [{ refusal: bad, local: true }]);
  assertEquals(f.posted, []);
});

Deno.test("tickets work with Promise.all and show as promises", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const all = Promise.all([sends.send("A"), sends.send("B")]);
  await turns();
  sends.answer({ t: "sent", req: 1, ok: true, status: "written" });
  sends.answer({ t: "sent", req: 2, ok: true, status: "written" });
  assertEquals((await all).map((r) => r.status), ["written", "written"]);
  assertEquals(Object.prototype.toString.call(sends.send("C")), "[object Promise]");
});

Deno.test("a refusal error carries no captured stack (a flood of them costs no stack frames)", () => {
  const e = refusedError(acl);
  assert(e instanceof RefusedError);
  assertEquals(e.refusal, acl);
  assert(!/\n\s+at /.test(e.stack ?? ""), `stack captured: ${e.stack}`);
  // The global limit is restored for everyone else.
  assert((new Error("x").stack ?? "").includes("\n    at "), "stack limit not restored");
});

Deno.test("one refusal answering a range of requests rejects those waited for and reports each other one", async () => {
  const f = fakeIO();
  const sends = new Sends(f.io);
  const tickets = [];
  for (let i = 0; i < 5; i++) tickets.push(sends.send(`L|${i}`));
  const waited = tickets[2].then(() => "sent", (e) => (e as RefusedError).refusal.code);
  await turns();
  sends.answer({ t: "sent", req: 1, ok: false, refusal: acl, to: 5 });
  assertEquals(await waited, "acl-denied");
  assertEquals(f.unobserved.length, 4);
  assertEquals(sends.waiting, 0);
});
