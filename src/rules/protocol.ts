/**
 * Messages between the rules engine (main thread, `engine.ts`), its
 * permissionless Worker (`worker.ts`) and the rule host that Worker starts
 * with a heap limit (`_host.ts`), the limits they enforce, and the layout
 * of the shared buffer that makes `storage.get` synchronous.
 *
 * The main thread sends the Worker one {@linkcode StartMessage} with a
 * `MessagePort`; every other message goes over that port, straight
 * between the main thread and the rule host. The Worker only reports
 * that the host is gone ({@linkcode GoneMessage}).
 *
 * Flow of one hook call:
 *
 * 1. main → worker {@linkcode CallMessage}: hook name and request JSON.
 * 2. worker → main {@linkcode LogMessage} for every `console.log`/`error`.
 * 3. worker → main {@linkcode GetMessage} for every `storage.get` of a key
 *    the call has not written; the worker then blocks in `Atomics.wait` on
 *    the {@linkcode SharedArrayBuffer} it sent, until the main thread has
 *    written the answer there (layout: {@linkcode GET_STATE} …) and called
 *    `Atomics.notify`.
 * 4. worker → main {@linkcode DoneMessage}: the result string (or the
 *    error text) and the call's buffered `storage.put`s, which the main
 *    thread writes durably before it acts on the result.
 *
 * Everything crossing the boundary is plain JSON-like data.
 *
 * @module
 */

import { MAX_STORE_FILE_SIZE } from "../vault/aes_gcm_store.ts";

/** Hooks a rules file may define (spec rules.md §2). */
export type HookName =
  | "ApproveTx"
  | "ApproveSignData"
  | "ApproveListing"
  | "OnApprovedTx"
  | "OnSignerStartup";

/** main → worker, once after spawn: compile bignumber.js and the rules. */
export interface LoadMessage {
  /** Message type. */
  t: "load";
  /** The rules file text. */
  source: string;
}

/**
 * main → worker: run one hook in a fresh context. `hook: null` evaluates
 * the file only (the start-up check of `RulesEngine.init()`).
 */
export interface CallMessage {
  /** Message type. */
  t: "call";
  /** Call id, echoed by the worker's messages for this call. */
  id: number;
  /** The hook to call, or `null` to evaluate the file only. */
  hook: HookName | null;
  /** JSON text of the hook's argument. */
  json: string;
  /** Time budget of the whole call (`--rules-timeout`), in milliseconds. */
  timeoutMs: number;
}

/**
 * main → worker (tests): try one operation per Deno permission in the
 * worker's own realm, to show that even code that escaped a context would
 * have no capability.
 */
export interface ProbeMessage {
  /** Message type. */
  t: "probe";
}

/**
 * main → rule host: answer with a {@linkcode PongMessage} (health and the
 * systemd watchdog: the host's event loop is free, not wedged).
 */
export interface PingMessage {
  /** Message type. */
  t: "ping";
  /** Echoed in the answer. */
  n: number;
}

/** rule host → main: the answer to a {@linkcode PingMessage}. */
export interface PongMessage {
  /** Message type. */
  t: "pong";
  /** The ping's number. */
  n: number;
}

/** Messages the main thread sends to the rule host (over the port). */
export type ToWorker = LoadMessage | CallMessage | ProbeMessage | PingMessage;

/** main → rules Worker, once after spawn: start the rule host. */
export interface StartMessage {
  /** Message type. */
  t: "start";
  /** The rule host's end of the channel to the main thread. */
  port: MessagePort;
  /** The rule host's V8 heap limit (old generation), in MiB. */
  heapMb: number;
}

/** rules Worker → main: the rule host ended (crash or out of memory). */
export interface GoneMessage {
  /** Message type. */
  t: "gone";
  /** What the host reported, if anything. */
  error: string;
}

/** worker → main: the load result (`error` set when the file does not compile). */
export interface LoadedMessage {
  /** Message type. */
  t: "loaded";
  /** The compile error, if any. */
  error?: string;
}

/** worker → main: one console line, already formatted (`JS:>  a 1`). */
export interface LogMessage {
  /** Message type. */
  t: "log";
  /** The call that printed. */
  id: number;
  /** The formatted line. */
  line: string;
}

/** worker → main: look `key` up and answer through `sab`. */
export interface GetMessage {
  /** Message type. */
  t: "get";
  /** The call that reads. */
  id: number;
  /** The storage key (never empty). */
  key: string;
  /** Where to write the answer (layout: {@linkcode GET_STATE} …). */
  sab: SharedArrayBuffer;
}

/** worker → main: the call finished (normally or with an exception). */
export interface DoneMessage {
  /** Message type. */
  t: "done";
  /** The call that finished. */
  id: number;
  /** `ToString` of the hook's return value, when `ok`. */
  result?: string;
  /** Exception text, when not `ok`. */
  error?: string;
  /** Where the exception came from: the file's top level or the hook call. */
  phase?: "rules" | "hook";
  /** The call ran out of time and was stopped; `puts` is then empty. */
  timedOut?: boolean;
  /** Whether the hook (or the file) ran without an exception. */
  ok: boolean;
  /**
   * The call's storage writes, last value per key, in first-write order;
   * an empty value deletes the key.
   */
  puts: [string, string][];
}

/** worker → main: answer to {@linkcode ProbeMessage}. */
export interface ProbeResultMessage {
  /** Message type. */
  t: "probe";
  /** Permission name → the error name of the attempt (or `ALLOWED`). */
  permissions: Record<string, string>;
}

/** Messages the worker sends. */
export type FromWorker =
  | LoadedMessage
  | LogMessage
  | GetMessage
  | DoneMessage
  | ProbeResultMessage
  | PongMessage;

/** Int32 index of the answer state in the get buffer. */
export const GET_STATE = 0;
/** Int32 index of the answer's byte length in the get buffer. */
export const GET_LENGTH = 1;
/** Byte offset of the UTF-8 answer in the get buffer. */
export const GET_DATA_OFFSET = 8;

/** {@linkcode GET_STATE} values. */
export const GetState = {
  /** The worker is waiting. */
  Pending: 0,
  /** The value (possibly empty: key absent) is in the buffer. */
  Ready: 1,
  /** The buffer is too small: {@linkcode GET_LENGTH} holds the size needed. */
  TooSmall: 2,
  /** The store failed (damaged file); the call fails. */
  Failed: 3,
} as const;

/** Initial size of the get buffer's data area (grows on demand). */
export const GET_BUFFER_BYTES = 64 * 1024;

/**
 * Largest value `storage.get` returns, in UTF-8 bytes (the store file's
 * read bound, so every value of a readable file). clef had no limit.
 */
export const MAX_STORAGE_VALUE_BYTES = MAX_STORE_FILE_SIZE;

/**
 * Largest key `storage.put` accepts, in UTF-8 bytes (clef had no limit);
 * a longer one makes `put` throw.
 */
export const MAX_STORAGE_KEY_BYTES = 64 * 1024;

/** Largest total of keys and values one call may write. */
export const MAX_PUT_BYTES_PER_CALL = 32 * 1024 * 1024;

/** A console line is cut to this many characters (then `…` is appended). */
export const MAX_CONSOLE_LINE_CHARS = 16 * 1024;

/** Console characters one call may emit; later lines are dropped. */
export const MAX_CONSOLE_CHARS_PER_CALL = 256 * 1024;

/** Error texts forwarded to the log are cut to this many characters. */
export const MAX_ERROR_CHARS = 2 * 1024;

/**
 * Default V8 heap limit of the rule host (old generation, MiB): a rule that
 * allocates more is stopped (the request denied), the daemon is not.
 */
export const DEFAULT_RULES_HEAP_MB = 128;

/** The limits and buffer layout the rule host gets (it imports nothing). */
export interface HostLimits {
  /** {@linkcode GET_BUFFER_BYTES}. */
  GET_BUFFER_BYTES: number;
  /** {@linkcode GET_DATA_OFFSET}. */
  GET_DATA_OFFSET: number;
  /** {@linkcode GET_LENGTH}. */
  GET_LENGTH: number;
  /** {@linkcode GET_STATE}. */
  GET_STATE: number;
  /** `GetState.Pending`. */
  GET_PENDING: number;
  /** `GetState.Ready`. */
  GET_READY: number;
  /** `GetState.TooSmall`. */
  GET_TOO_SMALL: number;
  /** {@linkcode MAX_CONSOLE_CHARS_PER_CALL}. */
  MAX_CONSOLE_CHARS_PER_CALL: number;
  /** {@linkcode MAX_CONSOLE_LINE_CHARS}. */
  MAX_CONSOLE_LINE_CHARS: number;
  /** {@linkcode MAX_ERROR_CHARS}. */
  MAX_ERROR_CHARS: number;
  /** {@linkcode MAX_PUT_BYTES_PER_CALL}. */
  MAX_PUT_BYTES_PER_CALL: number;
  /** {@linkcode MAX_STORAGE_VALUE_BYTES}. */
  MAX_STORAGE_VALUE_BYTES: number;
  /** {@linkcode MAX_STORAGE_KEY_BYTES}. */
  MAX_STORAGE_KEY_BYTES: number;
  /** The store file's bound (`MAX_STORE_FILE_SIZE`). */
  MAX_STORE_FILE_SIZE: number;
}

/** The values of {@linkcode HostLimits}. */
export const HOST_LIMITS: HostLimits = {
  GET_BUFFER_BYTES,
  GET_DATA_OFFSET,
  GET_LENGTH,
  GET_STATE,
  GET_PENDING: GetState.Pending,
  GET_READY: GetState.Ready,
  GET_TOO_SMALL: GetState.TooSmall,
  MAX_CONSOLE_CHARS_PER_CALL,
  MAX_CONSOLE_LINE_CHARS,
  MAX_ERROR_CHARS,
  MAX_PUT_BYTES_PER_CALL,
  MAX_STORAGE_VALUE_BYTES,
  MAX_STORAGE_KEY_BYTES,
  MAX_STORE_FILE_SIZE,
};
