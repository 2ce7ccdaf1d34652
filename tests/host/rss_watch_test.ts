import { assert } from "../assert.ts";
import { createRssSampler, rssWatchAvailable } from "../../runtime/host/rss_watch.ts";

Deno.test({
  name:
    "the RSS sampler reads a live process tree's resident memory without --allow-all and ends its shell on close",
  ignore: !rssWatchAvailable(),
  fn: async () => {
    const sampler = createRssSampler()!;
    const ownRss = Deno.memoryUsage().rss / 1024 / 1024;
    const got = await new Promise<number>((resolve) => {
      const unwatch = sampler.watch(Deno.pid, (mib) => {
        unwatch();
        resolve(mib);
      });
    });
    // This process alone is resident; its tree (the sampler's shell included) is at least that.
    assert(got >= ownRss * 0.5 && got < 64 * 1024, `sampled ${got} MiB, own ${ownRss} MiB`);
    await sampler.close();
  },
});

Deno.test({
  name: "the RSS sampler reports nothing for a process that is gone",
  ignore: !rssWatchAvailable(),
  fn: async () => {
    const sampler = createRssSampler()!;
    const child = new Deno.Command("true").spawn();
    await child.status;
    let samples = 0;
    const unwatch = sampler.watch(child.pid, () => samples++);
    // A live pid beside it proves sampling happened meanwhile.
    await new Promise<void>((resolve) => {
      const off = sampler.watch(Deno.pid, () => {
        off();
        resolve();
      });
    });
    unwatch();
    assert(samples === 0, `${samples} samples of a dead pid`);
    await sampler.close();
  },
});
