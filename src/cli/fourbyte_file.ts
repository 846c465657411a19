/**
 * The writer of the `--4bytedb-custom` file. clef rewrites the whole file
 * each time a caller-supplied selector verifies, and so did stave: a stream
 * of requests with new selectors (refused or not) rewrote a growing file
 * once per request, 136 MB for 3,000 requests. Here changes are batched: the
 * first one arms a timer, every change until it fires joins the same write,
 * and a change made while a write is running waits for the next one. Each
 * write stays atomic (temp file + fsync + rename); `close()` writes what is
 * pending, so a clean shutdown loses nothing (a crash loses at most the
 * last {@linkcode FOURBYTE_WRITE_DELAY_MS} of learned selectors, which
 * clef, ignoring write errors, never promised to keep either).
 *
 * @module
 */
import { writeFileAtomic } from "./atomic_file.ts";

/** How long a change waits for others before the file is written. */
export const FOURBYTE_WRITE_DELAY_MS = 1000;

/** Options of {@linkcode CustomFourByteFile}. */
export interface CustomFourByteFileOptions {
  /** Batching delay (default {@linkcode FOURBYTE_WRITE_DELAY_MS}). */
  delayMs?: number;
  /** Replaces the atomic write (tests count writes with it). */
  write?: (path: string, text: string) => Promise<void>;
  /** Reports a failed write (the file keeps its previous content). */
  onError?: (err: unknown) => void;
}

/** Batched, atomic writes of the custom 4byte map to one path. */
export class CustomFourByteFile {
  readonly #path: string;
  readonly #render: () => string;
  readonly #delayMs: number;
  readonly #write: (path: string, text: string) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #closed = false;

  /**
   * @param path The `--4bytedb-custom` path.
   * @param render Returns the file content (the whole map, as clef writes it).
   * @param opts Delay, write function and error sink.
   */
  constructor(
    path: string,
    render: () => string,
    opts: CustomFourByteFileOptions = {},
  ) {
    this.#path = path;
    this.#render = render;
    this.#delayMs = opts.delayMs ?? FOURBYTE_WRITE_DELAY_MS;
    this.#write = opts.write ??
      ((p, text) => writeFileAtomic(p, text, { mode: 0o600 }));
    this.#onError = opts.onError ?? (() => {});
  }

  /** Notes a change; the file is written within the batching delay. */
  changed(): void {
    this.#dirty = true;
    if (this.#timer !== undefined || this.#running !== undefined) return;
    if (this.#closed) {
      this.#startWrite();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startWrite();
    }, this.#delayMs);
  }

  #startWrite(): void {
    this.#dirty = false;
    let text: string;
    try {
      text = this.#render();
    } catch (err) {
      this.#onError(err);
      return;
    }
    this.#running = this.#write(this.#path, text).catch(this.#onError)
      .finally(() => {
        this.#running = undefined;
        // Changes made during the write get the next batch.
        if (this.#dirty) this.changed();
      });
  }

  /**
   * Writes pending changes now and waits for every write; later changes
   * are written at once (no timer outlives the daemon).
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#startWrite();
    }
    while (this.#running !== undefined) await this.#running;
  }
}
