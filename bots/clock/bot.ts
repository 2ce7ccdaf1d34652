/**
 * Clock: tells the time and runs kitchen timers ("timer 3 minutes", "timer 30 seconds"). Timers
 * use `ctx.after`, which runs on the host's clock, so tests can jump ahead on a virtual clock.
 */
import { createBot, type Timer } from "../../mod.ts";

const MODEL = "mei";
const VOICE = "mei_voice_normal";

const bot = createBot<{ timers: Timer[] }>({ state: () => ({ timers: [] }) });

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").toLowerCase();

  if (/\bwhat time\b|\bthe time\b/.test(said)) {
    const now = new Date(ctx.now());
    const hh = now.getHours(), mm = String(now.getMinutes()).padStart(2, "0");
    await ctx.speak(MODEL, VOICE, `It is ${hh}:${mm}.`);
    return;
  }

  const timer = said.match(/\btimer (?:for )?(\d+) ?(second|sec|minute|min)s?\b/);
  if (timer) {
    const n = Number(timer[1]);
    const unit = timer[2].startsWith("min") ? "minute" : "second";
    const ms = n * (unit === "minute" ? 60_000 : 1_000);
    const label = `${n} ${unit}${n === 1 ? "" : "s"}`;
    // The announcement belongs to no turn (the user has long moved on): ctx.background.
    ctx.state.timers.push(ctx.after(ms, async () => {
      await ctx.background.speak(MODEL, VOICE, `Your ${label} timer is done!`);
    }));
    await ctx.speak(MODEL, VOICE, `Timer set for ${label}.`);
    return;
  }

  if (/\bcancel (the )?timers?\b/.test(said)) {
    for (const t of ctx.state.timers) t.cancel();
    ctx.state.timers = [];
    await ctx.speak(MODEL, VOICE, "All timers cancelled.");
  }
});

export default bot;
