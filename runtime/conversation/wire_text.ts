/**
 * Making speech text safe for MMDAgent-EX's wire and for its lip-sync line.
 *
 * Two limits matter (`speech.md` §4): a `SYNTH_START` text must not contain what splits a line
 * (`|`, CR, LF, NUL), and the text must be short enough that the `LIPSYNC_START|model|<phonemes>`
 * line the TTS plugin then issues stays under MMDAgent-EX's 2048-byte message limit. Past it the
 * binary cuts that line without LF and glues it to the next message (observed at 123 words; safe
 * up to about 60 words or 300 characters of English). The phoneme list is not known before
 * synthesis, so {@link estimateLipBytes} estimates it from the text per script, from the measured
 * figures (41 English words gave a 991-byte line, about 24 bytes per word; a Japanese mora is one
 * consonant and one vowel, `k,110,o,145,` ≈ 12 bytes), and long texts are split at sentence, then
 * clause, then word boundaries so that each part stays under {@link LIP_BUDGET}.
 *
 * @module
 */
import { splitSentences } from "./segment.ts";

/**
 * Estimated lip-sync bytes one utterance may carry: 2048 less the `LIPSYNC_START|model|` prefix
 * leaves about 2000, and the estimate is rough (±30 % by the measured figures), so 1300.
 */
export const LIP_BUDGET = 1300;

/**
 * Estimated bytes of the lip-sync list MMDAgent-EX's TTS makes for `text`: about 5 per Latin
 * letter (one phoneme `xx,NN,` per letter and a bit), 20 per digit (read out as words), 12 per
 * kana (one mora), 24 per kanji (about two morae), 1 per space or punctuation mark.
 */
export function estimateLipBytes(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x7f) {
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) n += 5;
      else if (c >= 0x30 && c <= 0x39) n += 20;
      else n += 1;
    } else if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0xff66 && c <= 0xff9f)) n += 12;
    else if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) n += 24;
    else if (c >= 0xff10 && c <= 0xff19) n += 20;
    else if (/\p{L}/u.test(ch)) n += 6;
    else n += 2;
  }
  return n;
}

/**
 * Makes a text safe as the last field of a speech command: `|` (the field separator) becomes a
 * space, line breaks and tabs become spaces, NUL and other control characters and lone
 * surrogates are removed, runs of white space collapse, and the ends are trimmed.
 *
 * @example
 * wireSafeText("a|b\r\nc\0d"); // "a b cd"
 */
export function wireSafeText(text: string): string {
  let out = "";
  for (const ch of String(text)) {
    const c = ch.codePointAt(0)!;
    if (ch === "|" || ch === "\n" || ch === "\r" || ch === "\t") out += " ";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) continue;
    else if (c >= 0xd800 && c <= 0xdfff) continue; // a lone surrogate (pairs iterate as one)
    else if (c === 0xfeff || c === 0x2028 || c === 0x2029) out += " ";
    else out += ch;
  }
  return out.replace(/\s+/g, " ").trim();
}

const CLAUSE_END = /[,、，;；:：—–)）」』]/;

/** Splits one over-long sentence at clause boundaries, then spaces, then anywhere. */
function splitSentence(s: string, budget: number): string[] {
  const parts: string[] = [];
  let rest = s;
  while (estimateLipBytes(rest) > budget) {
    // The longest prefix within the budget, cut at the best boundary it contains.
    const chars = [...rest];
    let fit = 0;
    let bytes = 0;
    for (; fit < chars.length; fit++) {
      bytes += estimateLipBytes(chars[fit]);
      if (bytes > budget) break;
    }
    let cut = -1;
    for (let k = fit - 1; k > fit / 3; k--) {
      if (
        CLAUSE_END.test(chars[k]) &&
        !(/\d/.test(chars[k - 1] ?? "") && /\d/.test(chars[k + 1] ?? ""))
      ) {
        cut = k + 1;
        break;
      }
    }
    if (cut < 0) {
      for (let k = fit - 1; k > fit / 3; k--) {
        if (chars[k] === " ") {
          cut = k + 1;
          break;
        }
      }
    }
    if (cut <= 0) cut = Math.max(1, fit);
    parts.push(chars.slice(0, cut).join("").trim());
    rest = chars.slice(cut).join("").trim();
  }
  if (rest !== "") parts.push(rest);
  return parts.filter((p) => p !== "");
}

/**
 * Splits a text into utterances that each stay under the lip-sync budget: whole sentences packed
 * together while they fit, an over-long sentence cut at clause boundaries (`,` `、` `;`…), then at
 * spaces, then between characters. The text should already be {@link wireSafeText}.
 *
 * @example
 * splitForWire("Short."); // ["Short."]
 * splitForWire(longParagraph).every((p) => estimateLipBytes(p) <= LIP_BUDGET); // true
 */
export function splitForWire(text: string, budget: number = LIP_BUDGET): string[] {
  if (estimateLipBytes(text) <= budget) return text === "" ? [] : [text];
  const out: string[] = [];
  let cur = "";
  for (const sentence of splitSentences(text, { maxChars: 100_000 })) {
    const pieces = estimateLipBytes(sentence) > budget
      ? splitSentence(sentence, budget)
      : [sentence];
    for (const p of pieces) {
      const joined = cur === ""
        ? p
        : /[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]$/.test(cur)
        ? cur + p
        : `${cur} ${p}`;
      if (estimateLipBytes(joined) <= budget) cur = joined;
      else {
        if (cur !== "") out.push(cur);
        cur = p;
      }
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}
