/**
 * The chat bot (a real sandboxed process) against a real local HTTP server streaming SSE on
 * 127.0.0.1, as against llama.cpp's server or Ollama: each sentence is spoken as soon as it is
 * complete and in order, tags become motion commands and never reach SYNTH_START, a barge-in makes
 * the server see the request aborted, and what it learnt survives a runtime restart.
 */
import { assert, assertEquals } from "../assert.ts";
import { createTestRuntime } from "../../testing.ts";
import { sseResponse } from "./sse_response.ts";

const MANIFEST = new URL("../../bots/bots.yaml", import.meta.url);

const chunk = (s: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: s } }] })}\n\n`;

interface Seen {
  bodies: { messages: { role: string; content: string }[] }[];
  aborted: number;
}

/** An OpenAI-compatible server whose reply `script` writes (it may wait between writes). */
function llmServer(script: (write: (s: string) => Promise<void>, n: number) => Promise<void>) {
  const seen: Seen = { bodies: [], aborted: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (new URL(req.url).pathname !== "/v1/chat/completions") {
      return new Response("not found", { status: 404 });
    }
    seen.bodies.push(await req.json());
    const sse = sseResponse(() => seen.aborted++);
    script(sse.write, seen.bodies.length).then(() => sse.write("data: [DONE]\n\n")).then(
      () => sse.close(),
      () => {},
    );
    return sse.response;
  });
  return {
    env: { OPENAI_BASE_URL: `http://127.0.0.1:${server.addr.port}/v1`, OPENAI_MODEL: "local" },
    seen,
    close: () => server.shutdown(),
  };
}

const speech = (sent: string[]) =>
  sent.filter((l) => l.startsWith("SYNTH_START|")).map((l) => l.split("|")[3]);

Deno.test("chat speaks a real server's SSE stream sentence by sentence, in order, as each completes", async () => {
  let release!: () => void;
  const second = new Promise<void>((r) => (release = r));
  const srv = llmServer(async (write) => {
    for (const t of ["[face:joy] Hello", " there.", " [motion:wave]"]) await write(chunk(t));
    await second; // the rest only once the first sentence is being spoken
    for (const t of ["How are", " you?"]) await write(chunk(t));
  });
  try {
    await using rt = await createTestRuntime({ bots: ["chat"], manifest: MANIFEST, env: srv.env });
    await rt.say("hi");
    await rt.waitForSent("SYNTH_START|mei|mei_voice_normal|Hello there.");
    assert(!speech(rt.sent()).includes("How are you?"), "spoke what the server had not sent");
    release();
    await rt.advance(30_000); // the first sentence ends on the emulator's (virtual) clock
    await rt.waitForSent("SYNTH_START|mei|mei_voice_normal|How are you?");
    assertEquals(speech(rt.sent()), ["Hello there.", "How are you?"]);
    const sent = rt.sent();
    const face = sent.indexOf("MOTION_ADD|mei|tag_face|expression/joy.vmd|PART|ONCE|ON|OFF");
    const wave = sent.indexOf("MOTION_ADD|mei|tag_motion|motion/wave.vmd|PART|ONCE|ON|OFF");
    const first = sent.findIndex((l) => l.startsWith("SYNTH_START|"));
    const next = sent.findIndex((l) => l.endsWith("|How are you?"));
    assert(face >= 0 && face < first && wave > first && wave < next, `order: ${sent.join("\n")}`);
    assert(!sent.some((l) => l.startsWith("SYNTH_START|") && /[[\]]/.test(l)), "a tag was spoken");
    assertEquals(srv.seen.aborted, 0);
  } finally {
    await srv.close();
  }
});

Deno.test("a barge-in cuts the answer and the real server sees the request aborted", async () => {
  const srv = llmServer(async (write) => {
    await write(chunk("One."));
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await write(chunk(" more"));
    }
  });
  try {
    await using rt = await createTestRuntime({ bots: ["chat"], manifest: MANIFEST, env: srv.env });
    await rt.say("count");
    await rt.waitForSent("SYNTH_START|mei|mei_voice_normal|One.");
    await rt.inject("RECOG_EVENT_START");
    for (let i = 0; i < 200 && srv.seen.aborted === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assertEquals(srv.seen.aborted, 1, "the server did not see the request go");
    assert(rt.sent().includes("SYNTH_STOP|mei"), "speech not stopped");
  } finally {
    await srv.close();
  }
});

Deno.test("chat still knows the user's name after a runtime restart (real server)", async () => {
  const srv = llmServer(async (write, n) => {
    await write(chunk(n === 1 ? "Nice to meet you." : "Hello again."));
  });
  const storeDir = await Deno.makeTempDir({ prefix: "mmdbot-chat-server-" });
  try {
    {
      await using rt = await createTestRuntime({
        bots: ["chat"],
        manifest: MANIFEST,
        env: srv.env,
        storeDir,
      });
      await rt.say("my name is Grace");
      await rt.waitForSent("SYNTH_START|mei|mei_voice_normal|Nice to meet you.");
      await rt.advance(30_000);
    }
    await using rt = await createTestRuntime({
      bots: ["chat"],
      manifest: MANIFEST,
      env: srv.env,
      storeDir,
    });
    await rt.say("hello");
    await rt.waitForSent("SYNTH_START|mei|mei_voice_normal|Hello again.");
    const system = srv.seen.bodies[1].messages[0].content;
    assert(system.includes("The user's name is Grace."), system);
  } finally {
    await srv.close();
    await Deno.remove(storeDir, { recursive: true });
  }
});
