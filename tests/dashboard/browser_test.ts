/**
 * The dashboard in a real browser (Debian's chromium via playwright-core) against a real session:
 * `startSession` with a TCP-server plan connects to a loopback peer standing in for MMDAgent-EX,
 * runs a real sandboxed bot, and `serveDashboard` serves the page for it. The peer injects what the
 * user says (and the speech events of a voice) and reads every line the session writes, so "reaches
 * the peer" means on the socket. The turn and avatar panels are fed by the host's real conversation.
 *
 * Set `MMDBOT_UPDATE_SCREENSHOT=1` to rewrite `docs/dashboard.png` (the README's picture); otherwise
 * the screenshot goes to a temporary file and is only checked to be a PNG of the viewport's size.
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import type { Dashboard } from "../../runtime/dashboard/server.ts";
import { dashboardService } from "../../runtime/dashboard/service.ts";
import { type Peer, startPeer } from "../control/fake_session.ts";
import { browserTest } from "./browser.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const SCREENSHOT = new URL("../../docs/dashboard.png", import.meta.url).pathname;

const TALKER = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").trim();
  if (/hello/i.test(said)) await ctx.sendRaw("SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.");
  if (/open the calculator/i.test(said)) await ctx.sendRaw("EXECUTE|calc.exe").catch(() => {});
});
export default bot;
`;

interface World {
  dir: string;
  peer: Peer;
  session: Session;
  dashboard: Dashboard;
  peerLines(): string[];
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-dashboard-" });
  const peer = startPeer();
  await Deno.mkdir(`${dir}/bots/talker`, { recursive: true });
  await Deno.writeTextFile(`${dir}/bots/talker/bot.ts`, TALKER);
  await Deno.writeTextFile(
    `${dir}/bots/bots.yaml`,
    "bots:\n  talker:\n    receive: [RECOG_EVENT_STOP]\n",
  );
  const mdf = `${dir}/content.mdf`;
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
  );
  const logger = memoryLogger("info");
  // As `start --dashboard` runs it: a service of the runtime, started before the bots.
  const service = dashboardService({ port: 0, mdf, startedAt: new Date().toISOString(), logger });
  const session = await startSession({
    mdf,
    manifest: `${dir}/bots/bots.yaml`,
    logger,
    watch: false,
    controlDir: `${dir}/run`,
    services: [service],
  });
  const dashboard = service.dashboard!;
  await peer.waitConns(1);
  return {
    dir,
    peer,
    session,
    dashboard,
    peerLines: () => peer.conns.at(-1)?.lines ?? [],
    async close() {
      await session.stop();
      assert(dashboard.clients === 0, "the dashboard closed with the session");
      await peer.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const WAIT = { timeout: 30_000 };

await browserTest(
  "dashboard in chromium: token required; live traffic with bots and refusals; send box reaches the peer",
  async ({ context }, t) => {
    const w = await world();
    try {
      const page = await context.newPage();
      const base = `http://127.0.0.1:${w.dashboard.port}`;

      await t.step("without the token (or with a wrong one) nothing is served", async () => {
        for (const path of ["/", "/events", "/?token=wrong", "/api/state"]) {
          const res = await page.goto(base + path);
          assertEquals(res?.status(), 401, path);
          assertIncludes(await page.textContent("body") ?? "", "token", path);
        }
      });

      await t.step("with the token the page loads, goes live and lists the bot", async () => {
        const res = await page.goto(w.dashboard.url);
        assertEquals(res?.status(), 200);
        await page.locator("body[data-ready=true]").waitFor(WAIT);
        await page.locator("#stream-state", { hasText: "live" }).waitFor(WAIT);
        const bot = page.locator('#bots .bot[data-name="talker"]');
        await bot.waitFor(WAIT);
        assertEquals(await bot.getAttribute("data-state"), "running");
        assertIncludes(await bot.textContent() ?? "", "isolation");
        await page.locator("#link-state", { hasText: "connected" }).waitFor(WAIT);
        // The service started before the connection: the page saw it come up.
        await page.locator("#traffic tr.link", { hasText: "connected tcp:" }).waitFor(WAIT);
      });

      await t.step(
        "a hello from the peer appears, and the bot's answer with its name",
        async () => {
          await w.peer.write("RECOG_EVENT_START\nRECOG_EVENT_STOP|hello\n");
          await page.locator('#traffic tr[data-dir="in"]', { hasText: "RECOG_EVENT_STOP|hello" })
            .waitFor(WAIT);
          const answer = page.locator('#traffic tr[data-dir="out"]', {
            hasText: "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.",
          });
          await answer.waitFor(WAIT);
          assertEquals((await answer.locator("td.bot").textContent())?.trim(), "talker");
        },
      );

      await t.step(
        "the hello is a turn on the timeline, and the avatar mirror shows who is speaking what",
        async () => {
          await page.locator("#turns-panel").waitFor({ state: "visible", ...WAIT });
          const turn = page.locator("#turns li.turn[data-turn]", { hasText: "“hello”" });
          await turn.waitFor(WAIT);
          await page.locator("#turns-summary", { hasText: /^[1-9]\d* turns/ }).waitFor(WAIT);
          await page.locator("#avatar-panel").waitFor({ state: "visible", ...WAIT });
          // The peer speaks as MMDAgent-EX with a voice does: the echo, then the speech events.
          const hello = "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.";
          await w.peer.write(`${hello}\nSYNTH_EVENT_START|mei\n`);
          await page.locator("#avatar", { hasText: "speaking “Hello! Nice to meet you.” (talker)" })
            .waitFor(WAIT);
          await w.peer.write("SYNTH_EVENT_STOP|mei\n");
          await page.locator("#avatar", { hasText: /mei\s*quiet/ }).waitFor(WAIT);
        },
      );

      await t.step("the send box's line is written to the peer", async () => {
        await page.fill("#send-line", "MOTION_ADD|mei|wave|motion/wave.vmd");
        await page.click("#send-button");
        await page.locator("#send-result.written").waitFor(WAIT);
        await w.peer.waitLines(2);
        const deadline = Date.now() + 30_000;
        while (!w.peerLines().includes("MOTION_ADD|mei|wave|motion/wave.vmd")) {
          assert(Date.now() < deadline, `the peer never got the line: ${w.peerLines()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        await page.locator('#traffic tr[data-dir="out"]', {
          hasText: "MOTION_ADD|mei|wave|motion/wave.vmd",
        }).waitFor(WAIT);
      });

      await t.step(
        "a dangerous line from the send box is refused, shown as refused, never written",
        async () => {
          await page.fill("#send-line", "EXECUTE|calc.exe");
          await page.click("#send-button");
          const result = page.locator("#send-result.refused");
          await result.waitFor(WAIT);
          assertIncludes(await result.textContent() ?? "", "acl-denied");
          const row = page.locator("#traffic tr.refused", { hasText: "EXECUTE|calc.exe" }).first();
          await row.waitFor(WAIT);
          assertEquals(await row.getAttribute("data-refused"), "acl-denied");
          assertEquals((await row.locator("td.bot").textContent())?.trim(), "operator");
        },
      );

      await t.step("a bot's refused line is marked with the bot's name", async () => {
        await w.peer.write("RECOG_EVENT_START\nRECOG_EVENT_STOP|please open the calculator\n");
        const row = page.locator("#traffic tr.refused", { hasText: "EXECUTE|calc.exe" }).filter({
          has: page.locator("td.bot", { hasText: "talker" }),
        });
        await row.waitFor(WAIT);
        assert(
          !w.peerLines().some((l) => l.startsWith("EXECUTE")),
          `a refused line reached the peer: ${w.peerLines()}`,
        );
      });

      await t.step("the reload button starts a new process of the bot", async () => {
        const before = w.session.host.status()[0].pid;
        await page.click('#bots .bot[data-name="talker"] button.reload');
        const deadline = Date.now() + 30_000;
        while (w.session.host.status()[0].pid === before) {
          assert(Date.now() < deadline, "the bot was not reloaded");
          await new Promise((r) => setTimeout(r, 50));
        }
        await page.locator(`#bots .bot[data-name="talker"]`, {
          hasText: `pid ${w.session.host.status()[0].pid}`,
        }).waitFor(WAIT);
        assertEquals(w.peer.conns.length, 1, "a reload must not reconnect");
      });

      await t.step("a screenshot of the page is written", async () => {
        const path = Deno.env.get("MMDBOT_UPDATE_SCREENSHOT") === "1"
          ? SCREENSHOT
          : await Deno.makeTempFile({ suffix: ".png" });
        if (path === SCREENSHOT) {
          await Deno.mkdir(new URL("../../docs/", import.meta.url), { recursive: true });
        }
        await page.screenshot({ path });
        const png = await Deno.readFile(path);
        assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "PNG signature");
        const view = new DataView(png.buffer, png.byteOffset);
        assertEquals([view.getUint32(16), view.getUint32(20)], [1280, 800], "PNG size");
        if (path !== SCREENSHOT) await Deno.remove(path);
      });
    } finally {
      await w.close();
    }
  },
);
