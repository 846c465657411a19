/**
 * The interactive channel the built-in CLI UI and the subcommands use:
 * text out, lines and passwords in, all read from one shared line reader
 * (so piping every answer at once works, unlike clef; go-ethereum #24352).
 *
 * @module
 */

/** A terminal (or a pipe standing in for one). */
export interface Terminal {
  /** Writes text to the user (stdout). */
  write(text: string): void;
  /**
   * Reads one line (without its `\n`/`\r\n`); resolves `null` at end of
   * input. Never rejects for EOF.
   */
  readLine(): Promise<string | null>;
  /**
   * Reads a secret: without echo on a real terminal; on a pipe the first
   * call prints `!! Unsupported terminal, password will be echoed.\n`, and
   * every call prints `\n` after the line, as clef does. Resolves `null` at
   * end of input.
   */
  readPassword(): Promise<string | null>;
  /** True once end of input was seen. */
  readonly eof: boolean;
}
