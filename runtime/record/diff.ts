/**
 * A readable, unified-style diff of two line lists (Myers' O(ND) algorithm), for `replay`: what
 * the recording says the bots sent against what they send now.
 */

/** One line of an edit script: kept (` `), only in the old list (`-`), only in the new (`+`). */
export interface DiffOp {
  op: " " | "-" | "+";
  line: string;
  /** Index in the old list (for ` ` and `-`). */
  a?: number;
  /** Index in the new list (for ` ` and `+`). */
  b?: number;
}

/** The shortest edit script turning `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length, m = b.length, max = n + m;
  if (max === 0) return [];
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])
        ? v[off + k + 1]
        : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break outer;
      }
    }
  }
  const ops: DiffOp[] = [];
  let x = n, y = m;
  for (let d = found; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[off + k - 1] < vd[off + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[off + prevK];
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ op: " ", line: a[x], a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) {
        y--;
        ops.push({ op: "+", line: b[y], b: y });
      } else {
        x--;
        ops.push({ op: "-", line: a[x], a: x });
      }
    }
  }
  return ops.reverse();
}

/** Options of {@link formatDiff}. */
export interface FormatOptions {
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
  /** Adds a note to a kept line (e.g. a timing difference); a note marks it as a change (`~`). */
  note?: (op: DiffOp) => string | undefined;
}

/**
 * Formats an edit script as hunks: `-` recorded only, `+` replayed only, `~` same line with a
 * note, two spaces for context; `@@ old-line,new-line @@` opens each hunk. Empty when equal.
 */
export function formatDiff(ops: readonly DiffOp[], options: FormatOptions = {}): string {
  const context = options.context ?? 3;
  const notes = ops.map((o) => o.op === " " ? options.note?.(o) : undefined);
  const changed = ops.map((o, i) => o.op !== " " || notes[i] !== undefined);
  const show = ops.map(() => false);
  changed.forEach((c, i) => {
    if (!c) return;
    for (let j = Math.max(0, i - context); j <= Math.min(ops.length - 1, i + context); j++) {
      show[j] = true;
    }
  });
  const out: string[] = [];
  let prevShown = -2;
  let ai = 0, bi = 0;
  ops.forEach((o, i) => {
    if (show[i]) {
      if (i !== prevShown + 1) out.push(`@@ recorded #${ai + 1}, replayed #${bi + 1} @@`);
      prevShown = i;
      if (notes[i] !== undefined) out.push(`~ ${o.line}    (${notes[i]})`);
      else out.push(`${o.op} ${o.line}`);
    }
    if (o.op !== "+") ai++;
    if (o.op !== "-") bi++;
  });
  return out.join("\n");
}
