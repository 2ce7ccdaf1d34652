/**
 * "Did you mean …?": the one edit distance of the codebase and the suggestions built on it
 * (manifest keys and command names, `.mdf` keys, message types in bots).
 *
 * @module
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): insertions, deletions,
 * substitutions and swaps of two neighbouring characters each cost 1, so `STPO` is one edit from
 * `STOP`.
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * editDistance("RECOG_EVENT_STPO", "RECOG_EVENT_STOP"); // 1
 * editDistance("modul", "module"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** Options of {@link closest}. */
export interface ClosestOptions {
  /** Largest distance accepted (default: 2, or a third of the word's length if more). */
  maxDistance?: number;
}

/**
 * The candidate closest to `word` (case-insensitive), or undefined when nothing is close enough to
 * be a plausible typo. A candidate equal but for case wins at once.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * closest("modul", ["module", "dir"]); // "module"
 * closest("SYNTH_STRAT", ["SYNTH_START", "SYNTH_STOP"], { maxDistance: 1 }); // "SYNTH_START"
 * ```
 */
export function closest(
  word: string,
  candidates: Iterable<string>,
  options: ClosestOptions = {},
): string | undefined {
  const lower = word.toLowerCase();
  const tolerance = options.maxDistance ?? Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === lower) return candidate;
    // Lengths further apart than the tolerance cannot be within it.
    if (Math.abs(c.length - lower.length) > tolerance) continue;
    const distance = editDistance(lower, c);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= tolerance ? best : undefined;
}
