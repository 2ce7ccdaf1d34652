/**
 * Plugin_AnyScript commands (reference 7.8): `Plugin_AnyScript_Command` and `…Command1` to
 * `…Command9` each start one child process at MMDAgent-EX start-up, with the line split into words
 * and run without a shell, in the content `.mdf`'s folder. This module finds them, says which ones
 * start mmdbot (`start --stdio`), and lints the ways such a line silently fails.
 */
import type { Origin } from "./plan_types.ts";
import type { MdfDocument } from "./layer.ts";
import { resolveFromContent } from "./layer.ts";
import { type Finding, finding } from "./finding.ts";
import { ANYSCRIPT_COMMAND_KEYS } from "./keys.ts";
import { findOnPath } from "../paths/which.ts";

/** One configured child process. */
export interface AnyScriptCommand {
  key: string;
  /** The command line after `%ENV{}` expansion. */
  command: string;
  /** The words `execvp` receives (split at spaces and tabs, no quoting). */
  words: string[];
  origin: Origin;
  /** The line runs mmdbot (names `mmdbot` or `runtime/cli/main.ts`) with `start --stdio`. */
  startsMmdbot: boolean;
  /** The line names mmdbot at all (with or without `start --stdio`). */
  mentionsMmdbot: boolean;
}

function mentionsMmdbot(words: string[]): boolean {
  return words.some((w) => /mmdbot/i.test(w) || /(^|[\\/])runtime[\\/]cli[\\/]main\.ts$/.test(w));
}

function hasStartStdio(words: string[]): boolean {
  const start = words.indexOf("start");
  return start >= 0 && words.slice(start + 1).includes("--stdio");
}

/**
 * The Plugin_AnyScript commands of a document, in key order (`Command`, then `Command1`…`9`).
 * Empty values start nothing and are left out.
 */
export function anyScriptCommands(doc: Pick<MdfDocument, "keys">): AnyScriptCommand[] {
  const out: AnyScriptCommand[] = [];
  for (const key of ANYSCRIPT_COMMAND_KEYS) {
    const e = doc.keys.get(key);
    if (!e || e.value.trim() === "") continue;
    const words = e.value.split(/[ \t]+/).filter((w) => w !== "");
    const mentions = mentionsMmdbot(words);
    out.push({
      key,
      command: e.value,
      words,
      origin: e.origin,
      mentionsMmdbot: mentions,
      startsMmdbot: mentions && hasStartStdio(words),
    });
  }
  return out;
}

const SHELL_SYNTAX = /^(\||\|\||&&|;|>|>>|<|2>|&)$|^[<>]|\$\(|`/;

function looksLikePath(word: string, index: number): boolean {
  if (word.startsWith("-")) return false;
  if (index === 0) return word.includes("/") || word.includes("\\");
  return /\.(m?[jt]s|py|sh|mdf)$/.test(word) && !word.includes("://");
}

/**
 * Findings about the AnyScript commands: which start mmdbot (and in which folder), lines that
 * name mmdbot without `start --stdio`, shell syntax and quotes that `execvp` passes literally,
 * and relative paths that do not exist from the `.mdf`'s folder.
 */
export async function lintAnyScript(
  doc: Pick<MdfDocument, "keys" | "dir">,
  commands: AnyScriptCommand[] = anyScriptCommands(doc),
  remoteTransport = false,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const c of commands) {
    if (c.startsMmdbot) {
      out.push(finding(
        "info",
        c.origin,
        "anyscript-starts-mmdbot",
        `${c.key} starts mmdbot as a Plugin_AnyScript child (\`start --stdio\`): MMDAgent-EX ` +
          `runs it in the .mdf's folder (${doc.dir}), writes every message to its stdin and ` +
          "takes each line of its stdout as a message; no socket, no disconnects",
      ));
    } else if (c.mentionsMmdbot) {
      out.push(finding(
        "warning",
        c.origin,
        "anyscript-mmdbot-not-stdio",
        `${c.key} runs mmdbot but not with \`start --stdio\`: MMDAgent-EX talks to an AnyScript ` +
          "child only over its stdin and stdout",
        "run `… runtime/cli/main.ts start --stdio`",
      ));
    }
    if (c.words.some((w) => SHELL_SYNTAX.test(w))) {
      out.push(finding(
        "warning",
        c.origin,
        "anyscript-shell-syntax",
        `${c.key} contains shell syntax (pipes, redirections, \`&&\`, \`$(…)\`), but MMDAgent-EX ` +
          "runs the line without a shell: those characters reach the program as plain arguments",
        "put the pipeline in a script file and run that script",
      ));
    }
    if (c.words.some((w) => /["']/.test(w))) {
      out.push(finding(
        "warning",
        c.origin,
        "anyscript-quotes",
        `${c.key} contains quotes, but MMDAgent-EX splits the line at spaces without a shell: ` +
          "quotes are passed literally and cannot protect spaces",
        "use paths without spaces (or a wrapper script)",
      ));
    }
    if (c.words.some((w) => w.startsWith("~"))) {
      out.push(finding(
        "warning",
        c.origin,
        "anyscript-tilde",
        `${c.key} uses \`~\`, which only a shell expands; MMDAgent-EX passes it literally`,
        "write the absolute path",
      ));
    }
    const program = c.words[0];
    if (program && !/[\\/]/.test(program) && findOnPath(program) === undefined) {
      out.push(finding(
        "warning",
        c.origin,
        "anyscript-program-not-on-path",
        `${c.key} starts \`${program}\`, which is not on this shell's PATH; MMDAgent-EX runs the ` +
          "line without a shell and finds a bare name only on its own PATH",
        c.startsMmdbot
          ? "use the line `mmdbot new` prints (Deno by absolute path, or `npx -y deno@2.9.6`)"
          : "name the program by its absolute path",
      ));
    }
    for (const [i, w] of c.words.entries()) {
      if (!looksLikePath(w, i)) continue;
      const full = resolveFromContent(doc, w);
      let exists = true;
      try {
        await Deno.stat(full);
      } catch (e) {
        // Without read permission we cannot tell; only a clear "not found" is reported.
        exists = !(e instanceof Deno.errors.NotFound);
      }
      if (!exists) {
        out.push(finding(
          "warning",
          c.origin,
          "anyscript-missing-path",
          `${c.key} names \`${w}\`, which does not exist from the .mdf's folder (${full}); ` +
            "MMDAgent-EX starts AnyScript children in that folder",
          "write the path relative to the .mdf's folder, or absolute",
        ));
      }
    }
  }
  const starters = commands.filter((c) => c.startsMmdbot);
  if (starters.length > 1) {
    out.push(finding(
      "warning",
      starters[1].origin,
      "anyscript-mmdbot-twice",
      `${starters.length} AnyScript commands start mmdbot (${
        starters.map((c) => c.key).join(", ")
      }): ` +
        "each child gets every message, so every bot answers twice",
      "keep one of them",
    ));
  }
  if (starters.length > 0 && remoteTransport) {
    out.push(finding(
      "warning",
      starters[0].origin,
      "anyscript-and-remote",
      "MMDAgent-EX starts mmdbot through AnyScript and also has a Plugin_Remote transport: a " +
        "second mmdbot connected over the socket would run the same bots again",
      "use one way: either the AnyScript child or the Plugin_Remote keys",
    ));
  }
  return out;
}
