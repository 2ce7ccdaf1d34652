/**
 * Reads `qa.yaml` with a real YAML parser: the `yaml` npm package, which this bot may import
 * because its entry in bots/bots.yaml names it (`permissions.npm: [yaml@2.9.1]`); the host fetches
 * it before the bot starts and the bot sees only that package, read-only. Errors name the line so
 * the author can fix the file.
 */
// A bot runs without the project's deno.json, so it names the package and the version its
// manifest entry grants right here.
// deno-lint-ignore no-import-prefix
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "npm:yaml@2.9.1";

/** One question/answer entry. */
export interface QaEntry {
  keywords: string[];
  answer: string;
}

/** Parses the file's text; throws `Error("qa.yaml:<line>: …")` when it is not a list of entries. */
export function parseQa(text: string, file = "qa.yaml"): QaEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const pos = lines.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new Error(`${at(e.pos[0])}: ${e.message.split("\n")[0]}`);
  }
  const list = doc.contents;
  if (!isSeq(list)) {
    throw new Error(`${at(list?.range?.[0])}: expected a list of "- keywords: …" entries`);
  }
  return list.items.map((item) => {
    const where = at((item as { range?: number[] }).range?.[0]);
    if (!isMap(item)) throw new Error(`${where}: an entry is a map with keywords: and answer:`);
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (key !== "keywords" && key !== "answer") {
        const place = at((pair.key as { range?: number[] } | null)?.range?.[0]);
        throw new Error(`${place}: unknown key "${key}" (an entry has keywords: and answer:)`);
      }
    }
    const raw = item.toJSON() as Record<string, unknown>;
    const keywords = Array.isArray(raw.keywords)
      ? raw.keywords
      : typeof raw.keywords === "string"
      ? raw.keywords.split(",")
      : [];
    const answer = raw.answer;
    const words = keywords.map((k) => String(k).trim().toLowerCase()).filter((k) => k !== "");
    if (words.length === 0 || typeof answer !== "string" || answer.trim() === "") {
      throw new Error(`${where}: an entry needs both keywords: [..] and answer: text`);
    }
    return { keywords: words, answer: answer.trim() };
  });
}

/** The first entry with a keyword inside `said`, if any. */
export function findAnswer(entries: readonly QaEntry[], said: string): string | undefined {
  const text = said.toLowerCase();
  return entries.find((e) => e.keywords.some((k) => text.includes(k)))?.answer;
}
