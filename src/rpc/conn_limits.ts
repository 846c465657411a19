/**
 * What both listeners share to stay up when clients misbehave or the
 * process runs out of descriptors: an accept loop that logs and backs off
 * on errors (EMFILE, ENFILE, ENOBUFS…) instead of ending, and a connection
 * cap that makes room by closing the connection idle the longest.
 *
 * At the cap the next connection is accepted (one descriptor beyond the
 * cap) and held unread until a slot frees: a connection idle for at least
 * `reapIdleMs` is closed for it, else it waits for one to close. Clients
 * beyond that one wait in the kernel's listen queue, which costs this
 * process nothing. Idle means no request being read, served or written.
 *
 * @module
 */

/** One tracked connection. */
export interface LimitedConnection {
  /**
   * Since when it may be closed to make room (`performance.now()`): idle,
   * or stalled where a real client never stalls; `undefined` if busy.
   */
  idleSince(): number | undefined;
  /** Closes it (idempotent). */
  close(): void;
  /** Resolves once it is closed and forgotten. */
  readonly done: Promise<void>;
}

/** First and longest pause after a failed `accept`. */
export const ACCEPT_BACKOFF_MIN_MS = 10;
/** Longest pause after a failed `accept`. */
export const ACCEPT_BACKOFF_MAX_MS = 1000;
/** While `accept` keeps failing, at most one log line per this interval. */
const ACCEPT_LOG_INTERVAL_MS = 10_000;
/** Quiet time after which a recovered accept is logged. */
const ACCEPT_RECOVERY_QUIET_MS = 1000;
/** How often a held connection re-checks for an idle one to close. */
const ADMIT_RECHECK_MS = 250;

/** Options for {@linkcode ConnectionLimiter}. */
export interface ConnectionLimiterOptions {
  /** Open connections allowed. */
  max: number;
  /** Minimum idle time of a connection closed to make room. */
  reapIdleMs: number;
  /** `"IPC"` or `"HTTP"`, for log lines. */
  name: string;
  /** Where log lines go. */
  log: (message: string) => void;
}

/** Tracks open connections and enforces the cap. */
export class ConnectionLimiter<C extends LimitedConnection> {
  #conns = new Set<C>();
  #o: ConnectionLimiterOptions;
  #wake: (() => void)[] = [];
  #lastCapLog = -Infinity;

  /**
   * Creates a limiter.
   *
   * @param opts Cap, idle time and logging.
   */
  constructor(opts: ConnectionLimiterOptions) {
    this.#o = opts;
  }

  /** Open connections. */
  get size(): number {
    return this.#conns.size;
  }

  /** Every open connection. */
  get all(): C[] {
    return [...this.#conns];
  }

  /**
   * Adds a connection; it is forgotten when its `done` settles.
   *
   * @param c The connection.
   */
  add(c: C): void {
    this.#conns.add(c);
    c.done.finally(() => {
      this.#conns.delete(c);
      this.notify();
    });
  }

  /** Tells a waiting {@linkcode admit} that a connection may be idle now. */
  notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }

  /**
   * Waits until one more connection fits, closing the longest-idle one if
   * the cap is reached.
   *
   * @param signal Aborted when the server closes.
   * @returns false if the server closed meanwhile.
   */
  async admit(signal: AbortSignal): Promise<boolean> {
    let logged = false;
    while (!signal.aborted && this.#conns.size >= this.#o.max) {
      const victim = this.#longestIdle();
      if (victim !== undefined) {
        victim.close();
        await victim.done;
        continue;
      }
      if (!logged) {
        logged = true;
        const now = performance.now();
        if (now - this.#lastCapLog >= ACCEPT_LOG_INTERVAL_MS) {
          this.#lastCapLog = now;
          this.#o.log(
            `${this.#o.name}: ${this.#conns.size} connections open (the limit), none idle; new connections wait`,
          );
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, ADMIT_RECHECK_MS);
        const onAbort = () => done();
        signal.addEventListener("abort", onAbort, { once: true });
        this.#wake.push(done);
        function done() {
          clearTimeout(t);
          signal.removeEventListener("abort", onAbort);
          resolve();
        }
      });
    }
    return !signal.aborted;
  }

  #longestIdle(): C | undefined {
    const now = performance.now();
    let best: C | undefined;
    let bestSince = Infinity;
    for (const c of this.#conns) {
      const since = c.idleSince();
      if (since === undefined || now - since < this.#o.reapIdleMs) continue;
      if (since < bestSince) {
        best = c;
        bestSince = since;
      }
    }
    return best;
  }
}

/** Options for {@linkcode acceptLoop}. */
export interface AcceptLoopOptions {
  /** Aborted when the server closes: the loop then ends. */
  signal: AbortSignal;
  /** `"IPC"` or `"HTTP"`, for log lines. */
  name: string;
  /** Where log lines go. */
  log: (message: string) => void;
  /** Called before each accept; false ends the loop. */
  admit?: () => Promise<boolean>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Accepts connections until `signal` aborts (or the listener is closed),
 * handing each to `onConn`. A failed `accept` (no descriptors left, …) is
 * logged and retried after a pause that doubles from
 * {@linkcode ACCEPT_BACKOFF_MIN_MS} to {@linkcode ACCEPT_BACKOFF_MAX_MS};
 * it never ends the loop.
 *
 * @param listener The listener.
 * @param onConn Takes over one accepted connection (an exception is
 *   logged and the connection closed).
 * @param opts Signal, name, logging and admission.
 * @returns Resolves when the loop has ended.
 */
export async function acceptLoop<C extends Deno.Conn>(
  listener: Pick<Deno.Listener<C>, "accept">,
  onConn: (conn: C) => void,
  opts: AcceptLoopOptions,
): Promise<void> {
  const { signal, name, log } = opts;
  let delay = 0;
  // Failures since the last recovery line; one failure line per 10 s at
  // most, and one recovery line once a second has passed without failure
  // (descriptors freed one at a time make accept fail and succeed in turn).
  let failures = 0;
  let lastLog = -Infinity;
  let recovery: ReturnType<typeof setTimeout> | undefined;
  try {
    while (!signal.aborted) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (signal.aborted || e instanceof Deno.errors.BadResource) return;
        clearTimeout(recovery);
        recovery = undefined;
        failures++;
        delay = Math.min(
          Math.max(delay * 2, ACCEPT_BACKOFF_MIN_MS),
          ACCEPT_BACKOFF_MAX_MS,
        );
        const now = performance.now();
        if (now - lastLog >= ACCEPT_LOG_INTERVAL_MS) {
          lastLog = now;
          log(
            `${name}: accept failed (${
              e instanceof Error ? e.message : String(e)
            }); retrying with backoff (${failures} failures so far)`,
          );
        }
        await sleep(delay, signal);
        continue;
      }
      delay = 0;
      if (failures > 0 && recovery === undefined) {
        recovery = setTimeout(() => {
          recovery = undefined;
          log(
            `${name}: accepting connections again after ${failures} failed accepts`,
          );
          failures = 0;
          lastLog = -Infinity;
        }, ACCEPT_RECOVERY_QUIET_MS);
      }
      if (signal.aborted) {
        conn.close();
        return;
      }
      if (opts.admit && !(await opts.admit())) {
        conn.close();
        return;
      }
      try {
        onConn(conn);
      } catch (e) {
        log(
          `${name}: connection setup failed: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
        try {
          conn.close();
        } catch { /* closed */ }
      }
    }
  } finally {
    clearTimeout(recovery);
  }
}
