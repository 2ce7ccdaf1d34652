/**
 * The bot process's end of the IPC pipe: JSON lines in on stdin, JSON lines out on stdout.
 * Plain Deno APIs only (no npm): the host validates whatever arrives on its side.
 */
import type { BotToHost, HostToBot } from "./protocol.ts";

const encoder = new TextEncoder();

/** Writes one message as a JSON line, whole, before returning (a pipe may take it in parts). */
export function post(msg: BotToHost): void {
  writeAll(encoder.encode(JSON.stringify(msg) + "\n"));
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

/** The host's messages, one per line, until stdin closes. Lines that are not JSON are skipped. */
export async function* hostMessages(
  input: ReadableStream<Uint8Array> = Deno.stdin.readable,
): AsyncGenerator<HostToBot> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of input) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === "") continue;
      try {
        yield JSON.parse(line) as HostToBot;
      } catch {
        // The host only writes JSON; anything else is a bug worth ignoring, not dying for.
      }
    }
  }
}
