/**
 * The memory budget of a whole bot process (`budgets.rss_mb`): V8's `--max-old-space-size` caps
 * only the JavaScript heap, and `new Uint8Array(64 << 20)` lives outside it (a bot held 2 GiB with
 * `heap_mb: 64`). The host samples the resident memory of the bot's process tree and the instance
 * stops a bot over budget, like an out-of-heap bot (restart with backoff).
 *
 * Why sampling /proc and not an OS limit (measured on this Linux machine, under bubblewrap):
 * `RLIMIT_AS` kills Deno at start (V8 reserves large virtual ranges), `RLIMIT_RSS` is not enforced
 * by Linux, and a memory cgroup needs root or a systemd delegation that a user's shell (and this
 * container) does not have. Reading `/proc/<pid>/statm` needs nothing and costs about 50 µs; the
 * tree is bubblewrap → bubblewrap → deno (plus what a bot with `run:` starts), found through
 * `/proc/<pid>/task/<tid>/children` and re-walked every few samples for new children.
 *
 * Sampling means a bot may overshoot its budget by what it allocates between two samples
 * ({@link RSS_SAMPLE_MS}); the budget is a bound on what a bot keeps, not a hard wall. Where
 * /proc does not exist (macOS, Windows) there is no watch and `start` says so.
 */

/** How often a bot's resident memory is sampled. */
export const RSS_SAMPLE_MS = 100;
/** Samples between walks of the process tree (new child processes are found this often). */
const REWALK_EVERY = 20;
/** Processes of one tree followed at most (a fork bomb is the CPU limit's and pids' business). */
const MAX_TREE = 64;

const PAGE_BYTES = 4096;

/** Resident memory of a process tree, sampled on demand. */
export interface RssWatch {
  /** Resident MiB of the tree now, or undefined when it cannot be read (gone, or no /proc). */
  sample(): number | undefined;
}

/** True when this system has /proc with per-process memory (Linux). */
export function rssWatchAvailable(): boolean {
  try {
    Deno.statSync("/proc/self/statm");
    return true;
  } catch {
    return false;
  }
}

function readChildren(pid: number): number[] {
  const out: number[] = [];
  let tasks: Iterable<Deno.DirEntry>;
  try {
    tasks = Deno.readDirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`);
      for (const p of text.split(" ")) if (p.trim() !== "") out.push(Number(p));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Resident bytes of one process from `/proc/<pid>/statm` (second field, in pages). */
export function residentBytes(pid: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/statm`);
    const sp = text.indexOf(" ");
    const pages = Number(text.slice(sp + 1, text.indexOf(" ", sp + 1)));
    return Number.isFinite(pages) ? pages * PAGE_BYTES : undefined;
  } catch {
    return undefined;
  }
}

/** Watches the process tree rooted at `pid` (the spawned bubblewrap or deno process). */
export function createRssWatch(pid: number): RssWatch {
  let tree: number[] = [pid];
  let samples = 0;
  const walk = () => {
    const seen: number[] = [];
    const todo = [pid];
    while (todo.length > 0 && seen.length < MAX_TREE) {
      const p = todo.shift()!;
      seen.push(p);
      todo.push(...readChildren(p));
    }
    tree = seen;
  };
  return {
    sample() {
      // The first samples walk every time: the sandbox starts deno a moment after the spawn.
      if (samples < 10 || samples % REWALK_EVERY === 0) walk();
      samples++;
      let total = 0;
      let read = 0;
      for (const p of tree) {
        const b = residentBytes(p);
        if (b === undefined) continue;
        total += b;
        read++;
      }
      // A process of the tree ended: walk again next time.
      if (read < tree.length) samples = 0;
      return read > 0 ? total / 1024 / 1024 : undefined;
    },
  };
}
