/**
 * The rules engine: a {@linkcode Ui} that lets an attested JavaScript file
 * answer approvals before the next UI sees them (go-ethereum
 * `signer/rules/rules.go`, `rulesetUI`; spec rules.md §2–§5).
 *
 * Chain (rules.md §2): `ApproveTx`, `ApproveSignData`, `ApproveListing` run
 * the JS hook of that name; `"Approve"` answers with the request's own
 * transaction / accounts, `"Reject"` denies, anything else (other value,
 * exception, missing hook) goes to the next UI. `OnApprovedTx` runs JS only
 * (not forwarded); `OnSignerStartup` is forwarded, then runs JS;
 * `ShowError`/`ShowInfo` are logged and forwarded; `ApproveNewAccount` and
 * `OnInputRequired` are forwarded untouched.
 *
 * Evaluation (rules.md §3, stave notes): one Worker with no permissions is
 * kept alive; every hook call gets a fresh V8 context in it, so globals set
 * by one call are gone in the next, and the whole file runs on every call.
 * Calls are serialized through one queue, so a read-modify-write rule on
 * `storage` is atomic. Only the JS evaluation and the storage writes hold
 * the queue: a fall-through to the (human) next UI happens outside it.
 *
 * Choice of "fresh state per call", measured in a permissionless Worker
 * (Deno 2.9.6, 2-core x86-64 VM, bignumber.js evaluated in each context):
 *
 * | candidate | per-call cost |
 * |---|---|
 * | `node:vm` context per call (`DONT_CONTEXTIFY`), scripts compiled once per worker | ≈0.45 ms in the worker (context alone ≈0.30 ms); end to end through the engine ≈0.55–0.7 ms per Clique approval (1000 calls, `rules/clique_only.js`, both watchdogs on), ≈0.65–0.72 ms with a `storage.get` + `put` (`rules/clique_lastblock.js`) |
 * | fresh Worker per call (or a warm pool refilled in the background) | ≈17 ms per Worker, plus the same script evaluation |
 * | `ShadowRealm` | not available (`typeof ShadowRealm === "undefined"`) |
 *
 * So: `node:vm`. A context made with `vm.createContext()` *with* a sandbox
 * object leaks the worker realm (`this.constructor.constructor("return
 * this")()` reaches the worker's `Deno` and `postMessage`: the sandbox
 * object belongs to the worker realm); with `vm.constants.DONT_CONTEXTIFY`
 * the global object and its prototype chain belong to the new realm, and
 * the tests check that every constructor chain ends there.
 *
 * Storage (rules.md §3.2): `storage.get` is synchronous in the rule API; the
 * worker posts the key and blocks in `Atomics.wait` on a
 * `SharedArrayBuffer` until the main thread has answered from the injected
 * {@linkcode Store}. `storage.put` is buffered in the worker (reads within
 * the call see it) and the call's writes come back with its result; the
 * engine writes them to the store one by one (each `put` is durable when it
 * resolves) **before** it acts on the result, so they are on disk before
 * the response to the request leaves. Writes of a call whose hook threw are
 * kept (clef wrote at once); writes of a call that was stopped (timeout,
 * memory) are discarded as a whole, atomically. A store that fails (damaged
 * `jsstorage.json`, or full: a put that would make the file larger than
 * the 16 MiB stave reads is refused) fails the request with a
 * {@linkcode RuleStorageError}: the store's reason without the vault path
 * (README "vault writes and damaged vault files"); the log has it all. A
 * key over 64 KiB, or a value whose record alone cannot fit in the file,
 * makes `storage.put` throw in the rule.
 *
 * Limits (rules.md §3 stave note): every evaluation in a call runs under
 * node:vm's `timeout` with what is left of `timeoutMs` (`--rules-timeout`);
 * its watchdog thread stops the rule with V8 `TerminateExecution`, which the
 * rule cannot catch and which also interrupts `Atomics.wait` and promise
 * jobs. The whole call runs under a second, outer watchdog (in a pristine
 * context, `timeoutMs` + 250 ms). node:vm's watchdogs are the only thing
 * that stops a busy isolate: in Deno 2.9.6 `worker.terminate()` does not
 * interrupt a Worker (Web or `node:worker_threads`) that is busy in
 * JavaScript (measured: a plain `for (;;) {}` keeps its thread at a full
 * core after `terminate()`; denoland/deno#35657). So no rule-made value is
 * touched outside a watchdog (`_host.ts`): the hook's value or exception
 * is turned into a string inside the context, and no evaluation uses
 * node:vm's `displayErrors`, which read the `stack` of a thrown value after
 * the watchdog had ended (a rule throwing `new Proxy({}, {get: loop,
 * getOwnPropertyDescriptor: loop})` spun there forever, out of both
 * watchdogs, and with an allocating trap the daemon died of "Fatal
 * JavaScript out of memory"). A stopped call is denied (not forwarded),
 * its writes are dropped, the worker is terminated (it is idle by then)
 * and a new one serves the next call; `terminate()` is also the last
 * resort when a worker does not report back within `timeoutMs + graceMs`.
 *
 * Memory: a Deno Web Worker has no heap limit (`--v8-flags` are
 * process-wide) and a V8 isolate that reaches its heap limit aborts the
 * whole process. So the permissionless Worker runs the rules in a
 * `node:worker_threads` Worker of its own (which inherits its permissions,
 * "none") started with `resourceLimits` (old generation `heapMb`, default
 * 128 MiB): a rule that allocates past it has its JavaScript stopped by
 * V8, its request is denied when the call's time is up (`timeoutMs +
 * graceMs`), and terminating the Worker frees the memory; the daemon lives
 * on. Measured on this machine with 64 MiB: an allocation loop (objects,
 * or a looping proxy trap) under a 4 s timeout grew the process by less
 * than 400 MB in all, where it grew by ≈1.9 GB before. The globals that
 * allocate outside the V8 heap, which the limit does not count
 * (`ArrayBuffer`, typed arrays, `DataView`), are removed from the rule's
 * global. Calls cross from the main thread to the rule host over a
 * `MessagePort`, so the extra Worker costs nothing per call (≈22 µs a
 * round trip either way, measured; a Clique approval through
 * `clique_only.js` took 0.66–0.91 ms before and 0.68–0.86 ms after, best
 * of 5×400 calls, machine load ≈25 on 2 cores). Starting it costs more:
 * `init()` took ≈0.85–1.1 s on that machine, against ≈35 ms for the Web
 * Worker alone (once at start, on reload, and after each stopped call,
 * when the replacement is started at once).
 *
 * @module
 */
import { DamagedFileError, StaveError } from "../errors.ts";
import { escapeLogLine } from "../log.ts";
import type { Store } from "../vault/store.ts";
import type {
  CancellableUi,
  UiCallOptions,
  UiLogger,
} from "../ui/guarded_ui.ts";
import type {
  ListRequest,
  ListResponse,
  NewAccountRequest,
  NewAccountResponse,
  SignDataRequest,
  SignDataResponse,
  SignTransactionResult,
  SignTxRequest,
  SignTxResponse,
  StartupInfo,
  Ui,
  UserInputRequest,
  UserInputResponse,
} from "../ui/ui.ts";
import { markDenied } from "../ui/ui.ts";
import {
  DEFAULT_RULES_HEAP_MB,
  type DoneMessage,
  type FromWorker,
  GET_DATA_OFFSET,
  GET_LENGTH,
  GET_STATE,
  type GetMessage,
  GetState,
  type GoneMessage,
  type HookName,
  MAX_STORAGE_VALUE_BYTES,
  type StartMessage,
  type ToWorker,
} from "./protocol.ts";

/** Default `--rules-timeout`. */
export const DEFAULT_RULES_TIMEOUT_MS = 1000;

/** Options of {@linkcode RulesEngine}. */
export interface RulesEngineOptions {
  /** The JS storage (`jsstorage.json`); each `put`/`del` durable on resolve. */
  store: Store;
  /** Longest a hook call may run (`--rules-timeout`), in milliseconds. */
  timeoutMs: number;
  /** Daemon log (verdict lines, errors, timeouts). */
  logger: UiLogger;
  /**
   * Where rule console lines go, already formatted as clef prints them
   * (`JS:>  a 1`, spec rules.md §3.1), with control characters and
   * backslashes escaped (`escapeLogLine`). Default: `logger.info(line)`.
   */
  jsConsole?: (line: string) => void;
  /**
   * Extra time after `timeoutMs` before the main thread gives up on a
   * worker that did not report back (its own watchdog normally stops the
   * rule at `timeoutMs`); default 1000 ms.
   */
  graceMs?: number;
  /**
   * V8 heap limit of the rule host (old generation), in MiB; a rule that
   * needs more is stopped and the request denied. Default 128.
   */
  heapMb?: number;
  /**
   * Told of every hook call: its time (storage writes included) and
   * whether it was stopped (timeout, heap limit, crash). For metrics.
   */
  observe?: (hook: string, seconds: number, stopped: boolean) => void;
}

/** The rules file cannot be used (does not compile, throws, or hangs). */
export class RulesLoadError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong with the file.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RulesLoadError";
  }
}

/**
 * Rule storage failed during a request; the message goes to the caller,
 * so it names no file (the daemon's log has the full error).
 */
export class RuleStorageError extends StaveError {
  /**
   * Creates the error.
   *
   * @param reason What failed, without any path.
   * @param options Standard error options (`cause`).
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(`rule storage: ${reason}`, options);
    this.name = "RuleStorageError";
  }
}

/** The caller's view of a store error: its reason, never a path. */
function forCaller(e: unknown, what: "read" | "write"): RuleStorageError {
  if (e instanceof DamagedFileError) {
    if (!e.message.startsWith(`${e.path}: `)) {
      return new RuleStorageError(`${what} failed (see the signer's log)`, {
        cause: e,
      });
    }
    return new RuleStorageError(e.message.slice(e.path.length + 2), {
      cause: e,
    });
  }
  // the store's own bound (store full), or a store that says why it cannot
  // serve (the guard database is unreachable): their texts name no path
  if (e instanceof RangeError || e instanceof StaveError) {
    return new RuleStorageError(e.message, { cause: e });
  }
  return new RuleStorageError(`${what} failed (see the signer's log)`, {
    cause: e,
  });
}

/** How one hook call ended. */
type Outcome =
  | { kind: "done"; msg: DoneMessage; storeError?: unknown }
  | { kind: "stopped"; reason: StopReason };

type StopReason = "timeout" | "unresponsive" | "crash" | "closed";

interface Pending {
  id: number;
  quiet: boolean;
  storeError?: unknown;
  resolve(o: Outcome): void;
}

interface WorkerHost {
  store: Store;
  log(line: string): void;
  logger: UiLogger;
  heapMb: number;
}

const encoder = new TextEncoder();
let nextCallId = 1;

/**
 * The rules Worker's module (exported for the sandbox tests). `deno
 * compile` needs `--include src/rules/worker.ts` to embed it (with the
 * rule host it imports).
 */
export const RULES_WORKER_URL: URL = new URL("./worker.ts", import.meta.url);

/** The rules Worker's options: a module worker without any permission. */
export const RULES_WORKER_OPTIONS: WorkerOptions & {
  deno: { permissions: "none" };
} = { type: "module", deno: { permissions: "none" } };

/**
 * One permissionless Worker whose rule host has the rules compiled in it
 * (`worker.ts`, `_host.ts`); calls go over a `MessagePort` to the host.
 */
class RuleWorker {
  readonly loaded: Promise<string | undefined>;
  dead = false;
  /** Set when the worker itself failed (e.g. its module did not load). */
  failure: string | undefined;
  #worker: Worker;
  #port: MessagePort;
  #host: WorkerHost;
  #pending: Pending | undefined;
  #pongs = new Map<number, () => void>();
  #onLoaded!: (error: string | undefined) => void;

  constructor(source: string, host: WorkerHost) {
    this.#host = host;
    this.loaded = new Promise((resolve) => this.#onLoaded = resolve);
    this.#worker = new Worker(RULES_WORKER_URL, RULES_WORKER_OPTIONS);
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.onmessage = (e: MessageEvent<FromWorker>) =>
      this.#onMessage(e.data);
    this.#port.onmessageerror = () => this.stop("crash");
    this.#worker.onmessage = (e: MessageEvent<GoneMessage>) => {
      // the rule host ended (it crashed, or reached its heap limit)
      if (e.data.t !== "gone" || this.dead) return;
      this.#host.logger.error("Rules worker ended", { err: e.data.error });
      this.failure ??= e.data.error;
      this.#onLoaded(`worker ended: ${e.data.error}`);
      this.stop("crash");
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#host.logger.error("Rules worker failed", { err: e.message });
      this.failure = e.message;
      this.#onLoaded(`worker failed: ${e.message}`);
      this.stop("crash");
    };
    this.#worker.onmessageerror = () => this.stop("crash");
    const start: StartMessage = {
      t: "start",
      port: channel.port2,
      heapMb: host.heapMb,
    };
    this.#worker.postMessage(start, [channel.port2]);
    this.#post({ t: "load", source });
  }

  #post(msg: ToWorker): void {
    this.#port.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    const p = this.#pending;
    switch (msg.t) {
      case "loaded":
        this.#onLoaded(msg.error);
        return;
      case "log":
        if (p !== undefined && p.id === msg.id && !p.quiet) {
          // one line, whatever the rule printed (no forged lines/priorities)
          this.#host.log(escapeLogLine(msg.line));
        }
        return;
      case "get":
        if (p !== undefined && p.id === msg.id) void this.#answerGet(p, msg);
        return;
      case "done":
        if (p !== undefined && p.id === msg.id) {
          this.#pending = undefined;
          p.resolve({ kind: "done", msg, storeError: p.storeError });
        }
        return;
      case "probe":
        return;
      case "pong":
        this.#pongs.get(msg.n)?.();
        return;
    }
  }

  /**
   * Resolves true when the rule host answers a ping within `timeoutMs`
   * (it is not wedged), false otherwise.
   */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.dead) return Promise.resolve(false);
    const n = nextCallId++;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#pongs.delete(n);
        resolve(false);
      }, timeoutMs);
      this.#pongs.set(n, () => {
        clearTimeout(timer);
        this.#pongs.delete(n);
        resolve(true);
      });
      this.#post({ t: "ping", n });
    });
  }

  async #answerGet(p: Pending, msg: GetMessage): Promise<void> {
    const state = new Int32Array(msg.sab, 0, 2);
    let answer: number = GetState.Failed;
    try {
      const bytes = encoder.encode((await this.#host.store.get(msg.key)) ?? "");
      if (bytes.length > MAX_STORAGE_VALUE_BYTES) {
        answer = GetState.Failed;
      } else if (bytes.length > msg.sab.byteLength - GET_DATA_OFFSET) {
        state[GET_LENGTH] = bytes.length;
        answer = GetState.TooSmall;
      } else {
        new Uint8Array(msg.sab, GET_DATA_OFFSET, bytes.length).set(bytes);
        state[GET_LENGTH] = bytes.length;
        answer = GetState.Ready;
      }
    } catch (e) {
      p.storeError ??= e;
      this.#host.logger.error("Rules storage read failed", {
        err: e instanceof Error ? e.message : String(e),
      });
    }
    if (this.#pending !== p) return; // stopped meanwhile
    Atomics.store(state, GET_STATE, answer);
    Atomics.notify(state, GET_STATE);
  }

  /**
   * Runs one hook call (or, with `hook: null`, the file alone) and settles
   * when it is done or stopped. Never rejects.
   */
  async call(
    hook: HookName | null,
    json: string,
    limits: { timeoutMs: number; graceMs: number; quiet: boolean },
  ): Promise<Outcome> {
    await this.loaded;
    if (this.dead) return { kind: "stopped", reason: "crash" };
    const id = nextCallId++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = new Promise<Outcome>((resolve) => {
      this.#pending = { id, quiet: limits.quiet, resolve };
    });
    const { timeoutMs, graceMs } = limits;
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => this.stop("unresponsive"), timeoutMs + graceMs);
    }
    this.#post({ t: "call", id, hook, json, timeoutMs });
    try {
      const o = await outcome;
      if (o.kind === "done" && o.msg.timedOut) {
        // The watchdog stopped the rule; the worker is idle, so terminate()
        // takes effect, and the next call gets a new worker.
        this.stop("timeout");
        return { kind: "stopped", reason: "timeout" };
      }
      return o;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Terminates the worker; a call in progress ends as stopped. Deno 2.9
   * does not interrupt a worker that is busy in JavaScript on terminate()
   * (denoland/deno#35657): it stops at its next event-loop turn, which for
   * a rule is when node:vm's watchdog has ended it.
   */
  stop(reason: StopReason): void {
    if (!this.dead) {
      this.dead = true;
      this.#port.close();
      this.#worker.terminate();
    }
    this.#onLoaded("worker stopped");
    const p = this.#pending;
    this.#pending = undefined;
    p?.resolve({ kind: "stopped", reason });
  }
}

/** What one JS evaluation amounted to, after its writes were applied. */
type Evaluation =
  | { kind: "result"; result: string }
  | { kind: "failed"; error: string }
  | { kind: "stopped"; reason: string };

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The rules engine (see the module doc). Create it, `await init()` (fails
 * fast on a file that does not compile or evaluate), use it as the UI, and
 * `close()` it on shutdown.
 *
 * Contract for callers: `onApprovedTx` and `onSignerStartup` return a
 * promise that settles once the hook ran and its storage writes are
 * durable; await it before returning the signed transaction to keep the
 * "durable before the response leaves" guarantee. They never reject.
 *
 * @example Usage
 * ```ts
 * import { RulesEngine } from "./engine.ts";
 * import { MemoryStore } from "../vault/store.ts";
 * import { silentLogger } from "../ui/guarded_ui.ts";
 * import type { Ui } from "../ui/ui.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const next = {} as Ui; // never reached here
 * const engine = new RulesEngine(`function ApproveListing() { return "Approve" }`, next, {
 *   store: new MemoryStore(), timeoutMs: 1000, logger: silentLogger,
 * });
 * await engine.init();
 * const accounts = [{ address: "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192", url: "keystore:///k" }];
 * const meta = { remote: "NA", local: "NA", scheme: "ipc", "User-Agent": "", Origin: "" };
 * deepStrictEqual(await engine.approveListing({ accounts, meta }), { accounts });
 * engine.close();
 * ```
 */
export class RulesEngine implements Ui {
  #next: CancellableUi;
  #opts:
    & Required<Omit<RulesEngineOptions, "jsConsole" | "heapMb" | "observe">>
    & Pick<RulesEngineOptions, "observe">;
  #host: WorkerHost;
  #source: string;
  #worker: RuleWorker | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * Creates the engine; the Worker starts on `init()` or the first call.
   *
   * @param source The rules file text (already attested by the caller).
   * @param next The UI that answers what the rules do not.
   * @param opts Store, timeout, logger and limits.
   */
  constructor(source: string, next: Ui, opts: RulesEngineOptions) {
    this.#source = source;
    this.#next = next as CancellableUi;
    this.#opts = {
      store: opts.store,
      timeoutMs: opts.timeoutMs,
      logger: opts.logger,
      graceMs: opts.graceMs ?? 1000,
      observe: opts.observe,
    };
    const log = opts.jsConsole ?? ((line: string) => opts.logger.info(line));
    this.#host = {
      store: opts.store,
      log,
      logger: opts.logger,
      heapMb: opts.heapMb ?? DEFAULT_RULES_HEAP_MB,
    };
  }

  #currentWorker(): RuleWorker {
    if (this.#worker === undefined || this.#worker.dead) {
      this.#worker = new RuleWorker(this.#source, this.#host);
    }
    return this.#worker;
  }

  #limits(quiet: boolean) {
    return {
      timeoutMs: this.#opts.timeoutMs,
      graceMs: this.#opts.graceMs,
      quiet,
    };
  }

  /** Compiles `worker`'s file and runs it once; throws what is wrong. */
  async #check(worker: RuleWorker): Promise<void> {
    const compileError = await worker.loaded;
    if (worker.failure !== undefined) {
      throw new RulesLoadError(`rules worker failed: ${worker.failure}`);
    }
    if (compileError !== undefined) {
      throw new RulesLoadError(`rules file does not compile: ${compileError}`);
    }
    // Writes made by top-level code in this trial run are dropped and its
    // console output is not shown: the file runs again on every call.
    const o = await worker.call(null, "", this.#limits(true));
    if (o.kind === "stopped") {
      throw new RulesLoadError(
        o.reason === "timeout"
          ? `rules file did not finish within ${formatMs(this.#opts.timeoutMs)}`
          : `rules file could not be evaluated (${o.reason})`,
      );
    }
    if (o.storeError !== undefined) throw o.storeError;
    if (!o.msg.ok) {
      throw new RulesLoadError(`rules file failed to evaluate: ${o.msg.error}`);
    }
  }

  /**
   * Starts the Worker and evaluates the file once, so that a file that does
   * not compile or throws at top level is reported at start-up (spec
   * rules.md §1, stave: fail fast).
   *
   * @throws {RulesLoadError} when the file does not compile, throws at top
   * level, or does not finish within the timeout.
   */
  async init(): Promise<void> {
    await this.#enqueue(() => this.#check(this.#currentWorker()));
  }

  /**
   * Replaces the rules (SIGHUP). The new file is checked in a new Worker
   * first; on success it takes over between two calls (calls queued before
   * use the old file, later ones the new), otherwise the old rules stay.
   *
   * @param source The new rules file text (already attested by the caller).
   * @throws {RulesLoadError} when the new file cannot be used.
   */
  async reload(source: string): Promise<void> {
    if (this.#closed) throw new Error("rules engine closed");
    const fresh = new RuleWorker(source, this.#host);
    try {
      await this.#check(fresh);
    } catch (e) {
      fresh.stop("closed");
      throw e;
    }
    await this.#enqueue(() => {
      const old = this.#worker;
      this.#source = source;
      this.#worker = fresh;
      old?.stop("closed");
      if (this.#closed) fresh.stop("closed");
      return Promise.resolve();
    });
  }

  /**
   * Whether the rule host answers within `timeoutMs` (health, watchdog). A
   * host busy with a rule answers once the call ends (at the latest at the
   * rules timeout); one that was stopped is replaced by the next call and
   * counts as answering when the replacement does.
   *
   * @param timeoutMs How long to wait for the answer.
   * @returns false when the host is wedged or the engine is closed.
   */
  async responsive(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return false;
    return await this.#currentWorker().ping(timeoutMs);
  }

  /** Stops the Worker; later approvals fail, notifications are dropped. */
  close(): void {
    this.#closed = true;
    this.#worker?.stop("closed");
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => {});
    return run;
  }

  /**
   * Runs a hook in the queue and applies its writes durably.
   * @throws {RuleStorageError} when reading or writing storage failed (the
   *   store's reason, without its path).
   */
  #evaluate(hook: HookName, arg: unknown): Promise<Evaluation> {
    return this.#enqueue(async (): Promise<Evaluation> => {
      if (this.#closed) throw new Error("rules engine closed");
      const { logger, store } = this.#opts;
      let json: string;
      try {
        json = JSON.stringify(arg);
      } catch (e) {
        return { kind: "failed", error: `failed marshalling data: ${e}` };
      }
      const worker = this.#currentWorker();
      const started = performance.now();
      const o = await worker.call(hook, json, this.#limits(false));
      const observe = this.#opts.observe;
      if (o.kind === "stopped") {
        if (o.reason === "timeout") {
          logger.warn("Rule timed out, request denied", {
            hook,
            timeout: formatMs(this.#opts.timeoutMs),
          });
        } else if (o.reason === "unresponsive") {
          // not stopped by its watchdog in time: the heap limit stopped it
          logger.error("Rule ran out of time or memory, request denied", {
            hook,
            timeout: formatMs(this.#opts.timeoutMs),
          });
        } else {
          logger.warn("Rule stopped, request denied", {
            hook,
            reason: o.reason,
          });
        }
        if (!this.#closed) this.#currentWorker(); // spawn the replacement now
        observe?.(hook, (performance.now() - started) / 1000, true);
        return { kind: "stopped", reason: o.reason };
      }
      // A failed read fails the request even if the rule caught it.
      if (o.storeError !== undefined) throw forCaller(o.storeError, "read");
      for (const [key, value] of o.msg.puts) {
        try {
          if (value === "") await store.del(key);
          else await store.put(key, value);
        } catch (e) {
          logger.error("Rules storage write failed", {
            key,
            err: e instanceof Error ? e.message : String(e),
          });
          throw forCaller(e, "write");
        }
      }
      observe?.(hook, (performance.now() - started) / 1000, false);
      if (!o.msg.ok) {
        if (o.msg.phase === "rules") {
          logger.warn("Execution failed", { err: o.msg.error });
        }
        return { kind: "failed", error: o.msg.error ?? "" };
      }
      return { kind: "result", result: o.msg.result ?? "" };
    });
  }

  /** Runs an approval hook: true/false for a decision, undefined to ask next. */
  async #decide(
    hook: "ApproveTx" | "ApproveSignData" | "ApproveListing",
    request: unknown,
  ): Promise<boolean | undefined> {
    const { logger } = this.#opts;
    const ev = await this.#evaluate(hook, request);
    if (ev.kind === "stopped") return false;
    if (ev.kind === "result" && ev.result === "Approve") {
      logger.info("Op approved");
      return true;
    }
    if (ev.kind === "result" && ev.result === "Reject") {
      logger.info("Op rejected");
      return false;
    }
    logger.info("Rule-based approval error, going to manual", {
      error: ev.kind === "failed" ? ev.error : "unknown response",
    });
    return undefined;
  }

  /** Runs a notification hook; logs failures, never rejects. */
  async #notify(hook: "OnApprovedTx" | "OnSignerStartup", arg: unknown) {
    try {
      const ev = await this.#evaluate(hook, arg);
      if (ev.kind === "failed") {
        this.#opts.logger.info("error occurred during execution", {
          error: ev.error,
        });
      }
    } catch (e) {
      this.#opts.logger.error("Rule notification failed", {
        hook,
        err: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /**
   * ApproveTx: JS `ApproveTx(request)`; "Approve" approves the request's
   * own transaction, "Reject" (or a stopped rule) denies, else next UI.
   */
  async approveTx(
    request: SignTxRequest,
    options?: UiCallOptions,
  ): Promise<SignTxResponse> {
    const d = await this.#decide("ApproveTx", request);
    if (d === undefined) return this.#next.approveTx(request, options);
    return markDenied(
      { transaction: request.transaction, approved: d },
      d ? undefined : "rule",
    );
  }

  /** ApproveSignData: JS `ApproveSignData(request)`, same three outcomes. */
  async approveSignData(
    request: SignDataRequest,
    options?: UiCallOptions,
  ): Promise<SignDataResponse> {
    const d = await this.#decide("ApproveSignData", request);
    if (d === undefined) return this.#next.approveSignData(request, options);
    return markDenied({ approved: d }, d ? undefined : "rule");
  }

  /** ApproveListing: "Approve" returns all accounts, "Reject" null. */
  async approveListing(
    request: ListRequest,
    options?: UiCallOptions,
  ): Promise<ListResponse> {
    const d = await this.#decide("ApproveListing", request);
    if (d === undefined) return this.#next.approveListing(request, options);
    return markDenied(
      { accounts: d ? request.accounts : null },
      d ? undefined : "rule",
    );
  }

  /** Always forwarded: rules never create accounts. */
  approveNewAccount(
    request: NewAccountRequest,
    options?: UiCallOptions,
  ): Promise<NewAccountResponse> {
    return this.#next.approveNewAccount(request, options);
  }

  /** Always forwarded: rules never see passwords. */
  onInputRequired(
    request: UserInputRequest,
    options?: UiCallOptions,
  ): Promise<UserInputResponse> {
    return this.#next.onInputRequired(request, options);
  }

  /** Logged at ERROR and forwarded; not passed to JS. */
  showError(text: string): void {
    this.#opts.logger.error(text);
    this.#next.showError(text);
  }

  /** Logged at INFO and forwarded; not passed to JS. */
  showInfo(text: string): void {
    this.#opts.logger.info(text);
    this.#next.showInfo(text);
  }

  /**
   * JS `OnApprovedTx(result)` only (not forwarded). Resolves when the hook
   * ran and its writes are durable; never rejects.
   */
  onApprovedTx(result: SignTransactionResult): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#notify("OnApprovedTx", result);
  }

  /** Forwarded first, then JS `OnSignerStartup(info)`; never rejects. */
  onSignerStartup(info: StartupInfo): Promise<void> {
    this.#next.onSignerStartup(info);
    if (this.#closed) return Promise.resolve();
    return this.#notify("OnSignerStartup", info);
  }
}
