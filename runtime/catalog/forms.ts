/**
 * The accepted form of every catalog command: derived from messages.json (field counts from the
 * optional flags, comma vectors from the field names, fixed words from `values`) unless the
 * override table says otherwise.
 *
 * @module
 */
import { CATALOG, type CatalogArg } from "./messages.gen.ts";
import { OVERRIDES } from "./overrides.ts";
import type { CommandForm, FieldRule } from "./rules.ts";
import { MAX_FIELDS } from "./syntax.ts";

/** Catalog field names that are numeric comma vectors, with their component count. */
const VECTOR_SIZES: Record<string, number> = {
  "x,y,z": 3,
  "rx,ry,rz": 3,
  "x1,y1,z1": 3,
  "rx1,ry1,rz1": 3,
  "x2,y2,z2": 3,
  "rx2,ry2,rz2": 3,
  "x,y": 2,
  "r,g,b": 3,
  "r,g,b,a": 4,
  "bg_r,g,b,a": 4,
  "text_r,g,b,a": 4,
  "base_r,g,b,a": 4,
  "edge1_r,g,b,a,thickness": 5,
  "edge2_r,g,b,a,thickness": 5,
  "width,height": 2,
  "size,margin,linespace": 3,
};

/**
 * Wire lines of Plugin_Remote (`__AV…`, `SND…`, the relay notice): not messages, so the message
 * validator leaves them to the wire room, which parses them (and unwraps `__AV_MESSAGE,`).
 */
export function isWireLevel(type: string): boolean {
  return type.startsWith("__") || type === "SND" || type === "SNDSTRM" || type === "SNDFILE" ||
    type === "SNDBRKS";
}

function ruleFor(arg: CatalogArg): FieldRule {
  if (arg.values) return { kind: "enum", values: arg.values };
  const size = VECTOR_SIZES[arg.name];
  if (size) return { kind: "vector", size };
  return { kind: "text" };
}

function sampleFor(arg: CatalogArg, rule: FieldRule): string {
  if (rule.kind === "vector") return Array(rule.size).fill("0").join(",");
  if (rule.kind === "enum") return rule.values[0];
  return arg.alternatives?.[0] ?? arg.name;
}

function usageOf(type: string, args: readonly CatalogArg[]): string {
  let s = type;
  let open = 0;
  for (const a of args) {
    const shown = a.values ? a.values.join("/") : a.name.replace(/\|/g, "_or_");
    if (a.optional) {
      s += `[|${shown}`;
      open++;
    } else s += `|${shown}`;
  }
  return s + "]".repeat(open);
}

/** The form derived from the catalog alone (no override applied). */
export function catalogForm(type: string): CommandForm | undefined {
  const entry = (CATALOG as Record<string, (typeof CATALOG)[keyof typeof CATALOG]>)[type];
  if (!entry || entry.direction !== "command" || isWireLevel(type)) return undefined;
  const args = entry.args;
  const rules = args.map(ruleFor);
  const min = args.filter((a) => !a.optional).length;
  // A command without arguments ignores extra fields rather than rejecting them.
  const max = args.length === 0
    ? MAX_FIELDS
    : args.some((a) => a.variadic)
    ? MAX_FIELDS
    : args.length;
  const required = args.map((a, i) => ({ a, r: rules[i] })).filter(({ a }) => !a.optional);
  const example = [type, ...required.map(({ a, r }) => sampleFor(a, r))].join("|");
  return {
    type,
    example,
    shapes: [{ min, max, fields: rules, usage: usageOf(type, args) }],
  };
}

const cache = new Map<string, CommandForm | undefined>();

/**
 * The form validation uses for a command: the override when one exists, else the catalog's.
 * `undefined` for unknown types, events and wire-level lines.
 *
 * @example
 * commandForm("CAMERA")?.shapes.map((s) => s.usage); // the 1-field and 4–7-field forms
 */
export function commandForm(type: string): CommandForm | undefined {
  if (cache.has(type)) return cache.get(type);
  const base = catalogForm(type);
  const form = base && (Object.hasOwn(OVERRIDES, type) ? OVERRIDES[type].form : base);
  cache.set(type, form);
  return form;
}

/** Every catalog command validation knows a form for, in catalog order. */
export function knownCommands(): string[] {
  return Object.keys(CATALOG).filter((t) => commandForm(t) !== undefined);
}
