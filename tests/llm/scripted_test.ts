/**
 * The test kit's scripted stream as a bot sees it (a real bot process): tokens on the virtual
 * clock, a broken stream, a stalled one timing out on the virtual clock, an HTTP failure.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createTestRuntime } from "../../testing.ts";
import { tokensOf } from "../../runtime/session/scripted_llm.ts";

const MANIFEST = new URL("./fixtures/bots.yaml", import.meta.url);
const llmLines = (sent: string[]) => sent.filter((l) => l.startsWith("MESSAGE|llm|"));

Deno.test("scripted tokens arrive at their virtual times; say() settles while they wait", async () => {
  await using rt = await createTestRuntime({
    bots: ["asker"],
    manifest: MANIFEST,
    llm: [{ text: "one two three", tokenMs: 1000 }],
  });
  await rt.say("count");
  assertEquals(llmLines(rt.sent()), []);
  assertEquals(rt.llm.requests()[0].sent, 0);
  await rt.advance(2000);
  assertEquals(rt.llm.requests()[0].sent, 2);
  assertEquals(llmLines(rt.sent()), []);
  await rt.advance(2000);
  assertEquals(llmLines(rt.sent()), ["MESSAGE|llm|ok|one two three"]);
  assertEquals(rt.llm.requests()[0].body.messages, [{ role: "user", content: "count" }]);
  assert(rt.llm.requests()[0].done, "not done");
});

Deno.test("a broken, a stalled and a failed scripted stream reach the bot as LlmErrors", async () => {
  await using rt = await createTestRuntime({
    bots: ["asker"],
    manifest: MANIFEST,
    llm: [
      { text: "a b c d", failAfter: 2 },
      { text: "x", stall: true },
      { status: 429 },
    ],
  });
  await rt.say("1");
  assertMatch(llmLines(rt.sent())[0], /^MESSAGE\|llm\|http\|a b \|.*broke off/);
  rt.clearSent();
  await rt.say("2");
  assertEquals(llmLines(rt.sent()), []);
  await rt.advance(5000); // the bot's timeout runs on the virtual clock
  assertMatch(llmLines(rt.sent())[0], /^MESSAGE\|llm\|timeout\|x\|no data .* within 5000 ms/);
  assert(rt.llm.requests()[1].aborted, "the stalled request was not cancelled");
  rt.clearSent();
  await rt.say("3");
  assertMatch(llmLines(rt.sent())[0], /^MESSAGE\|llm\|http\|\|.*429.*rate-limiting/);
});

Deno.test("scripted text is cut into word tokens keeping their spaces", () => {
  assertEquals(tokensOf("Hi there,  you."), ["Hi ", "there,  ", "you."]);
  assertEquals(tokensOf(""), []);
});
