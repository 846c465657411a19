/**
 * The process terminal: one buffered reader over stdin shared by every
 * prompt of the process (the boot warning's `ok`, passwords, CLI UI
 * answers), so piping all answers at once works (spec cli.md §3.2; clef
 * wrapped stdin in several readers, go-ethereum #24352).
 *
 * Passwords are read without echo when stdin is a terminal (raw mode, with
 * backspace, Ctrl-U, Ctrl-C → `prompt aborted`, Ctrl-D on an empty line →
 * end of input); on a pipe the first password read prints
 * `!! Unsupported terminal, password will be echoed.` and the line is read
 * as is (only the trailing `\n`/`\r\n` removed).
 *
 * @module
 */
import type { Terminal } from "../ui/terminal.ts";
import { fstatSync } from "node:fs";

/** Longest line accepted from stdin (a password, an answer, `ok`). */
export const MAX_LINE_BYTES = 1 << 20;

/** The one-time notice on a pipe (cli.md §3.2). */
export const UNSUPPORTED_TERMINAL_NOTICE =
  "!! Unsupported terminal, password will be echoed.\n";

/** A byte source and the terminal controls a {@linkcode StdinTerminal} uses. */
export interface TerminalIo {
  /** Reads some bytes; `null` at end of input. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes text to stdout. */
  write(text: string): void;
  /** Whether stdin is a terminal (no-echo password entry possible). */
  isTerminal: boolean;
  /** Turns raw mode (no echo, byte-at-a-time) on or off. */
  setRaw(raw: boolean): void;
}

/** Reading was aborted with Ctrl-C at a terminal password prompt. */
export class PromptAbortedError extends Error {
  constructor() {
    super("prompt aborted");
    this.name = "PromptAbortedError";
  }
}

/**
 * A {@linkcode Terminal} over any {@linkcode TerminalIo}: the shared line
 * reader. Reads are serialised, so concurrent callers never split a line.
 *
 * @example Usage
 * ```ts
 * import { StdinTerminal } from "./terminal.ts";
 * import { strictEqual } from "node:assert/strict";
 * const input = new TextEncoder().encode("ok\nsecret\n");
 * let pos = 0;
 * let out = "";
 * const term = new StdinTerminal({
 *   read: (b) => {
 *     if (pos >= input.length) return Promise.resolve(null);
 *     const n = Math.min(b.length, input.length - pos);
 *     b.set(input.subarray(pos, pos + n));
 *     pos += n;
 *     return Promise.resolve(n);
 *   },
 *   write: (t) => { out += t; },
 *   isTerminal: false,
 *   setRaw: () => {},
 * });
 * strictEqual(await term.readLine(), "ok");
 * strictEqual(await term.promptPassword("Password: "), "secret");
 * strictEqual(out, "!! Unsupported terminal, password will be echoed.\nPassword: \n");
 * strictEqual(await term.readLine(), null);
 * ```
 */
export class StdinTerminal implements Terminal {
  readonly #io: TerminalIo;
  #buf = new Uint8Array(0);
  #eof = false;
  #warned = false;
  #lock: Promise<unknown> = Promise.resolve();

  /**
   * Creates the terminal; nothing is read until a caller asks.
   *
   * @param io The byte source, output and terminal controls.
   */
  constructor(io: TerminalIo) {
    this.#io = io;
  }

  /** True once end of input was seen and every buffered line was used. */
  get eof(): boolean {
    return this.#eof && this.#buf.length === 0;
  }

  /** Whether stdin is a real terminal. */
  get isTerminal(): boolean {
    return this.#io.isTerminal;
  }

  /** Writes text to stdout. */
  write(text: string): void {
    this.#io.write(text);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(4096);
    const n = await this.#io.read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    chunk.fill(0);
    this.#buf.fill(0);
    this.#buf = next;
    return true;
  }

  async #lineUnlocked(): Promise<string | null> {
    for (;;) {
      const nl = this.#buf.indexOf(0x0a);
      if (nl >= 0) return this.#take(nl, nl + 1);
      if (this.#buf.length > MAX_LINE_BYTES) {
        throw new RangeError(`input line longer than ${MAX_LINE_BYTES} bytes`);
      }
      if (!(await this.#fill())) {
        if (this.#buf.length === 0) return null;
        return this.#take(this.#buf.length, this.#buf.length);
      }
    }
  }

  #take(end: number, consume: number): string {
    let e = end;
    if (e > 0 && this.#buf[e - 1] === 0x0d) e--;
    const line = new TextDecoder().decode(this.#buf.subarray(0, e));
    const rest = this.#buf.slice(consume);
    this.#buf.fill(0);
    this.#buf = rest;
    return line;
  }

  /**
   * Reads one line (without `\n`/`\r\n`); a last line without newline is
   * returned too. Resolves `null` at end of input.
   */
  readLine(): Promise<string | null> {
    return this.#serial(() => this.#lineUnlocked());
  }

  /**
   * Reads a secret as the {@linkcode Terminal} contract says: the pipe
   * notice on first use, the line, then `\n`. The caller printed the
   * prompt already; prefer {@linkcode StdinTerminal.promptPassword}, which
   * prints the notice before the prompt as clef does.
   */
  readPassword(): Promise<string | null> {
    return this.promptPassword("");
  }

  /**
   * clef's `PromptPassword(prompt)`: on a pipe the one-time notice, the
   * prompt, one line, `\n`; at a terminal the prompt, a no-echo read, `\n`.
   *
   * @param prompt Text printed before reading, e.g. `Password: `.
   * @returns The password, or `null` at end of input.
   * @throws {PromptAbortedError} on Ctrl-C at a terminal.
   */
  promptPassword(prompt: string): Promise<string | null> {
    return this.#serial(async () => {
      if (!this.#io.isTerminal) {
        if (!this.#warned) {
          this.#warned = true;
          this.#io.write(UNSUPPORTED_TERMINAL_NOTICE);
        }
        this.#io.write(prompt);
        const line = await this.#lineUnlocked();
        this.#io.write("\n");
        return line;
      }
      this.#io.write(prompt);
      this.#io.setRaw(true);
      try {
        return await this.#rawPassword();
      } finally {
        this.#io.setRaw(false);
        this.#io.write("\n");
      }
    });
  }

  async #rawPassword(): Promise<string | null> {
    let bytes: number[] = [];
    try {
      for (;;) {
        if (this.#buf.length === 0 && !(await this.#fill())) {
          if (bytes.length === 0) return null;
          break;
        }
        const b = this.#buf[0];
        const rest = this.#buf.slice(1);
        this.#buf.fill(0);
        this.#buf = rest;
        if (b === 0x0d || b === 0x0a) break;
        if (b === 0x03) throw new PromptAbortedError();
        if (b === 0x04) {
          if (bytes.length === 0) {
            this.#eof = true;
            return null;
          }
          continue;
        }
        if (b === 0x7f || b === 0x08) {
          // Drop one UTF-8 character.
          let i = bytes.length - 1;
          while (i > 0 && (bytes[i] & 0xc0) === 0x80) i--;
          bytes.fill(0, Math.max(i, 0));
          bytes = bytes.slice(0, Math.max(i, 0));
          continue;
        }
        if (b === 0x15) {
          bytes.fill(0);
          bytes = [];
          continue;
        }
        if (bytes.length >= MAX_LINE_BYTES) {
          throw new RangeError(
            `input line longer than ${MAX_LINE_BYTES} bytes`,
          );
        }
        bytes.push(b);
      }
      return new TextDecoder().decode(new Uint8Array(bytes));
    } finally {
      bytes.fill(0);
    }
  }
}

function writeAll(w: { writeSync(p: Uint8Array): number }, text: string) {
  const data = new TextEncoder().encode(text);
  let off = 0;
  try {
    while (off < data.length) off += w.writeSync(data.subarray(off));
  } catch (err) {
    // A reader that went away (`stave --help | head`) is not an error.
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
  }
}

/**
 * Writes text to stdout, all of it, synchronously.
 *
 * @param text Text to write.
 */
export function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

/**
 * Writes text to stderr, all of it, synchronously.
 *
 * @param text Text to write.
 */
export function writeStderr(text: string): void {
  writeAll(Deno.stderr, text);
}

let shared: StdinTerminal | undefined;

/**
 * The process-wide terminal over Deno's stdin/stdout. Every command and
 * the daemon must use this one instance so no buffered input is lost.
 *
 * @returns The shared terminal.
 */
export function processTerminal(): StdinTerminal {
  shared ??= new StdinTerminal({
    read: (buf) => Deno.stdin.read(buf),
    write: writeStdout,
    isTerminal: Deno.stdin.isTerminal(),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
  });
  return shared;
}

/** Device and inode of an open standard stream. */
export interface StreamFileId {
  /** `st_dev`. */
  dev: number;
  /** `st_ino`. */
  ino: number;
}

/**
 * `fstat` of standard output (1) or standard error (2). It needs no Deno
 * permission, unlike a `stat` of `/proc/self/fd/N` or `/dev/stderr`, which
 * Deno grants only with `--allow-all`.
 *
 * @param fd 1 or 2.
 * @returns The file's identity, or `undefined` when it cannot be read.
 */
export function streamFileId(fd: 1 | 2): StreamFileId | undefined {
  try {
    const st = fstatSync(fd);
    return { dev: Number(st.dev), ino: Number(st.ino) };
  } catch {
    return undefined;
  }
}
