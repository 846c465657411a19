/**
 * What every subcommand receives from `main.ts`, and the prompt helpers
 * they share (clef's `initialize` and `utils.GetPassPhrase`).
 *
 * @module
 */
import { FatalError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Terminal } from "../ui/terminal.ts";
import type { ArgsEnv, GlobalOptions } from "./args.ts";
import { showBootWarning } from "./boot_warning.ts";

/** A terminal that can print a prompt and read a secret (clef's prompter). */
export interface PromptTerminal extends Terminal {
  /**
   * Prints the pipe notice (first time, on a pipe), `prompt`, reads a
   * secret and prints `\n`; `null` at end of input.
   */
  promptPassword(prompt: string): Promise<string | null>;
}

/** The environment of one subcommand run. */
export interface CommandContext {
  /** Effective options (defaults ← global flags ← command flags). */
  options: GlobalOptions;
  /** Flags given on the command line (e.g. `signersecret`, even if empty). */
  set: ReadonlySet<string>;
  /** Positional arguments after the command. */
  args: string[];
  /** The shared terminal (stdout + the one stdin reader). */
  term: PromptTerminal;
  /** Writes to stderr. */
  stderr: (text: string) => void;
  /** Log records (stdout, or stderr with `--stdio-ui`). */
  log: Logger;
  /** Environment variables and OS. */
  env: ArgsEnv;
}

/**
 * The boot warning step of a command (clef `initialize`).
 *
 * @param ctx The command context.
 */
export async function bootWarning(ctx: CommandContext): Promise<void> {
  await showBootWarning(ctx.term, {
    suppress: ctx.options.suppressBootwarn,
    stdioUi: ctx.options.stdioUi,
    writeStderr: ctx.stderr,
  });
}

/**
 * clef's `utils.GetPassPhrase`: optional heading, `Password: `, optionally
 * `Repeat password: `.
 *
 * @param ctx The command context.
 * @param heading Printed first, followed by `\n` (skipped when empty).
 * @param confirm Ask twice and compare.
 * @returns The password.
 * @throws {FatalError} `Failed to read password: <err>`,
 *   `Failed to read password confirmation: <err>`, `Passwords do not match`.
 */
export async function getPassPhrase(
  ctx: CommandContext,
  heading: string,
  confirm: boolean,
): Promise<string> {
  if (heading !== "") ctx.term.write(heading + "\n");
  const password = await readSecret(
    ctx,
    "Password: ",
    "Failed to read password",
  );
  if (confirm) {
    const again = await readSecret(
      ctx,
      "Repeat password: ",
      "Failed to read password confirmation",
    );
    if (password !== again) throw new FatalError("Passwords do not match");
  }
  return password;
}

async function readSecret(
  ctx: CommandContext,
  prompt: string,
  failure: string,
): Promise<string> {
  let v: string | null;
  try {
    v = await ctx.term.promptPassword(prompt);
  } catch (err) {
    throw new FatalError(`${failure}: ${(err as Error).message}`);
  }
  if (v === null) throw new FatalError(`${failure}: EOF`);
  return v;
}

/**
 * Go's `*PathError` text for a failed file operation, e.g.
 * `open /x: no such file or directory`.
 *
 * @param op Go's operation word (`open`, `mkdir`, `read`, `stat`).
 * @param path The path as given.
 * @param err The Deno error.
 * @returns The message.
 */
export function goPathError(op: string, path: string, err: unknown): string {
  return `${op} ${path}: ${goErrnoText(err)}`;
}

/**
 * Go's errno text for a Deno file-system error.
 *
 * @param err The Deno error.
 * @returns E.g. `no such file or directory`.
 */
export function goErrnoText(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotADirectory) return "not a directory";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  if (err instanceof Deno.errors.AlreadyExists) return "file exists";
  if (err instanceof Deno.errors.FilesystemLoop) {
    return "too many levels of symbolic links";
  }
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/ \(os error \d+\).*$/s, "").replace(/: [a-z]+ '.*$/s, "")
    .toLowerCase();
}
