/**
 * The boot warning and its `ok` confirmation (spec cli.md §3.1), shown by
 * every command except `gendoc` unless `--suppress-bootwarn` is given.
 * With `--stdio-ui` the text goes to stderr and nothing is asked.
 *
 * @module
 */
import { goTrimSpace } from "../ui/go_format.ts";
import type { Terminal } from "../ui/terminal.ts";

/** The warning text (clef's, with stave's name); starts and ends with `\n`. */
export const BOOT_WARNING = `
WARNING!

stave is an account management tool. It may, like any software, contain bugs.

Please take care to
- backup your keystore files,
- verify that the keystore(s) can be opened with your password.

stave is distributed in the hope that it will be useful, but WITHOUT ANY WARRANTY;
without even the implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR
PURPOSE. See the GNU General Public License for more details.
`;

/** The confirmation prompt printed after the warning. */
export const BOOT_PROMPT = "\nEnter 'ok' to proceed:\n> ";

/** clef's error when the answer is not `ok`. */
export const ABORTED_BY_USER = "aborted by user";

/** The error when stdin ends before the answer. */
export const BOOT_EOF =
  "Failed to read user input: EOF (expected 'ok'; --suppress-bootwarn skips the boot warning)";

/** Options for {@linkcode showBootWarning}. */
export interface BootWarningOptions {
  /** `--suppress-bootwarn`: show nothing, ask nothing. */
  suppress: boolean;
  /** `--stdio-ui`: print the text to stderr, ask nothing. */
  stdioUi: boolean;
  /** Writes to stderr. */
  writeStderr: (text: string) => void;
}

/**
 * Shows the warning and waits for `ok` (surrounding whitespace ignored).
 *
 * @param term The shared terminal (prompt on stdout, answer from stdin).
 * @param opts Flags and the stderr writer.
 * @throws {Error} `aborted by user` for any other answer, or
 *   {@linkcode BOOT_EOF} at end of input.
 *
 * @example Usage
 * ```ts
 * import { showBootWarning } from "./boot_warning.ts";
 * import { rejects } from "node:assert/strict";
 * const term = {
 *   write: (_: string) => {},
 *   readLine: () => Promise.resolve("no"),
 *   readPassword: () => Promise.resolve(null),
 *   eof: false,
 * };
 * await rejects(
 *   showBootWarning(term, { suppress: false, stdioUi: false, writeStderr: () => {} }),
 *   { message: "aborted by user" },
 * );
 * ```
 */
export async function showBootWarning(
  term: Terminal,
  opts: BootWarningOptions,
): Promise<void> {
  if (opts.stdioUi) {
    if (!opts.suppress) opts.writeStderr(BOOT_WARNING);
    return;
  }
  if (opts.suppress) return;
  term.write(BOOT_WARNING + BOOT_PROMPT);
  const answer = await term.readLine();
  if (answer === null) {
    term.write("\n");
    throw new Error(BOOT_EOF);
  }
  if (goTrimSpace(answer) !== "ok") throw new Error(ABORTED_BY_USER);
  term.write("\n");
}
