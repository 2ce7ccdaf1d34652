/**
 * Sentence segmentation for speech, Japanese and English, one chunk at a time: a text stream (an
 * LLM's tokens) goes in, sentences come out as soon as they are complete, so the first one can be
 * spoken while the rest is still being written.
 *
 * A sentence ends at `。！？!?` (and `.` followed by white space), at a line break, or at the end of
 * the stream. It does not end inside a number (`3.5`, `1,000`), after a common abbreviation
 * (`Mr.`, `e.g.`), or inside brackets and CJK quotes (`(…)`, `「…」`), unless the bracketed part runs
 * past `maxChars` (an unbalanced bracket must not hold speech back for ever). A `.` at the very end
 * of what arrived so far waits for the next chunk, which may turn out to be `5` of `3.5`.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

/** Options of {@link createSegmenter}. */
export interface SegmentOptions {
  /**
   * Also end the first segment at a comma (`,` `、` `，`) once it has this many characters, so
   * speech starts sooner (voice agents call it an aggressive first chunk). Default: off.
   */
  firstChunkAtComma?: number;
  /**
   * Longest segment: past it, the text is cut at the last clause boundary or space (default 200
   * characters; the wire splitter later keeps each utterance under the lip-sync limit anyway).
   */
  maxChars?: number;
}

/** A streaming segmenter. */
export interface Segmenter {
  /** Adds text; returns the sentences it completed, in order (often none). */
  push(text: string): string[];
  /** The stream ended: returns what is left as the last sentences. */
  flush(): string[];
}

const HARD_END = new Set(["。", "！", "？", "!", "?", "．", "‼", "⁇", "⁈", "⁉"]);
const OPEN = "([{（［｛「『【〈《“‘";
const CLOSE = ")]}）］｝」』】〉》”’";
const COMMA = new Set([",", "、", "，"]);
const CLAUSE = new Set([",", "、", "，", ";", "；", ":", "：", "—", "–"]);
// Lower-cased, without the dot; a `.` after one of these is not a sentence end.
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "jr",
  "st",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "no",
  "approx",
  "fig",
  "inc",
  "ltd",
  "co",
  "a.m",
  "p.m",
]);

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
/** True when the segment has something a voice can say (a letter or a digit in any script). */
export const speakable = (s: string): boolean => /[\p{L}\p{N}]/u.test(s);

/** The word just before position `i` (exclusive), lower-cased, for the abbreviation check. */
function wordBefore(text: string, i: number): string {
  let j = i;
  while (j > 0 && /[\p{L}.]/u.test(text[j - 1])) j--;
  return text.slice(j, i).toLowerCase();
}

/** Creates a streaming segmenter. */
export function createSegmenter(options: SegmentOptions = {}): Segmenter {
  const maxChars = Math.max(20, options.maxChars ?? 200);
  const firstComma = options.firstChunkAtComma;
  let buf = "";
  // Scan state over `buf`, so a long stream is scanned once, not once per chunk.
  let pos = 0;
  let depth = 0;
  let emitted = 0;
  const out: string[] = [];

  const emit = (end: number) => {
    const s = buf.slice(0, end).trim();
    buf = buf.slice(end);
    pos = 0;
    depth = 0;
    if (s !== "" && speakable(s)) {
      out.push(s);
      emitted++;
    } else if (s !== "" && out.length > 0) {
      // Punctuation alone ("…", ")") belongs to the sentence before it.
      out[out.length - 1] += s;
    }
  };

  /** Cuts an over-long segment at its last clause boundary, else its last space, else hard. */
  const cutLong = () => {
    let at = -1;
    for (let k = maxChars - 1; k > maxChars / 3; k--) {
      if (CLAUSE.has(buf[k]) && !(isDigit(buf[k - 1]) && isDigit(buf[k + 1]))) {
        at = k + 1;
        break;
      }
    }
    if (at < 0) {
      for (let k = maxChars - 1; k > maxChars / 3; k--) {
        if (isSpace(buf[k])) {
          at = k + 1;
          break;
        }
      }
    }
    emit(at < 0 ? maxChars : at);
  };

  /** Scans from `pos`; `final` when no more text will come. */
  const scan = (final: boolean) => {
    while (pos < buf.length) {
      const c = buf[pos];
      const next = buf[pos + 1];
      if (OPEN.includes(c)) depth++;
      else if (CLOSE.includes(c)) depth = Math.max(0, depth - 1);
      if (c === "\n" || c === "\r") {
        emit(pos + 1);
        continue;
      }
      if (depth === 0) {
        if (HARD_END.has(c)) {
          // Runs like "?!" or "!!" and closing quotes stay with the sentence.
          let end = pos + 1;
          while (end < buf.length && (HARD_END.has(buf[end]) || CLOSE.includes(buf[end]))) end++;
          if (end === buf.length && !final && c !== "。" && c !== "！" && c !== "？") {
            // "!" at the end so far: a "?" or a closing quote may still follow.
            return;
          }
          emit(end);
          continue;
        }
        if (c === "." || c === "…") {
          if (next === undefined && !final) return; // "3." may become "3.5"
          let end = pos + 1;
          while (end < buf.length && (buf[end] === "." || buf[end] === "…")) end++;
          while (end < buf.length && CLOSE.includes(buf[end])) end++;
          if (end === buf.length && !final) return;
          const after = buf[end];
          const number = c === "." && isDigit(buf[pos - 1]) && isDigit(next);
          const abbrev = c === "." && end === pos + 1 && ABBREVIATIONS.has(wordBefore(buf, pos));
          if (!number && !abbrev && (after === undefined || isSpace(after))) {
            emit(end);
            continue;
          }
          pos = end;
          continue;
        }
        if (firstComma !== undefined && emitted === 0 && out.length === 0 && COMMA.has(c)) {
          const numeric = isDigit(buf[pos - 1]) && isDigit(next);
          if (next === undefined && !final) return;
          if (
            !numeric && (c !== "," || isSpace(next)) &&
            buf.slice(0, pos).trim().length >= firstComma
          ) {
            emit(pos + 1);
            continue;
          }
        }
      }
      pos++;
      if (pos >= maxChars) cutLong();
    }
  };

  return {
    push(text) {
      buf += String(text);
      scan(false);
      return out.splice(0);
    },
    flush() {
      scan(true);
      emit(buf.length);
      return out.splice(0);
    },
  };
}

/**
 * Splits a whole text into sentences (the streaming segmenter run over one chunk).
 *
 * @example
 * splitSentences("It costs 3.5 dollars. Thanks!"); // ["It costs 3.5 dollars.", "Thanks!"]
 * splitSentences("こんにちは。「元気？」と聞いた。"); // ["こんにちは。", "「元気？」と聞いた。"]
 */
export function splitSentences(text: string, options: SegmentOptions = {}): string[] {
  const s = createSegmenter(options);
  return [...s.push(text), ...s.flush()];
}
