/**
 * The shared shape of CLI commands: each command lives in its own file under `cli/` and exports a
 * `register` function that adds itself to the commander program. `main.ts` only lists them.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { mmdbotCommand } from "../paths/invocation.ts";
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "../log/logger.ts";

/** Adds one command to the program. */
export type RegisterCommand = (program: Command) => void;

/** Global options every command understands. */
export interface GlobalOptions {
  logLevel: LogLevel;
  logJson: boolean;
}

/** Builds the root program with the global options. */
export function createProgram(): Command {
  return new Command("mmdbot")
    .description(
      "Drive an MMDAgent-EX avatar from code: a bot runtime that speaks Plugin_Remote,\n" +
        "runs sandboxed bot scripts, and emulates MMDAgent-EX for trying and testing.",
    )
    .version("0.1.0")
    .addOption(
      new Option("--log-level <level>", "log verbosity (logs go to stderr)")
        .choices(LOG_LEVELS as string[]).default("info"),
    )
    .option("--log-json", "write logs as JSON lines", false)
    .showHelpAfterError("(run with --help for usage and examples)")
    .addHelpText(
      "after",
      () => {
        const run = mmdbotCommand("");
        return `\nIn this help, "mmdbot" stands for how it runs here: ${run}` +
          (run.startsWith("npx ")
            ? "\n(Deno through npx, no global deno needed; `npm install -g deno` is faster)"
            : "");
      },
    )
    .configureHelp({ sortSubcommands: false });
}

/** The logger for a command, from the global options. */
export function loggerFor(cmd: Command): Logger & { setLevel(l: LogLevel): void } {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  return createLogger({ level: g.logLevel, json: g.logJson });
}

/** Sets the process exit code without exiting, so pending output and cleanups finish. */
export function fail(code = 1): void {
  Deno.exitCode = code;
}

/**
 * Commander argument parsers: a bad value is refused by commander with the flag's name and the
 * program's usage, before the action runs.
 */

/** A number of seconds, 0 allowed (`--echo-timeout 0`). */
export function seconds(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`${flag} takes a number of seconds, e.g. 5 or 0.5`);
    }
    return n;
  };
}

/** A number of seconds above 0. */
export function positiveSeconds(flag: string): (value: string) => number {
  const parse = seconds(flag);
  return (value) => {
    const n = parse(value);
    if (n === 0) throw new InvalidArgumentError(`${flag} must be more than 0 seconds`);
    return n;
  };
}

/** A whole number within `[min, max]`, e.g. a port or a count. */
export function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
