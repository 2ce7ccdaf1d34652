/**
 * Shows the avatar's side of a console session readably: who speaks what, motions, captions,
 * prompts and text areas, instead of raw protocol lines. Pure formatting; colour only when asked.
 */

/**
 * One rendered line, or undefined when the line is not worth showing at this verbosity. `bot`
 * (the bot that sent it) is shown in brackets at the end, so you can tell which bot spoke.
 */
export function renderOutbound(line: string, color: boolean, bot?: string): string | undefined {
  const text = renderLine(line, color);
  if (text === undefined || bot === undefined) return text;
  return `${text} ${color ? `\x1b[2m[${bot}]\x1b[0m` : `[${bot}]`}`;
}

function renderLine(line: string, color: boolean): string | undefined {
  const bar = line.indexOf("|");
  const type = bar === -1 ? line : line.slice(0, bar);
  const f = bar === -1 ? [] : line.slice(bar + 1).split("|");
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  switch (type) {
    case "SYNTH_START":
      return `${paint("1;36", `${f[0] ?? "?"} says:`)} ${f.slice(2).join("|")}`;
    case "SYNTH_STOP":
      return paint("2", `${f[0] ?? "?"} stops speaking`);
    case "MOTION_ADD":
      return paint("35", `${f[0] ?? "?"} plays motion ${f[1] ?? "?"} (${f[2] ?? "?"})`);
    case "CAPTION_START":
      return `${paint("33", "caption:")} ${(f[2] ?? "").replaceAll("_", " ")}`;
    case "TEXTAREA_SET":
      return `${paint("33", `text ${f[0] ?? "?"}:`)} ${(f[1] ?? "").replaceAll("_", " ")}`;
    case "PROMPT_SHOW":
      return `${paint("1;33", "prompt:")} ${f[0] ?? ""} ${
        f.slice(1).map((c, i) => `[${i}] ${c}`).join("  ")
      }`;
    default:
      return paint("2", `> ${line}`);
  }
}

/** The console's help text, shown at start on a terminal. */
export const CONSOLE_HELP = [
  "Type what the user says and press Enter; the bots answer as the avatar.",
  "  /TYPE|ARGS   inject a raw message as MMDAgent-EX would issue it (e.g. /KEY|a)",
  "  //text       say a line that starts with /",
  "  Ctrl-D       quit (Ctrl-C too; a second Ctrl-C exits at once)",
].join("\n");
