/**
 * The rule host: the code that runs rules, in a `node:worker_threads`
 * Worker that the permissionless rules Worker (`worker.ts`) starts with a
 * heap limit (`resourceLimits`). It inherits that Worker's permissions
 * ("none"); it talks to the main thread over a `MessagePort` (protocol in
 * `protocol.ts`).
 *
 * {@linkcode ruleHost} is started from its source text (`toString()`, so
 * it must not use anything from outside its own body): a Worker without
 * read permission cannot load a module file.
 *
 * Every call gets a fresh V8 context (`node:vm` with `DONT_CONTEXTIFY`, so
 * the context's global object is a real, separate global whose prototype
 * chain and built-ins all belong to the new realm): clef's fresh VM per
 * call (spec rules.md §3). In that context the host deletes the
 * non-ECMAScript globals V8 and Deno add (`console`, `WebAssembly`,
 * `queueMicrotask`), the built-ins that can schedule work outside the
 * call or block it (`SharedArrayBuffer`, `Atomics`, `FinalizationRegistry`,
 * `WeakRef`; goja, clef's engine, had none of these either) and those that
 * allocate memory outside the V8 heap, which the heap limit does not count
 * (`ArrayBuffer`, the typed arrays, `DataView`), installs `storage` and
 * `console` written in the context's own code, evaluates bignumber.js and
 * the rules file (both compiled once per host) and finally the hook, each
 * under node:vm's watchdog with what is left of the call's time budget,
 * and the whole call under an outer watchdog (see `outer` below). The
 * context, `storage`/`console` and bignumber.js (trusted code only) are
 * prepared while the host is idle, right after the previous call (see
 * `prepare`), so only the rules file and the hook run on the request's
 * path.
 *
 * No rule-made value is touched by host code outside a watchdog: the hook
 * is called by a wrapper in the context that turns its value, or the
 * exception it threw, into one primitive string (`R…`/`E…`) inside the
 * context, under the watchdog; every `runInContext` has `displayErrors:
 * false`, because with it node:vm reads the `stack` of a thrown value after
 * the script's watchdog has ended (a proxy trap there spun forever, out of
 * every watchdog); an exception thrown by the file's top level is described
 * from its own data properties only (no getters, no proxy traps).
 *
 * Containment: the host realm (which has `Deno`, `require`, `import()`) is
 * never reachable from a rule. The only host objects a context ever holds
 * are the three host callbacks, captured in closures of the context-side
 * wrappers and never exposed; they take and return only primitives and
 * never throw (the wrappers also catch and replace anything they might
 * throw, so no foreign error object enters the context). Host code is
 * strict, so V8 call sites (`Error.prepareStackTrace`) show no host
 * functions or receivers. Dynamic `import()` in a context rejects (no
 * import callback), static `import` is a syntax error in a classic script.
 *
 * Why the realm boundary matters even though the host has no permissions:
 * in Deno 2.9.6 `import()` in a worker is checked against the process's
 * permissions, not the worker's (`import(path, { with: { type: "json" } })`
 * reads any JSON file the daemon may read, keystores included), and the
 * default import allow-list lets it fetch modules from deno.land/jsr.io.
 * Code in the host realm is therefore trusted; rule code never runs there.
 *
 * @module
 */
import type * as nodeVm from "node:vm";
import type * as nodeUtil from "node:util";
import type * as nodeWorkerThreads from "node:worker_threads";
import type { FromWorker, HostLimits, ToWorker } from "./protocol.ts";

/** What {@linkcode ruleHost} gets from the rules Worker (`workerData`). */
export interface HostData {
  /** The channel to the main thread. */
  port: MessagePort;
  /** bignumber.js, evaluated in every context. */
  bignumber: string;
  /** The limits of `protocol.ts`. */
  limits: HostLimits;
}

/** The modules {@linkcode ruleHost} needs (its CommonJS `require`). */
export type HostRequire =
  & ((id: "node:vm") => typeof nodeVm)
  & ((id: "node:util") => typeof nodeUtil)
  & ((id: "node:worker_threads") => typeof nodeWorkerThreads);

/**
 * Tries one capability of each kind in the calling realm; returns the
 * error name of each attempt, or "ALLOWED". Self-contained (its source is
 * also run in the rule host).
 */
export async function probePermissions(): Promise<Record<string, string>> {
  // deno-lint-ignore no-explicit-any
  const D = (globalThis as any).Deno;
  const attempts: Record<string, () => unknown> = {
    read: () => D.readTextFileSync("/etc/hostname"),
    write: () => D.writeTextFileSync("/tmp/stave-rules-probe", "x"),
    net: () => fetch("http://127.0.0.1:49151/"),
    connect: () => D.connect({ hostname: "127.0.0.1", port: 80 }),
    env: () => D.env.get("HOME"),
    run: () => new D.Command("true").outputSync(),
    ffi: () => D.dlopen("libc.so.6", {}),
    sys: () => D.hostname(),
  };
  const permissions: Record<string, string> = {};
  for (const [name, attempt] of Object.entries(attempts)) {
    try {
      await attempt();
      permissions[name] = "ALLOWED";
    } catch (e) {
      permissions[name] = e instanceof Error ? e.name : String(e);
    }
  }
  return permissions;
}

/**
 * The rule host's body (see the module doc). Run from its source text in
 * a `node:worker_threads` Worker: `(ruleHost)(require, probePermissions)`.
 *
 * @param require The Worker's CommonJS `require`.
 * @param probe {@linkcode probePermissions}.
 */
export function ruleHost(
  require: HostRequire,
  probe: typeof probePermissions,
): void {
  const vm = require("node:vm");
  const { types } = require("node:util");
  const { workerData } = require("node:worker_threads");
  const { port, bignumber, limits } = workerData as HostData;
  const {
    GET_BUFFER_BYTES,
    GET_DATA_OFFSET,
    GET_LENGTH,
    GET_STATE,
    GET_PENDING,
    GET_READY,
    GET_TOO_SMALL,
    MAX_CONSOLE_CHARS_PER_CALL,
    MAX_CONSOLE_LINE_CHARS,
    MAX_ERROR_CHARS,
    MAX_PUT_BYTES_PER_CALL,
    MAX_STORAGE_VALUE_BYTES,
    MAX_STORAGE_KEY_BYTES,
    MAX_STORE_FILE_SIZE,
  } = limits;

  // Runs first in every context. Only operators and captured built-ins are
  // used after set-up, so a rule that redefines String, Array.prototype.join
  // or Error cannot make the wrappers hand objects to the host.
  const SETUP_JS = `(function (hostGet, hostPut, hostLog) {
  "use strict";
  var g = globalThis, Str = String, Err = Error;
  var drop = ["console", "WebAssembly", "queueMicrotask", "SharedArrayBuffer",
    "Atomics", "FinalizationRegistry", "WeakRef", "ArrayBuffer", "DataView",
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
    "Uint16Array", "Int32Array", "Uint32Array", "Float16Array",
    "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];
  for (var i = 0; i < drop.length; i++) delete g[drop[i]];
  var storage = {
    put: function (key, value) {
      var k = Str(key), v = Str(value), r;
      try { r = hostPut(k, v); } catch (e) { r = "storage: internal error"; }
      if (r !== "") throw new Err(r);
      return null;
    },
    get: function (key) {
      var k = Str(key), r;
      try { r = hostGet(k); } catch (e) { r = null; }
      if (typeof r !== "string") throw new Err("storage: value unavailable");
      return r;
    }
  };
  var out = function () {
    var line = "JS:> ";
    for (var i = 0; i < arguments.length; i++) line = line + " " + Str(arguments[i]);
    try { hostLog(line); } catch (e) {}
  };
  g.storage = storage;
  g.console = { log: out, error: out };
})`;

  // A rule's rejected promise must not become an uncaught error of the
  // host (Deno would format its reason, running rule code unwatched).
  // deno-lint-ignore no-explicit-any
  (globalThis as any).addEventListener?.(
    "unhandledrejection",
    (e: PromiseRejectionEvent) => e.preventDefault(),
  );
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  let setupScript: nodeVm.Script | undefined;
  let bignumberScript: nodeVm.Script | undefined;
  let rulesScript: nodeVm.Script | undefined;
  let loadError: string | undefined;

  let sab = new SharedArrayBuffer(GET_DATA_OFFSET + GET_BUFFER_BYTES);

  /** Time node:vm gets after the call's budget to finish its own work. */
  const OUTER_GRACE_MS = 250;

  /** State of the call in progress. */
  let callId = 0;
  let puts = new Map<string, string>();
  let putBytes = 0;
  let consoleChars = 0;
  let consoleCut = false;

  const post = (msg: FromWorker): void => port.postMessage(msg);

  const cut = (s: string, max: number): string =>
    s.length > max ? s.slice(0, max) + "…" : s;

  /**
   * An own data property of a rule object, read without running rule code
   * (no getters, no proxy traps): this runs outside the watchdog.
   */
  const ownData = (o: object, key: string): unknown => {
    if (types.isProxy(o)) return undefined;
    const d = Object.getOwnPropertyDescriptor(o, key);
    return d !== undefined && "value" in d ? d.value : undefined;
  };

  /** A data property found on `o` or its prototype chain, read safely. */
  const inheritedData = (o: object, key: string): unknown => {
    let p: object | null = o;
    for (let i = 0; p !== null && i < 32; i++) {
      if (types.isProxy(p)) return undefined;
      const v = ownData(p, key);
      if (v !== undefined) return v;
      p = Object.getPrototypeOf(p);
    }
    return undefined;
  };

  /**
   * Text of an exception thrown by rule code, like `Error.prototype.toString`
   * but without running rule code (a thrown object with a looping `toString`
   * must not hang the host outside the watchdog). Never throws.
   */
  const describe = (e: unknown): string => {
    try {
      if (e === null || (typeof e !== "object" && typeof e !== "function")) {
        return cut(String(e), MAX_ERROR_CHARS);
      }
      const name = inheritedData(e, "name");
      const message = ownData(e, "message") ?? inheritedData(e, "message");
      if (typeof name !== "string" && typeof message !== "string") {
        return "exception";
      }
      const n = typeof name === "string" ? name : "Error";
      const m = typeof message === "string" ? message : "";
      return cut(m === "" ? n : n === "" ? m : `${n}: ${m}`, MAX_ERROR_CHARS);
    } catch {
      return "exception";
    }
  };

  /**
   * node:vm's watchdog error. It is built in the rule's context, where a
   * rule may have planted a `code` accessor that makes node:vm's assignment
   * fail, so the own `message` counts too (callers also check the clock).
   */
  const isTimeout = (e: unknown): boolean => {
    try {
      if (e === null || typeof e !== "object") return false;
      const message = ownData(e, "message");
      return ownData(e, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT" ||
        (typeof message === "string" &&
          message.startsWith("Script execution timed out"));
    } catch {
      return false;
    }
  };

  /** `storage.get` host side: the value, `""` when absent, null on failure. */
  const hostGet = (key: unknown): string | null => {
    try {
      if (typeof key !== "string") return null;
      if (key === "") return ""; // clef: 0-length key error → ""
      const written = puts.get(key);
      if (written !== undefined) return written;
      for (;;) {
        const state = new Int32Array(sab, 0, 2);
        Atomics.store(state, GET_STATE, GET_PENDING);
        post({ t: "get", id: callId, key, sab });
        while (Atomics.load(state, GET_STATE) === GET_PENDING) {
          Atomics.wait(state, GET_STATE, GET_PENDING);
        }
        const st = Atomics.load(state, GET_STATE);
        const n = state[GET_LENGTH];
        if (st === GET_READY) {
          return decoder.decode(
            new Uint8Array(sab, GET_DATA_OFFSET, n).slice(),
          );
        }
        if (st !== GET_TOO_SMALL || n > MAX_STORAGE_VALUE_BYTES) return null;
        sab = new SharedArrayBuffer(GET_DATA_OFFSET + n);
      }
    } catch {
      return null;
    }
  };

  /** `storage.put` host side: `""` on success, else the error text. */
  const hostPut = (key: unknown, value: unknown): string => {
    try {
      if (typeof key !== "string" || typeof value !== "string") {
        return "storage: bad argument";
      }
      if (key === "") return ""; // clef: silent no-op
      const keySize = encoder.encode(key).length;
      if (keySize > MAX_STORAGE_KEY_BYTES) {
        return `storage: key exceeds ${MAX_STORAGE_KEY_BYTES} bytes`;
      }
      const size = encoder.encode(value).length;
      // its record alone (base64 of value + GCM tag, nonce, JSON) must fit
      // in the store file; the store refuses what does not fit with the rest
      const record = 4 * Math.ceil((size + 16) / 3) + keySize + 64;
      if (record > MAX_STORE_FILE_SIZE) {
        return `storage: a value of ${size} bytes cannot fit in the ${MAX_STORE_FILE_SIZE}-byte store`;
      }
      putBytes += key.length + size;
      if (putBytes > MAX_PUT_BYTES_PER_CALL) {
        return `storage: writes exceed ${MAX_PUT_BYTES_PER_CALL} bytes in one call`;
      }
      puts.set(key, value);
      return "";
    } catch {
      return "storage: internal error";
    }
  };

  /** `console.log` / `console.error` host side. */
  const hostLog = (line: unknown): void => {
    try {
      if (typeof line !== "string" || consoleCut) return;
      const text = cut(line, MAX_CONSOLE_LINE_CHARS);
      consoleChars += text.length;
      if (consoleChars > MAX_CONSOLE_CHARS_PER_CALL) {
        consoleCut = true;
        post({ t: "log", id: callId, line: "JS:>  (console output cut)" });
        return;
      }
      post({ t: "log", id: callId, line: text });
    } catch {
      // dropped
    }
  };

  /** Watchdog of {@linkcode prepare} (trusted code only; never reached). */
  const PREPARE_TIMEOUT_MS = 1000;

  /**
   * The next call's context, made ahead of time by `prepare`: fresh, with
   * `storage`/`console` set up and bignumber.js evaluated, and no rule
   * code run in it yet. Taken (and cleared) by the next call.
   */
  let prepared: nodeVm.Context | undefined;

  /**
   * Makes the next call's context while the host is idle (after `load`
   * and after each call's `done` has been posted), so that the ≈0.4 ms of
   * context creation, set-up and bignumber.js are off the request's path.
   * Only trusted code runs here (SETUP_JS, bignumber.js), which queues no
   * jobs and touches no storage, so the context is the same as one made at
   * the start of the call; the rules file and the hook still run in the
   * call, under its watchdogs. On any failure the call makes its own.
   */
  const prepare = (): void => {
    prepared = undefined;
    if (rulesScript === undefined) return;
    const limit = { timeout: PREPARE_TIMEOUT_MS, displayErrors: false };
    try {
      const ctx = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
        microtaskMode: "afterEvaluate",
      });
      setupScript!.runInContext(ctx, limit)(hostGet, hostPut, hostLog);
      try {
        bignumberScript!.runInContext(ctx, limit);
      } catch (e) {
        if (isTimeout(e)) return;
        // clef ignores other errors running bignumber.js
      }
      prepared = ctx;
    } catch {
      prepared = undefined;
    }
  };

  const load = (source: string): void => {
    setupScript = new vm.Script(SETUP_JS, { filename: "setup.js" });
    bignumberScript = new vm.Script(bignumber, { filename: "bignumber.js" });
    try {
      rulesScript = new vm.Script(source, { filename: "rules.js" });
    } catch (e) {
      loadError = describe(e);
    }
    post(
      loadError === undefined ? { t: "loaded" } : {
        t: "loaded",
        error: loadError,
      },
    );
    prepare();
  };

  // A second, pristine context whose only job is to run `run()` (the whole
  // call) under an outer watchdog. After the inner watchdog stops a rule,
  // node:vm builds its timeout error from the rule's context outside that
  // watchdog (it assigns `code` there), and a rule that planted a looping
  // setter would hang the host there; Deno cannot terminate a busy worker.
  // The outer watchdog bounds that too; its own error is built from this
  // context, which no rule touches.
  const outer = vm.createContext(vm.constants.DONT_CONTEXTIFY);
  const outerScript = new vm.Script("run()", { filename: "call.js" });

  /**
   * The hook call, evaluated in the rule's context: clef's
   * `Hook(JSON.parse("<json>"))` with `ToString` applied to the value,
   * and the exception (if any) described there too, so that what leaves
   * the context is one primitive string: `R<value>` or `E<error text>`.
   * Operators only after the hook has run (a rule may have replaced any
   * global by then); a nested failure becomes "exception".
   */
  const hookScript = (hook: string, json: string): string =>
    `(function (json) {
  try { return "R" + \`\${${hook}(JSON.parse(json))}\`; }
  catch (e) {
    try {
      if (e === null || (typeof e !== "object" && typeof e !== "function")) {
        return "E" + \`\${e}\`;
      }
      var n = e.name, m = e.message;
      if (typeof n !== "string" && typeof m !== "string") return "Eexception";
      if (typeof n !== "string") n = "Error";
      if (typeof m !== "string") m = "";
      return "E" + (m === "" ? n : n === "" ? m : n + ": " + m);
    } catch (e2) { return "Eexception"; }
  }
})(${JSON.stringify(json)})`;

  const call = (msg: Extract<ToWorker, { t: "call" }>): void => {
    callId = msg.id;
    puts = new Map();
    putBytes = 0;
    consoleChars = 0;
    consoleCut = false;
    // node:vm's watchdog thread stops a script at its timeout (V8
    // TerminateExecution, not catchable by the rule; it also interrupts
    // Atomics.wait and the context's microtasks). Each evaluation gets what
    // is left of the call's budget.
    const limited = msg.timeoutMs > 0 && Number.isFinite(msg.timeoutMs);
    const deadline = performance.now() + msg.timeoutMs;
    const budget = () =>
      limited
        ? {
          timeout: Math.max(1, Math.ceil(deadline - performance.now())),
          displayErrors: false,
        }
        : { displayErrors: false };
    let result: string | undefined;
    let error: string | undefined;
    let timedOut = false;
    let phase: "rules" | "hook" = "rules";
    // A context made ahead by prepare() is used once, by this call.
    const ready = prepared;
    prepared = undefined;
    const run = () => {
      try {
        if (rulesScript === undefined) throw new SyntaxError(loadError);
        let ctx = ready;
        if (ctx === undefined) {
          ctx = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
            // Promise jobs a rule queues run before its evaluation returns,
            // so they are part of (and timed with) this call.
            microtaskMode: "afterEvaluate",
          });
          setupScript!.runInContext(ctx, budget())(hostGet, hostPut, hostLog);
          try {
            bignumberScript!.runInContext(ctx, budget());
          } catch (e) {
            if (isTimeout(e) || (limited && performance.now() >= deadline)) {
              throw e;
            }
            // clef ignores other errors running bignumber.js
          }
        }
        rulesScript.runInContext(ctx, budget());
        phase = "hook";
        if (msg.hook !== null) {
          const value: unknown = new vm.Script(
            hookScript(msg.hook, msg.json),
            { filename: msg.hook },
          ).runInContext(ctx, budget());
          const text = typeof value === "string" ? value : "Eexception";
          if (text.startsWith("R")) {
            // only "Approve"/"Reject" mean anything; keep what is logged short
            result = cut(text.slice(1), MAX_ERROR_CHARS);
          } else {
            error = cut(text.slice(1), MAX_ERROR_CHARS);
          }
        } else {
          result = "";
        }
      } catch (e) {
        timedOut = isTimeout(e) || (limited && performance.now() >= deadline);
        error = timedOut ? "timeout" : describe(e);
      }
    };
    (outer as unknown as { run: () => void }).run = run;
    try {
      outerScript.runInContext(
        outer,
        limited
          ? {
            timeout: Math.ceil(msg.timeoutMs) + OUTER_GRACE_MS,
            displayErrors: false,
          }
          : { displayErrors: false },
      );
    } catch (e) {
      // only the outer watchdog gets here
      timedOut = true;
      error = isTimeout(e) ? "timeout" : describe(e);
    }
    if (timedOut) result = undefined;
    post({
      t: "done",
      id: msg.id,
      ok: error === undefined,
      ...(error === undefined ? { result } : { error, phase }),
      ...(timedOut ? { timedOut } : {}),
      puts: timedOut ? [] : [...puts],
    });
    puts = new Map();
    // After a timeout the engine stops this host.
    if (!timedOut) prepare();
  };

  port.onmessage = (e: MessageEvent<ToWorker>) => {
    const msg = e.data;
    if (msg.t === "load") load(msg.source);
    else if (msg.t === "call") call(msg);
    else if (msg.t === "ping") post({ t: "pong", n: msg.n });
    else if (msg.t === "probe") {
      void probe().then((permissions) => post({ t: "probe", permissions }));
    }
  };
}
