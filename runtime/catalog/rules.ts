/**
 * The vocabulary of command forms: which field counts a command accepts and what each field must
 * look like for MMDAgent-EX to act on it. Forms come from the catalog (`forms.ts`) or from the
 * hand-written table of what the catalog cannot express (`overrides.ts`).
 *
 * @module
 */
import { atof, vectorItems } from "./syntax.ts";

/** What one field must look like. Only what the binary itself rejects is checked. */
export type FieldRule =
  /** Anything non-empty (numbers are read with atof, so any text is some number). */
  | { kind: "text" }
  /** A comma vector with at least `size` non-empty items (`MMDAgent_str2fvec`). */
  | { kind: "vector"; size: number }
  /** One of a fixed set of words, compared case-sensitively. */
  | { kind: "enum"; values: readonly string[] }
  /** A number greater than zero as atof reads it (`TIMER_START`'s duration). */
  | { kind: "positive" }
  /** Any text except these words, which the binary misreads (`WINDOWFRAME|NONE`). */
  | { kind: "not"; values: readonly string[]; why: string };

/** One accepted layout of a command's fields. */
export interface Shape {
  /** Picks this shape by the fields (e.g. MENU's sub-command); absent = always a candidate. */
  readonly when?: (fields: readonly string[]) => boolean;
  /** Smallest accepted field count. */
  readonly min: number;
  /** Largest accepted field count. */
  readonly max: number;
  /** Rules by field index; missing entries mean `text`. */
  readonly fields: readonly (FieldRule | undefined)[];
  /** The form as a person reads it, e.g. `CAMERA|x,y,z|rx,ry,rz|distance|fovy[|seconds]`. */
  readonly usage: string;
}

/** Everything validation needs to know about one command. */
export interface CommandForm {
  /** Message type. */
  readonly type: string;
  /** Accepted layouts; a line must fit one of them. */
  readonly shapes: readonly Shape[];
  /** A line the binary accepts, shown in refusals. */
  readonly example: string;
  /** True when the handler takes the whole ARGS text as one name (`TIMER_CANCEL|a|b` → `a|b`). */
  readonly wholeArgsName?: boolean;
}

/** Checks one field against its rule; returns what is wrong, or `undefined`. */
export function checkField(rule: FieldRule | undefined, value: string): string | undefined {
  if (!rule) return undefined;
  switch (rule.kind) {
    case "text":
      return undefined;
    case "vector": {
      const n = vectorItems(value).length;
      return n >= rule.size
        ? undefined
        : `"${value}" has ${n} comma-separated number${
          n === 1 ? "" : "s"
        }, ${rule.size} are needed`;
    }
    case "enum":
      return rule.values.includes(value)
        ? undefined
        : `"${value}" is not one of ${rule.values.join(", ")}`;
    case "positive":
      return atof(value) > 0 ? undefined : `"${value}" is not a number greater than 0`;
    case "not":
      return rule.values.includes(value) ? `"${value}": ${rule.why}` : undefined;
  }
}
