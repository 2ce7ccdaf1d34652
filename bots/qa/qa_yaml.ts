/**
 * Parser for the tiny YAML subset of `qa.yaml` (bot processes load no npm packages, so no YAML
 * library): a list of `- keywords: a, b` / `  answer: text` entries, `#` comments, optional quotes.
 * Errors name the line so the author can fix the file.
 */

/** One question/answer entry. */
export interface QaEntry {
  keywords: string[];
  answer: string;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  return v;
}

/** Parses the file's text; throws `Error("qa.yaml:<line>: …")` on anything outside the subset. */
export function parseQa(text: string, file = "qa.yaml"): QaEntry[] {
  const entries: { keywords?: string[]; answer?: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, "");
    if (line.trim() === "" || line.trim().startsWith("#")) return;
    let body = line.trim();
    if (body.startsWith("- ")) {
      entries.push({ line: i + 1 });
      body = body.slice(2).trim();
    }
    const current = entries.at(-1);
    const m = body.match(/^(keywords|answer):\s*(.*)$/);
    if (!current || !m) {
      throw new Error(
        `${file}:${i + 1}: expected "- keywords: …" or "answer: …", got ${raw.trim()}`,
      );
    }
    if (m[1] === "keywords") {
      current.keywords = m[2].split(",").map((k) => unquote(k).toLowerCase()).filter((k) => k);
    } else current.answer = unquote(m[2]);
  });
  return entries.map((e) => {
    if (!e.keywords?.length || !e.answer) {
      throw new Error(`${file}:${e.line}: an entry needs both keywords: and answer:`);
    }
    return { keywords: e.keywords, answer: e.answer };
  });
}

/** The first entry with a keyword inside `said`, if any. */
export function findAnswer(entries: readonly QaEntry[], said: string): string | undefined {
  const text = said.toLowerCase();
  return entries.find((e) => e.keywords.some((k) => text.includes(k)))?.answer;
}
