/**
 * Whether a recognition result only echoes what the avatar was saying: a microphone that hears
 * the avatar's own voice turns it into a "user" utterance, which must not count as a barge-in
 * (nor be answered, which would make the avatar talk to itself).
 *
 * @module
 */

/** Lower-cased letters and digits only (any script), so punctuation and spacing do not matter. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

const tokens = (text: string): string[] => {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "");
  // Scripts written without spaces (Japanese) compare by character pairs instead of words.
  if (words.length <= 1 && [...normalise(text)].length > 3) {
    const c = [...normalise(text)];
    return c.slice(0, -1).map((x, i) => x + c[i + 1]);
  }
  return words;
};

/**
 * True when `heard` is non-empty and is part of one of `said` (after normalising), or at least
 * 80 % of its words (character pairs for Japanese) occur in it.
 *
 * @example
 * isEchoOf("how are", ["Hello, how are you?"]); // true
 * isEchoOf("stop please", ["Hello, how are you?"]); // false
 */
export function isEchoOf(heard: string, said: readonly string[]): boolean {
  const h = normalise(heard);
  if (h === "") return false;
  for (const s of said) {
    const n = normalise(s);
    if (n === "") continue;
    if (n.includes(h)) return true;
    const have = new Set(tokens(s));
    const want = tokens(heard);
    if (want.length > 0 && want.filter((w) => have.has(w)).length / want.length >= 0.8) return true;
  }
  return false;
}
