import { assertEquals } from "../assert.ts";
import { type SendReply, SendResults } from "../../runtime/host/send_results.ts";

const written: SendReply = { ok: true, status: "written" };
const refused: SendReply = { ok: false, refusal: { code: "rate-limit", reason: "too fast" } };

Deno.test("send results: a million sends nobody asks about write nothing back and keep nothing per send", () => {
  const r = new SendResults(false, 64);
  let answers = 0;
  for (let req = 1; req <= 1_000_000; req++) {
    r.started(req, false);
    if (r.finished(req, req % 3 === 0 ? refused : written)) answers++;
  }
  assertEquals(answers, 0);
  assertEquals(r.waited, 0);
});

Deno.test("send results: a wanted send is answered when it finishes; a refusal unasked only when the bot hears refusals", () => {
  const r = new SendResults(true, 64);
  r.started(1, true);
  assertEquals(r.finished(1, written), written);
  r.started(2, false);
  assertEquals(r.finished(2, written), undefined);
  r.started(3, false);
  assertEquals(r.finished(3, refused), refused);
  r.hearRefusals(false);
  r.started(4, false);
  assertEquals(r.finished(4, refused), undefined);
});

Deno.test("send results: a late want is answered from the ring, or when the send finishes, or as unknown past the window", () => {
  const r = new SendResults(false, 8);
  r.started(1, false);
  r.finished(1, refused);
  assertEquals(r.want(1), refused);
  r.started(2, false);
  assertEquals(r.want(2), undefined); // still in progress: answered as it finishes
  assertEquals(r.waited, 1);
  assertEquals(r.finished(2, written), written);
  assertEquals(r.waited, 0);
  for (let req = 3; req <= 20; req++) {
    r.started(req, false);
    r.finished(req, written);
  }
  assertEquals(r.want(5), { ok: true, status: "unknown" }); // overwritten by 13
  assertEquals(r.want(20), written);
  assertEquals(r.want(999_999_999), { ok: true, status: "unknown" });
});
