/**
 * A bot runs unchanged on a worker (issue 18): its `ctx.play` audio reaches the edge's MMDAgent-EX
 * as the same SND packets a local run gives, its setup lines are the edge's to check and replay
 * per connection like a local bot's, and it hears `onConnected` as soon as it holds the avatar.
 * A real RabbitMQ, an edge session in console mode (its in-process emulator is MMDAgent-EX) and
 * an in-process worker whose bot runs sandboxed.
 */
import { assert, assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { startWorker, type Worker } from "../../runtime/broker/worker.ts";
import { createLauncher } from "../../runtime/sandbox/launcher.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { decodeWav } from "../../runtime/audio/wav.ts";
import { wavToSndPcm } from "../../runtime/audio/convert.ts";
import { brokerAvailable, sharedBrokerUrl, skipReason } from "./rabbit.ts";
import { startEdge, until } from "./scale.ts";
import { BrokerClient } from "../../runtime/broker/connection.ts";
import { stereoToneWav } from "../audio/tones.ts";

const opts = { ignore: !brokerAvailable, sanitizeOps: false, sanitizeResources: false };
const MOD = new URL("../../mod.ts", import.meta.url).href;

const SPEAKER = `import { createBot } from "${MOD}";
const bot = createBot();
bot.onStart((ctx) => ctx.setup(["MESSAGE|setup_a", "EXECUTE|calc"]));
bot.onConnected((ctx) => ctx.sendRaw("MESSAGE|connected|" + ctx.connection).then(() => {}));
bot.onError((err, ctx) => {
  const code = (err as { refusal?: { code: string } }).refusal?.code ?? "none";
  return ctx.sendRaw("MESSAGE|error|" + code).then(() => {});
});
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if (ctx.args.result !== "play") return;
  const r = await ctx.play("mei", "clip.wav");
  ctx.log.info("played " + JSON.stringify(r));
  await ctx.sendRaw("MESSAGE|played|" + JSON.stringify(r));
});
export default bot;
`;

/** The speaker bot's folder and three manifests: the edge's, the worker's (more trusting), local. */
async function project() {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-remote-bot-" });
  await Deno.mkdir(`${dir}/bots/speaker`, { recursive: true });
  await Deno.writeTextFile(`${dir}/bots/speaker/bot.ts`, SPEAKER);
  await Deno.writeFile(`${dir}/bots/speaker/clip.wav`, stereoToneWav(330, 550, 9000));
  await Deno.writeTextFile(`${dir}/bots/edge.yaml`, "bots:\n  speaker: {}\n");
  // A worker's manifest may grant more than the edge's: the edge's entry is the one that counts.
  await Deno.writeTextFile(`${dir}/bots/worker.yaml`, "bots:\n  speaker:\n    allow: [EXECUTE]\n");
  return { dir, edge: `${dir}/bots/edge.yaml`, worker: `${dir}/bots/worker.yaml` };
}

/** What the emulator heard of the clip: PCM, packet sizes, the model bound, drops. */
function heard(session: Session) {
  const emu = session.emulator!;
  return {
    pcm: emu.sound.pcm(),
    packets: emu.sound.arrivals().map((a) => a.ms),
    models: [...new Set(emu.sound.runs().map((r) => r.model))],
    dropped: emu.sound.dropped,
  };
}

const playedResult = (out: { line: string }[]) => {
  const l = out.find((o) => o.line.startsWith("MESSAGE|played|"));
  return l ? JSON.parse(l.line.slice("MESSAGE|played|".length)) : undefined;
};

Deno.test({
  name:
    `broker: a worker's bot plays a WAV (the edge's MMDAgent-EX gets the SND packets a local run gives), its setup lines are checked and replayed by the edge per connection (a refusal reaching its onError), and it hears onConnected at once${skipReason}`,
  ...opts,
  async fn(t) {
    const url = await sharedBrokerUrl();
    const p = await project();
    const wav = await Deno.readFile(`${p.dir}/bots/speaker/clip.wav`);
    const workerLog = memoryLogger("debug");
    let worker: Worker | undefined;
    let local: Session | undefined;
    const edge = await startEdge(p, "remote-bot", url, p.edge, ["speaker"]);
    const detail = () =>
      `--- edge ${JSON.stringify(edge.service.stats())}\n${edge.logs()}\n--- worker ${
        JSON.stringify(worker?.stats())
      }\n${workerLog.records.map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n")}`;
    const written = (line: string) => edge.out.filter((o) => o.line === line).length;
    try {
      await until(() => edge.service.stats().up, "the edge on the broker", detail);
      worker = startWorker({
        url,
        name: "wa",
        manifest: await loadManifest(p.worker),
        launcher: createLauncher(await detectSandbox()),
        logger: workerLog,
        avatars: ["remote-bot"],
      });
      await worker.serving("remote-bot");

      await t.step(
        "the bot hears onConnected without waiting for a line from the user",
        async () => {
          await until(
            () =>
              edge.out.some((o) => o.bot === "speaker" && o.line.startsWith("MESSAGE|connected|")),
            "the worker bot's onConnected answer",
            detail,
          );
        },
      );

      await t.step(
        "its setup lines are the edge's: checked with the edge's entry, written once",
        async () => {
          await until(() => written("MESSAGE|setup_a") === 1, "setup_a written", detail);
          // Granted by the worker's manifest, not by the edge's: refused, with the bot named.
          await until(
            () => /setup line refused.*EXECUTE/s.test(edge.logs()),
            "the refusal of EXECUTE",
            detail,
          );
          assertEquals(edge.out.filter((o) => o.line.startsWith("EXECUTE")), []);
          assertEquals(edge.out.find((o) => o.line === "MESSAGE|setup_a")?.bot, "setup");
          // ...and the bot on the worker hears of it through onError, as a local bot would.
          await until(
            () =>
              edge.out.some((o) => o.bot === "speaker" && o.line === "MESSAGE|error|acl-denied"),
            "the worker bot's onError",
            detail,
          );
          assert(edge.service.stats().reported >= 1, detail());
        },
      );

      await t.step(
        "MMDAgent-EX reconnecting gets them again, once, before anything else",
        async () => {
          const before = edge.out.length;
          edge.session.emulatorSide!.disconnect();
          await until(
            () => edge.session.runtime.connection === undefined,
            "the disconnect",
            detail,
          );
          edge.session.emulatorSide!.connect();
          await until(() => written("MESSAGE|setup_a") === 2, "setup_a written again", detail);
          assertEquals(edge.out[before].line, "MESSAGE|setup_a", detail());
          // The worker takes nothing of this for a change of its list: no third copy.
          await until(
            () => edge.out.filter((o) => o.line.startsWith("MESSAGE|connected|")).length >= 2,
            "onConnected of the new connection",
            detail,
          );
          assertEquals(written("MESSAGE|setup_a"), 2, detail());
          assertEquals(edge.out.filter((o) => o.line.startsWith("EXECUTE")), []);
        },
      );

      await t.step("ctx.play on the worker: the same SND packets as a local run", async () => {
        edge.say("play");
        await until(
          () => playedResult(edge.out) !== undefined,
          "the remote clip to finish",
          detail,
        );
        const r = playedResult(edge.out);
        assertEquals([r.status, r.playedMs, r.durationMs], ["finished", 3000, 3000], detail());
        const remote = heard(edge.session);
        // Counted once the Link took each packet (a moment after the packets went out).
        await until(() => edge.service.stats().snd >= 75, "75 packets counted", detail);
        assertEquals(edge.service.stats().snd, 75, detail());

        const log = memoryLogger("debug");
        local = await startSession({
          manifest: p.edge,
          console: true,
          logger: log,
          watch: false,
          control: false,
          storeDir: `${p.dir}/store-local`,
        });
        const out: { line: string }[] = [];
        local.runtime.tap.onRecord((rec) =>
          void (rec.dir === "out" && out.push({ line: rec.line }))
        );
        await until(
          () => local!.host.status().every((b) => b.state === "running"),
          "the local bot to run",
        );
        local.emulator!.inject("RECOG_EVENT_STOP", "play");
        await until(() => playedResult(out) !== undefined, "the local clip to finish");
        const here = heard(local);

        // 75 packets of 40 ms of the resampled audio, bound to mei, nothing dropped: both ways.
        assertEquals(remote.dropped, { noModel: 0, bufferFull: 0 });
        assertEquals(remote.models, ["mei"]);
        assertEquals(remote.packets, here.packets);
        assertEquals(remote.packets.length, 75);
        assert(remote.pcm.length === here.pcm.length, `${remote.pcm.length} vs ${here.pcm.length}`);
        assertEquals(remote.pcm, here.pcm);
        assertEquals(remote.pcm, wavToSndPcm(decodeWav(wav)));
      });

      await t.step(
        "a worker taking over the idle avatar hears onConnected, and its setup list changes nothing",
        async () => {
          // Every event is acknowledged: the next worker is handed nothing but the edge's answer.
          await worker!.stop();
          const connected = () =>
            edge.out.filter((o) => o.line.startsWith("MESSAGE|connected|")).length;
          const before = connected();
          worker = startWorker({
            url,
            name: "wb",
            manifest: await loadManifest(p.worker),
            launcher: createLauncher(await detectSandbox()),
            logger: workerLog,
            avatars: ["remote-bot"],
          });
          await until(() => connected() > before, "onConnected on the new worker", detail);
          assert(edge.service.stats().byWorker["wb"] >= 1, detail());
          assertEquals(written("MESSAGE|setup_a"), 2, detail());
        },
      );
    } finally {
      await worker?.stop();
      await local?.stop();
      await edge.stop();
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    `broker: a command the edge wrote before it restarted is not written again when it comes back (the watermarks are in its state folder)${skipReason}`,
  ...opts,
  async fn() {
    const url = await sharedBrokerUrl();
    const p = await project();
    const client = new BrokerClient(url);
    let edge = await startEdge(p, "edge-restart", url, p.edge, ["speaker"]);
    try {
      await until(() => edge.service.stats().up, "the edge on the broker", edge.logs);
      await client.connect();
      const ch = await client.channel();
      await ch.confirmSelect();
      const base = { v: 1, avatar: "edge-restart", worker: "w", kind: "line", bot: "speaker" };
      const send = (id: string, line: string) =>
        ch.basicPublish(
          "",
          "mmdbot.edge-restart.commands",
          JSON.stringify({ ...base, id, line }),
          { deliveryMode: 2 },
        );
      await send("w:run1:0", "MESSAGE|first");
      await until(() => edge.service.stats().commands === 1, "the first command", edge.logs);
      await edge.stop();

      edge = await startEdge(p, "edge-restart", url, p.edge, ["speaker"]);
      await until(() => edge.service.stats().up, "the edge back on the broker", edge.logs);
      // The same command again (a redelivery or a resend), then a new one of the same run.
      await send("w:run1:0", "MESSAGE|first");
      await send("w:run1:1", "MESSAGE|second");
      await until(() => edge.service.stats().commands === 1, "the second command", edge.logs);
      await until(() => edge.service.stats().duplicates === 1, "the duplicate dropped", edge.logs);
      assertEquals(edge.out.filter((o) => o.line.startsWith("MESSAGE|first")), []);
      assertEquals(edge.out.filter((o) => o.line === "MESSAGE|second").length, 1);
    } finally {
      await client.close().catch(() => {});
      client.drop();
      await edge.stop();
      await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});
