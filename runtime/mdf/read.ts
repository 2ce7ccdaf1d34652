/**
 * Reads one `.mdf` file byte for byte as MMDAgent-EX does (reference Part 3): lines in chunks of at
 * most 2047 bytes, `#` a comment only at byte 0, only trailing space/tab/CR/LF trimmed, split at
 * the first `=`, no `=` → ignored, keys byte-exact, `%ENV{NAME}` expanded, no BOM handling. Every
 * line keeps its number so every message can name `file:line`.
 */
import type { Origin } from "./plan_types.ts";
import { MdfError } from "./finding.ts";
import { type EnvLookup, expandEnv, processEnv } from "./expand_env.ts";

/** What one physical chunk of the file turned out to be. */
export type MdfLineKind = "comment" | "blank" | "entry" | "no-equals";

/** One chunk as MMDAgent-EX's reader sees it (a line, or a piece of a line over 2047 bytes). */
export interface MdfLine {
  origin: Origin;
  kind: MdfLineKind;
  /** The chunk decoded as UTF-8 (lenient), trailing whitespace trimmed, BOM kept. */
  text: string;
  /** True when this chunk is the tail of a line longer than 2047 bytes. */
  continuation: boolean;
  /** True when the physical line is longer than 2047 bytes (it was split). */
  split: boolean;
  /** True when the chunk holds bytes that are not valid UTF-8. */
  invalidUtf8: boolean;
  /** For `entry` chunks: the key exactly as MMDAgent-EX stores it. */
  key?: string;
  /** For `entry` chunks: the text after the first `=`, before `%ENV` expansion. */
  rawValue?: string;
}

/** One `key=value` as MMDAgent-EX stores it. */
export interface MdfEntry {
  key: string;
  /** The value after `%ENV{}` expansion (what a plugin reads). */
  value: string;
  /** The value as written in the file. */
  raw: string;
  origin: Origin;
  /** Environment variables the value refers to (empty when it uses none). */
  envNames: string[];
}

/** One parsed file. */
export interface MdfFile {
  /** The path as the user named it (used in messages). */
  file: string;
  lines: MdfLine[];
  /** Every entry in file order, duplicates included. */
  entries: MdfEntry[];
  /**
   * Problems that make MMDAgent-EX reject the file. When non-empty, MMDAgent-EX loads **none** of
   * this file's keys (for the content file it shows an error prompt instead of starting).
   */
  errors: MdfError[];
}

/** Options of {@link parseMdf} and {@link readMdfFile}. */
export interface ParseOptions {
  /** Environment for `%ENV{}`; defaults to this process's environment. */
  env?: EnvLookup;
}

/** MMDAgent-EX reads with a 2048-byte buffer: at most 2047 bytes per chunk. */
export const MAX_CHUNK_BYTES = 2047;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

/** Splits bytes the way `gets(buf, 2048)` does: at LF (kept) or after 2047 bytes. */
function* chunks(
  bytes: Uint8Array,
): Generator<{ bytes: Uint8Array; line: number; continuation: boolean; split: boolean }> {
  let line = 1;
  let start = 0;
  while (start < bytes.length) {
    let lf = bytes.indexOf(0x0a, start);
    if (lf < 0) lf = bytes.length - 1;
    const physicalEnd = lf + 1;
    const split = physicalEnd - start > MAX_CHUNK_BYTES &&
      // a line of exactly 2047 bytes plus LF fits content-wise; the LF is a chunk of its own
      // that trims to nothing, so it is not worth calling "split".
      !(physicalEnd - start === MAX_CHUNK_BYTES + 1 && bytes[lf] === 0x0a);
    let pos = start;
    let continuation = false;
    while (pos < physicalEnd) {
      const end = Math.min(physicalEnd, pos + MAX_CHUNK_BYTES);
      yield { bytes: bytes.subarray(pos, end), line, continuation, split };
      continuation = true;
      pos = end;
    }
    start = physicalEnd;
    line++;
  }
}

function isValidUtf8(b: Uint8Array): boolean {
  try {
    strictDecoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Strips trailing space, tab, CR and LF: the only trimming MMDAgent-EX does. */
function trimEnd(s: string): string {
  return s.replace(/[ \t\r\n]+$/, "");
}

/**
 * Parses the bytes of one `.mdf`. Never throws: problems that make MMDAgent-EX reject the file
 * are returned in `errors`.
 *
 * @example
 * ```ts
 * const f = parseMdf(new TextEncoder().encode("Plugin_Remote_EnableServer=true\n"), "a.mdf");
 * f.entries[0]; // { key: "Plugin_Remote_EnableServer", value: "true", origin: { file: "a.mdf", line: 1 }, … }
 * ```
 */
export function parseMdf(bytes: Uint8Array, file: string, options: ParseOptions = {}): MdfFile {
  const env = options.env ?? processEnv;
  const lines: MdfLine[] = [];
  const entries: MdfEntry[] = [];
  const errors: MdfError[] = [];
  for (const chunk of chunks(bytes)) {
    const origin = { file, line: chunk.line };
    const invalidUtf8 = !isValidUtf8(chunk.bytes);
    const text = trimEnd(decoder.decode(chunk.bytes));
    const base = {
      origin,
      text,
      continuation: chunk.continuation,
      split: chunk.split,
      invalidUtf8,
    };
    if (chunk.bytes[0] === 0x23 /* # */) {
      lines.push({ ...base, kind: "comment" });
      continue;
    }
    // MMDAgent-EX's option pass expands %ENV over the whole line before anything else and
    // rejects the file on failure, even for lines that hold no `=`.
    const whole = expandEnv(text, env);
    if (!whole.ok) errors.push(envError(whole.reason, origin, whole.name));
    if (text === "") {
      lines.push({ ...base, kind: "blank" });
      continue;
    }
    const eq = text.indexOf("=");
    if (eq < 0) {
      lines.push({ ...base, kind: "no-equals" });
      continue;
    }
    const key = text.slice(0, eq);
    const raw = text.slice(eq + 1);
    lines.push({ ...base, kind: "entry", key, rawValue: raw });
    const expanded = expandEnv(raw, env);
    entries.push({
      key,
      raw,
      value: expanded.ok ? expanded.value : raw,
      origin,
      envNames: expanded.names,
    });
  }
  return { file, lines, entries, errors };
}

function envError(
  reason: "unterminated" | "self-reference" | "too-long",
  at: Origin,
  name?: string,
): MdfError {
  switch (reason) {
    case "unterminated":
      return new MdfError(
        "env-unterminated",
        at,
        "`%ENV{` without a closing `}`: MMDAgent-EX rejects the whole file (none of its keys are " +
          "loaded; for the content file it shows an error instead of starting)",
        "close the variable name with `}`, e.g. `%ENV{HOME}`",
      );
    case "self-reference":
      return new MdfError(
        "env-self-reference",
        at,
        `environment variable ${name ?? "?"} refers back to itself through \`%ENV{…}\`: ` +
          "MMDAgent-EX expands it in a loop (it hangs at start-up, or rejects the file once the " +
          "text grows past 2048 bytes)",
        `give ${name ?? "the variable"} a value without \`%ENV{…}\` in it`,
      );
    case "too-long":
      return new MdfError(
        "env-too-long",
        at,
        `the line is over 2048 bytes once ${name ?? "a variable"} is expanded: MMDAgent-EX ` +
          "rejects the whole file",
        `shorten the value of ${name ?? "the variable"}`,
      );
  }
}

/**
 * Reads and parses an `.mdf` file. Throws {@link MdfError} (code `unreadable`) when the file
 * cannot be read; problems inside the file are in the result's `errors`.
 */
export async function readMdfFile(path: string, options: ParseOptions = {}): Promise<MdfFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "it is a folder"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : String((e as Error).message ?? e);
    throw new MdfError(
      "unreadable",
      { file: path, line: 0 },
      `cannot read the .mdf: ${why}`,
      "check the path (it is relative to the current folder) and the read permission",
    );
  }
  return parseMdf(bytes, path, options);
}
