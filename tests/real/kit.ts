/**
 * The real MMDAgent-EX for tests, through the headless kit beside the repository
 * (`../shared/real-mmdagent/`: `up.sh` builds and starts the binary under Xvfb with a private
 * PulseAudio null sink, `down.sh` stops it by the PIDs it recorded).
 *
 * Opt-in, as the kit's README asks: these tests run only when `MMDX_MIRROR` and `GENE_MIRROR` name
 * the two mirrors (the binary's source and the Gene avatar). CI has neither and skips them; a full
 * suite run on a shared machine does not start a binary that idles at 1-2 cores unless asked.
 * `MMDX_KIT` overrides where the kit is; `MMDX_KEEP=1` keeps each run's state folder (the binary's
 * logs) after it stopped.
 *
 * The binary's rules that shape every test here (kit README, plugin-remote.md §7.5): one peer
 * connection per process, and a peer disconnect breaks it, so each test starts a fresh one and
 * stops it (`down`) before its peer closes.
 */

const here = new URL(".", import.meta.url).pathname;

function findKit(): string | undefined {
  const candidates = [
    Deno.env.get("MMDX_KIT"),
    // Beside the repository's checkout, and beside a worktree folder that holds several checkouts.
    `${here}../../../shared/real-mmdagent`,
    `${here}../../../../shared/real-mmdagent`,
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(`${c}/up.sh`).isFile) return Deno.realPathSync(c);
    } catch { /* not here */ }
  }
  return undefined;
}

/** The kit's folder, when it is there. */
export const KIT_DIR: string | undefined = findKit();

/** Why the real-binary tests are skipped (undefined: they run). */
export const REAL_SKIP: string | undefined = !KIT_DIR
  ? "no real-mmdagent kit beside the repository (set MMDX_KIT)"
  : !Deno.env.get("MMDX_MIRROR") || !Deno.env.get("GENE_MIRROR")
  ? "MMDX_MIRROR and GENE_MIRROR are not set (the kit's two mirrors; see its README)"
  : undefined;

/** One running MMDAgent-EX. */
export interface RealMmdx {
  /** Plugin_Remote's port (server mode: the peer dials 127.0.0.1 on it). */
  port: number;
  /** The kit's state folder (logs in `log/`). */
  dir: string;
  /** PulseAudio server of its private null sink (`unix:…`), for `parec -d nullsink.monitor`. */
  pulseServer: string;
  /** Issues a message inside MMDAgent-EX (its HTTP `/req`), as its own modules would. */
  issue(line: string): Promise<void>;
  /** MMDAgent-EX's stdout log so far (each issued message as `<module>: Sent: TYPE|ARGS`). */
  log(): string;
  /** Stops it and what the kit started with it. */
  down(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, code: out.code, text };
}

/** Starts MMDAgent-EX in server mode with the voice and the Gene avatar loaded as `mei`. */
export async function upReal(): Promise<RealMmdx> {
  if (!KIT_DIR || REAL_SKIP) throw new Error(`the real MMDAgent-EX is not available: ${REAL_SKIP}`);
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-real-" });
  const port = freePort();
  let http = freePort();
  while (http === port) http = freePort();
  const up = await run("bash", [
    `${KIT_DIR}/up.sh`,
    "--voice",
    "--model",
    "--port",
    String(port),
    "--http-port",
    String(http),
    "--dir",
    dir,
  ]);
  if (!up.ok) throw new Error(`up.sh failed (status ${up.code}):\n${up.text}`);
  const info = Object.fromEntries(
    Deno.readTextFileSync(`${dir}/up.info`).split("\n").map((l) => /^(\w+)='(.*)'$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1], m[2]]),
  );
  let stopped = false;
  return {
    port,
    dir,
    pulseServer: `unix:${dir}/pulse/run/native`,
    async issue(line) {
      const r = await fetch(`http://127.0.0.1:${http}/req?com=${encodeURIComponent(line)}`);
      await r.body?.cancel();
      if (!r.ok) throw new Error(`MMDAgent-EX's /req answered ${r.status} for ${line}`);
    },
    log: () => {
      try {
        return Deno.readTextFileSync(info.LOG ?? `${dir}/log/stdout.log`);
      } catch {
        return "";
      }
    },
    async down() {
      if (stopped) return;
      stopped = true;
      const r = await run("bash", [`${KIT_DIR}/down.sh`, dir]);
      if (!r.ok) throw new Error(`down.sh failed (its logs stay in ${dir}/log):\n${r.text}`);
      // The state folder goes with it, unless MMDX_KEEP asks to keep its logs.
      if (!Deno.env.get("MMDX_KEEP")) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What the null sink played: the samples, and when each part of them reached the recorder. */
export interface Recording {
  /** 16 kHz mono. */
  samples: Int16Array;
  /** For each chunk parec wrote: the clock time it was read and the sample index it ends at. */
  stamps: { at: number; end: number }[];
}

/**
 * Records what the null sink plays (16 kHz mono s16le, `parec` from the kit's PulseAudio, in
 * small fragments) until `stop`. A sink with nothing to play hands parec nothing, so the sample
 * count is not a clock: each chunk is stamped with when it arrived.
 */
export function recordSink(pulseServer: string): { stop(): Promise<Recording> } {
  const child = new Deno.Command("parec", {
    args: [
      "-d",
      "nullsink.monitor",
      "--format=s16le",
      "--rate=16000",
      "--channels=1",
      "--latency-msec=20",
    ],
    env: { PULSE_SERVER: pulseServer },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const chunks: Uint8Array[] = [];
  const stamps: { at: number; end: number }[] = [];
  let bytes = 0;
  const reading = (async () => {
    for await (const c of child.stdout) {
      chunks.push(c);
      bytes += c.length;
      stamps.push({ at: performance.now(), end: bytes >> 1 });
    }
  })();
  return {
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading;
      const all = new Uint8Array(bytes & ~1);
      let at = 0;
      for (const c of chunks) {
        const take = Math.min(c.length, all.length - at);
        all.set(c.subarray(0, take), at);
        at += take;
      }
      return { samples: new Int16Array(all.buffer, 0, all.length / 2), stamps };
    },
  };
}

/** A run of sound in a recording: when it started (clock ms) and how much played (ms). */
export interface SoundRun {
  at: number;
  ms: number;
  /** Its pitch from the zero crossings, Hz. */
  hz: number;
}

/**
 * The runs of sound in a recording: 10 ms windows whose RMS is over `threshold`, one run while
 * they follow each other within `joinMs` of clock time (a late packet leaves a short underrun, not
 * a new clip); `ms` counts the loud audio itself.
 */
export function soundRuns(rec: Recording, threshold = 500, joinMs = 200): SoundRun[] {
  const { samples, stamps } = rec;
  const win = 160;
  // Clock time of a sample: its chunk's arrival, less what followed it in that chunk.
  let k = 0;
  const timeOf = (i: number) => {
    while (k < stamps.length - 1 && stamps[k].end <= i) k++;
    return stamps[k].at - (stamps[k].end - i) / 16;
  };
  const runs: { at: number; last: number; windows: number; crossings: number }[] = [];
  for (let i = 0; i + win <= samples.length; i += win) {
    let sum = 0;
    let crossings = 0;
    for (let j = i; j < i + win; j++) {
      sum += samples[j] * samples[j];
      if (j > i && (samples[j - 1] < 0) !== (samples[j] < 0)) crossings++;
    }
    if (Math.sqrt(sum / win) <= threshold) continue;
    const t = timeOf(i);
    const run = runs.at(-1);
    if (run && t - run.last <= joinMs + 10) {
      run.last = t;
      run.windows++;
      run.crossings += crossings;
    } else runs.push({ at: t, last: t, windows: 1, crossings });
  }
  return runs.map((r) => ({
    at: r.at,
    ms: r.windows * 10,
    hz: r.crossings / 2 / (r.windows * 0.01),
  }));
}
