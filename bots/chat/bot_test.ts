// The chat bot's own tests, offline and on the virtual clock: the test kit's scripted stream
// plays the LLM (tokens at set virtual times, failures).
import { createTestRuntime } from "../../testing.ts";
import { nameIn, systemPrompt } from "./bot.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}
const speech = (sent: string[]) =>
  sent.filter((l) => l.startsWith("SYNTH_START|")).map((l) => l.split("|")[3]);

Deno.test("chat speaks each sentence as it completes, in order, with tags played as motions", async () => {
  await using rt = await createTestRuntime({
    bots: ["chat"],
    manifest: MANIFEST,
    llm: [{
      text: "[face:joy] Hello there! [motion:wave] Nice to meet you. [dance:twirl] Bye.",
      tokenMs: 200,
    }],
  });
  await rt.say("hi");
  // Nothing yet: the first token is due 200 ms (virtual) after the request.
  assert(speech(rt.sent()).length === 0, `spoke early: ${rt.sent()}`);
  await rt.advance(600);
  assert(speech(rt.sent()).join("/") === "Hello there!", `first sentence: ${rt.sent()}`);
  assert(
    rt.sent().indexOf("MOTION_ADD|mei|tag_face|expression/joy.vmd|PART|ONCE|ON|OFF") <
      rt.sent().findIndex((l) => l.startsWith("SYNTH_START|")),
    `the face tag plays as its sentence starts: ${rt.sent()}`,
  );
  await rt.advance(30_000);
  assert(
    speech(rt.sent()).join("/") === "Hello there!/Nice to meet you./Bye.",
    `sentences: ${speech(rt.sent())}`,
  );
  assert(rt.sent().includes("MOTION_ADD|mei|tag_motion|motion/wave.vmd|PART|ONCE|ON|OFF"), "wave");
  assert(!rt.sent().some((l) => l.startsWith("SYNTH_START|") && /[[\]]/.test(l)), "tag spoken");
  assert(
    rt.logs().some((l) => l.scope === "bot:chat" && l.msg.includes("unknown tag [dance:twirl]")),
    `unknown tag not logged: ${JSON.stringify(rt.logs())}`,
  );
  const request = rt.llm.requests()[0];
  assert(request.body.stream === true && request.body.model === "scripted", "request body");
  assert(request.done && !request.aborted, "stream read to its end");
});

Deno.test("chat remembers the user's name and the conversation across a runtime restart", async () => {
  const storeDir = await Deno.makeTempDir({ prefix: "mmdbot-chat-test-" });
  try {
    {
      await using rt = await createTestRuntime({
        bots: ["chat"],
        manifest: MANIFEST,
        storeDir,
        llm: [{ text: "Nice to meet you, Ada." }],
      });
      await rt.say("my name is Ada");
      await rt.advance(30_000);
    }
    await using rt = await createTestRuntime({
      bots: ["chat"],
      manifest: MANIFEST,
      storeDir,
      llm: [{ text: "You are Ada." }],
    });
    await rt.say("who am I?");
    await rt.advance(30_000);
    const messages = rt.llm.requests()[0].body.messages ?? [];
    assert(messages[0].content.includes("The user's name is Ada."), JSON.stringify(messages[0]));
    assert(
      JSON.stringify(messages.slice(1).map((m) => [m.role, m.content])) ===
        JSON.stringify([
          ["user", "my name is Ada"],
          ["assistant", "Nice to meet you, Ada."],
          ["user", "who am I?"],
        ]),
      `history: ${JSON.stringify(messages)}`,
    );
  } finally {
    await Deno.remove(storeDir, { recursive: true });
  }
});

Deno.test("chat stops talking and cancels the request when the user barges in", async () => {
  await using rt = await createTestRuntime({
    bots: ["chat"],
    manifest: MANIFEST,
    // The first sentence speaks for about 1.25 s (the emulator's voice, speech.md's timing).
    llm: [{
      tokens: ["One is the first of them. ", "Two. ", "Three. ", "Four. ", "Five."],
      tokenMs: 1000,
    }],
  });
  const first = "One is the first of them.";
  await rt.say("count for me");
  await rt.advance(1500);
  assert(speech(rt.sent()).join("/") === first, `before barge-in: ${speech(rt.sent())}`);
  await rt.inject("RECOG_EVENT_START");
  assert(rt.llm.requests()[0].aborted, "the scripted stream did not see the request cancelled");
  assert(rt.sent().includes("SYNTH_STOP|mei"), `speech not stopped: ${rt.sent()}`);
  await rt.advance(30_000);
  assert(speech(rt.sent()).join("/") === first, `spoke after barge-in: ${speech(rt.sent())}`);
});

Deno.test("chat apologises when the LLM server fails, and logs why", async () => {
  await using rt = await createTestRuntime({
    bots: ["chat"],
    manifest: MANIFEST,
    llm: [{ status: 500, errorBody: '{"error":{"message":"model not loaded"}}' }],
  });
  await rt.say("hello");
  assert(speech(rt.sent()).join("/") === "Sorry, I cannot think right now.", `${rt.sent()}`);
  assert(
    rt.logs().some((l) => l.level === "error" && /LLM http: .*500.*model not loaded/.test(l.msg)),
    JSON.stringify(rt.logs()),
  );
});

Deno.test("chat finds a name and writes a system prompt listing its tags", () => {
  assert(nameIn("hello, my name is ada") === "Ada", "name");
  assert(nameIn("what is the time") === undefined, "no name");
  const prompt = systemPrompt("Ada", {
    model: "mei",
    kinds: { face: { joy: { file: "j.vmd" } } },
  });
  assert(prompt.includes("Ada") && prompt.includes("[face:joy]"), prompt);
});
