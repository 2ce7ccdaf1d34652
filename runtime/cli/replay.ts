/**
 * `mmdbot replay <file.jsonl>`: a recorded session becomes a golden test. The recording's inbound
 * side is fed to the current bots on a virtual clock; what they send is diffed against what they
 * sent then. Exit 0 when equal, 1 with a readable diff when not (or when the recording is bad).
 */
import type { Command } from "commander";
import { readRecording, RecordingError } from "../record/read.ts";
import { replay, updatedRecording } from "../session/replay.ts";
import { DEFAULT_MANIFEST } from "../paths/project.ts";
import { fail } from "./program.ts";

interface ReplayCliOptions {
  bots: string;
  timing?: string;
  update: boolean;
  quiet: boolean;
}

const HELP_AFTER = `
Record a session, then replay it after changing a bot:
  mmdbot start --record session.jsonl        # talk to the bots, then Ctrl-C
  mmdbot replay session.jsonl                # exit 0: the bots still answer the same
  mmdbot replay session.jsonl --timing 50    # also compare when lines went out (±50 ms)
  mmdbot replay session.jsonl --update       # accept the new answers as the golden ones

The virtual clock starts at the recording's own start time (its first record's time), so a bot
that tells the time says what it said then. A \`listen --json\` capture replays too. Only bots' lines are compared, per bot and in order;
setup lines and lines sent by the operator are not.
`;

/** Adds `replay` to the program. */
export function register(program: Command): void {
  program
    .command("replay")
    .description("feed a recording to the current bots and diff what they send (a golden test)")
    .argument("<file>", "a JSON-lines recording (start --record, listen --json)")
    .option(
      "--bots <manifest>",
      `the bot manifest (default: ${DEFAULT_MANIFEST}, whatever the working directory)`,
      DEFAULT_MANIFEST,
    )
    .option("--timing <ms>", "also compare send times, with this tolerance in ms")
    .option("--update", "rewrite the recording's bot lines with what the bots send now", false)
    .option("--quiet", "print nothing when equal", false)
    .addHelpText("after", HELP_AFTER)
    .action(async (file: string, opts: ReplayCliOptions) => {
      try {
        let tol: number | undefined;
        if (opts.timing !== undefined) {
          tol = Number(opts.timing);
          if (!Number.isFinite(tol) || tol < 0) {
            throw new Error(`--timing ${opts.timing}: give a tolerance in ms, e.g. --timing 50`);
          }
        }
        const records = await readRecording(file);
        const result = await replay(records, {
          manifest: opts.bots,
          timingToleranceMs: tol,
          label: file,
        });
        for (const p of result.problems) console.error(p);
        if (opts.update) {
          const updated = updatedRecording(records, result.actual);
          const tmp = `${file}.tmp`;
          await Deno.writeTextFile(tmp, updated.map((r) => JSON.stringify(r) + "\n").join(""));
          await Deno.rename(tmp, file);
          console.log(
            result.equal
              ? `${file}: already up to date (${result.actual.length} bot lines)`
              : `${file}: updated with ${result.actual.length} bot lines`,
          );
          return;
        }
        if (result.equal) {
          if (!opts.quiet) {
            console.log(
              `${file}: no difference (${result.fed} lines fed, ` +
                `${result.actual.length} bot lines compared)`,
            );
          }
          return;
        }
        console.log(result.diff);
        console.error(
          `${file}: the bots answer differently (run with --update to accept the new answers)`,
        );
        fail(1);
      } catch (err) {
        const text = err instanceof RecordingError
          ? err.message
          : err instanceof Error
          ? err.message
          : String(err);
        console.error(`mmdbot replay: ${text}`);
        fail(1);
      }
    });
}
