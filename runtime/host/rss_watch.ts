/**
 * The memory budget of a whole bot process (`budgets.rss_mb`): V8's `--max-old-space-size` caps
 * only the JavaScript heap, and `new Uint8Array(64 << 20)` lives outside it (a bot held 2 GiB with
 * `heap_mb: 64`). The host samples the resident memory of each bot's process tree and the
 * instance stops a bot over budget, like an out-of-heap bot (restart with backoff).
 *
 * Why sampling /proc and not an OS limit (measured on this Linux machine, under bubblewrap):
 * `RLIMIT_AS` kills Deno at start (V8 reserves large virtual ranges); `RLIMIT_DATA` works but an
 * idle Deno already counts ~550 MiB of it (thread stacks, reservations; more with more cores), so
 * it cannot express "256 MiB resident"; `RLIMIT_RSS` is not enforced by Linux; a memory cgroup
 * needs root or a systemd delegation that a user's shell (and this container) does not have.
 *
 * Why a shell: Deno 2.9.6 lets a process read `/proc/<pid>/…` only with `--allow-all`, which the
 * runtime does not ask for. One long-lived `/bin/sh` per host reads the `statm` and `children`
 * files with builtins only (no fork per sample): the host writes one line of root pids per tick
 * and reads back one line of `root:pages` pairs. The tree is bubblewrap → bubblewrap → deno (plus
 * what a bot with `run:` starts), at most {@link MAX_TREE} processes per bot.
 *
 * Sampling means a bot may overshoot its budget by what it allocates between two samples
 * ({@link RSS_SAMPLE_MS}); the budget is a bound on what a bot keeps, not a hard wall. Where
 * /proc or /bin/sh does not exist (macOS, Windows) there is no watch and only `heap_mb` applies.
 */
import { createLineSplitter } from "./process.ts";

/** How often the bots' resident memory is sampled. */
export const RSS_SAMPLE_MS = 100;
/** Processes of one tree followed at most (a fork bomb is the CPU limit's and pids' business). */
export const MAX_TREE = 64;

const PAGE_BYTES = 4096;

/**
 * Reads one line of root pids, answers one line ` root:pages …`: the resident pages of each
 * root's tree (0 when the root is gone). Builtins only, so a sample forks nothing.
 */
const SAMPLER_SCRIPT = `
while read -r roots; do
  out=""
  for root in $roots; do
    total=0; todo="$root"; n=0
    while [ -n "$todo" ] && [ "$n" -lt ${MAX_TREE} ]; do
      set -- $todo; p=$1; shift; todo="$*"; n=$((n + 1))
      size=""; res=""
      read -r size res rest 2>/dev/null </proc/$p/statm
      [ -n "$res" ] && total=$((total + res))
      for c in /proc/$p/task/*/children; do
        kids=""
        read -r kids 2>/dev/null <"$c"
        [ -n "$kids" ] && todo="$todo $kids"
      done
    done
    out="$out $root:$total"
  done
  echo "$out"
done
`;

/** Resident memory of bot process trees, sampled together for the whole host. */
export interface RssSampler {
  /** Samples `pid`'s tree every {@link RSS_SAMPLE_MS}; `onSample` gets MiB. Returns the unwatch. */
  watch(pid: number, onSample: (mib: number) => void): () => void;
  /** Ends the sampler process (the host stops). */
  close(): Promise<void>;
}

/** True when this system has /proc and /bin/sh (Linux). */
export function rssWatchAvailable(): boolean {
  try {
    Deno.statSync("/bin/sh");
    // Deno refuses to stat /proc entries without --allow-all; the directory itself is enough.
    return Deno.build.os === "linux";
  } catch {
    return false;
  }
}

/** The host's sampler, or undefined where it cannot work. */
export function createRssSampler(): RssSampler | undefined {
  if (!rssWatchAvailable()) return undefined;
  const watched = new Map<number, (mib: number) => void>();
  let child: Deno.ChildProcess | undefined;
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let reading: Promise<void> | undefined;
  let tick: ReturnType<typeof setInterval> | undefined;
  let asked = false;
  let closed = false;
  const encoder = new TextEncoder();

  const onLine = (line: string) => {
    asked = false;
    for (const pair of line.trim().split(" ")) {
      const colon = pair.indexOf(":");
      if (colon < 0) continue;
      const fn = watched.get(Number(pair.slice(0, colon)));
      const pages = Number(pair.slice(colon + 1));
      if (fn && Number.isFinite(pages) && pages > 0) fn((pages * PAGE_BYTES) / 1024 / 1024);
    }
  };

  const start = () => {
    child = new Deno.Command("/bin/sh", {
      args: ["-c", SAMPLER_SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      // Out of the terminal's process group: a Ctrl-C meant for the runtime's graceful stop must
      // not end the sampler first. It still ends with the host, whose exit closes its stdin.
      detached: true,
    }).spawn();
    writer = child.stdin.getWriter();
    const split = createLineSplitter(onLine);
    const out = child.stdout.pipeThrough(new TextDecoderStream());
    reading = (async () => {
      for await (const text of out) split.push(text);
    })().catch(() => {});
  };

  const stop = async () => {
    if (tick !== undefined) clearInterval(tick);
    tick = undefined;
    const c = child, w = writer, r = reading;
    child = undefined;
    writer = undefined;
    reading = undefined;
    asked = false;
    if (!c) return;
    await w?.close().catch(() => {});
    await r;
    await c.status;
  };
  let stopping: Promise<void> = Promise.resolve();

  const sample = () => {
    if (asked || !writer || watched.size === 0) return;
    asked = true;
    writer.write(encoder.encode([...watched.keys()].join(" ") + "\n")).catch(() => {});
  };

  return {
    watch(pid, onSample) {
      if (closed) return () => {};
      watched.set(pid, onSample);
      if (!child) {
        start();
        tick = setInterval(sample, RSS_SAMPLE_MS);
      }
      return () => {
        if (watched.get(pid) !== onSample) return;
        watched.delete(pid);
        if (watched.size === 0) stopping = stop();
      };
    },
    async close() {
      closed = true;
      watched.clear();
      await stopping;
      await stop();
    },
  };
}
