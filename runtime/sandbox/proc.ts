/**
 * Linux process inspection through `/proc`, for checking that a stopped bot is really gone: a
 * sandboxed bot is a small tree (prlimit/bwrap → namespace init → deno), and killing the top must
 * take every descendant with it. Returns empty results off Linux.
 *
 * Deno 2.9.6 treats every `/proc/<pid>/…` path as needing `--allow-all` (measured: `--allow-read`
 * alone gets "Requires all access to /proc/1/stat"), so without it the files are read through
 * `cat` (coreutils, always present on Linux), which needs `--allow-run`.
 *
 * @module
 */

/** What `/proc/<pid>/stat` says about one process. */
export interface ProcStat {
  pid: number;
  /** Parent pid. */
  ppid: number;
  /** One-letter state: R running, S sleeping, Z zombie, … */
  state: string;
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
}

/** Parses one `/proc/<pid>/stat` line. */
export function parseStat(line: string): ProcStat | undefined {
  const open = line.indexOf(" (");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < 0) return undefined;
  // The command name is in parentheses and may itself hold spaces or ")": split after the last ")".
  const fields = line.slice(close + 2).split(" ");
  return {
    pid: Number(line.slice(0, open)),
    state: fields[0],
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

/** Reads `/proc/<pid>/stat`; undefined when the process does not exist (any more). */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  const [text] = await readProc([`/proc/${pid}/stat`]);
  return text ? parseStat(text) : undefined;
}

/** `pid` and all its descendants that exist now, parents first. */
export async function processTree(pid: number): Promise<ProcStat[]> {
  const all = (await readProc(["/proc/[0-9]*/stat"], true))
    .flatMap((text) => text.split("\n"))
    .map((line) => line.trim() ? parseStat(line) : undefined)
    .filter((s): s is ProcStat => s !== undefined);
  const root = all.find((s) => s.pid === pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const stat of all) if (stat.ppid === tree[i].pid) tree.push(stat);
  }
  return tree;
}

/** True when the process no longer runs: gone, or a zombie waiting to be reaped (no CPU). */
export async function isGone(pid: number): Promise<boolean> {
  const stat = await procStat(pid);
  return stat === undefined || stat.state === "Z" || stat.state === "X";
}

/** The contents of `/proc` files (`glob` allows a shell pattern); missing files are skipped. */
async function readProc(paths: string[], glob = false): Promise<string[]> {
  if (Deno.build.os !== "linux") return [];
  if (!glob) {
    try {
      return paths.map((path) => Deno.readTextFileSync(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable)) return [];
    }
  }
  const script = `cat ${paths.join(" ")} 2>/dev/null; exit 0`;
  try {
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", script],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    return text ? [text] : [];
  } catch {
    return [];
  }
}
