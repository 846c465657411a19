/**
 * The signer daemon (`stave` without a command, spec cli.md §4.4).
 *
 * Stub: the daemon helper replaces {@linkcode runDaemon}'s body. Contract
 * with `main.ts`: positional arguments were already rejected
 * (`invalid command: "<arg>"`) and the boot warning was already shown (or
 * printed to stderr with `--stdio-ui`) through the shared terminal
 * (`processTerminal()` in `./terminal.ts`), which the daemon must keep
 * using for every stdin read. The returned number is the exit status.
 *
 * @module
 */
import type { GlobalOptions } from "./args.ts";
import { writeStderr } from "./terminal.ts";

/**
 * Every global flag's value (cli.md §1.1 and stave's `--keycache`,
 * `--approval-timeout`, `--rules-timeout`, `--clique-guard`); see
 * {@linkcode GlobalOptions} for each field. `signerSecret` is `undefined`
 * when the flag was not given at all.
 */
export type DaemonOptions = GlobalOptions;

/**
 * Runs the daemon until it is told to stop.
 *
 * @param _opts The options.
 * @returns The exit status.
 */
export function runDaemon(_opts: DaemonOptions): Promise<number> {
  writeStderr("daemon not implemented yet\n");
  return Promise.resolve(1);
}
