/**
 * zod schemas of a bot's store requests: the host validates every `store` IPC message with these
 * before it touches a file (a bot process is untrusted).
 *
 * @module
 */
import { z } from "zod";
import {
  MAX_COMMIT_OPS,
  MAX_KEY_LENGTH,
  MAX_LIST,
  MAX_VALUE_JSON,
  type StoreOp,
} from "./protocol.ts";

const key = z.string().min(1).max(MAX_KEY_LENGTH);

/** One {@link StoreOp}. */
export const storeOpSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("get"), key }),
  z.object({
    op: z.literal("list"),
    prefix: z.string().max(MAX_KEY_LENGTH),
    limit: z.number().int().min(1).max(MAX_LIST),
    reverse: z.boolean(),
    cursor: key.optional(),
  }),
  z.object({
    op: z.literal("commit"),
    checks: z.array(
      z.object({
        key,
        version: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
      }),
    ).max(MAX_COMMIT_OPS),
    writes: z.array(z.discriminatedUnion("op", [
      z.object({ op: z.literal("set"), key, value: z.string().max(MAX_VALUE_JSON) }),
      z.object({ op: z.literal("delete"), key }),
    ])).max(MAX_COMMIT_OPS),
  }),
  z.object({ op: z.literal("usage") }),
]);

type Parsed = z.infer<typeof storeOpSchema>;
const _sameShape: [Parsed] extends [StoreOp] ? ([StoreOp] extends [Parsed] ? true : false)
  : false = true;
void _sameShape;
