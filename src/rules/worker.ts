/**
 * Worker body of the rules engine. Spawned by `engine.ts` with
 * `deno: { permissions: "none" }`; it receives the rules source once and
 * then one message per hook call (protocol in `protocol.ts`).
 *
 * Every call gets a fresh V8 context (`node:vm` with `DONT_CONTEXTIFY`, so
 * the context's global object is a real, separate global whose prototype
 * chain and built-ins all belong to the new realm): clef's fresh VM per
 * call (spec rules.md §3). In that context the worker deletes the
 * non-ECMAScript globals V8 and Deno add (`console`, `WebAssembly`,
 * `queueMicrotask`) and the built-ins that can schedule work outside the
 * call or block it (`SharedArrayBuffer`, `Atomics`, `FinalizationRegistry`,
 * `WeakRef`; goja, clef's engine, had none of these either), installs
 * `storage` and `console` written in the context's own code, evaluates
 * bignumber.js and the rules file (both compiled once per worker) and
 * finally `<Hook>(JSON.parse(<json>))`, each under node:vm's watchdog with
 * what is left of the call's time budget, and the whole call under an
 * outer watchdog (see `outer` below). The context, `storage`/`console`
 * and bignumber.js (trusted code only) are prepared while the worker is
 * idle, right after the previous call (see `prepare`), so only the rules
 * file and the hook run on the request's path. Exceptions are described from their
 * own data properties (no getters, no proxy traps, no `toString`).
 *
 * Containment: the worker realm (which has `Deno`, `postMessage`,
 * `import()`) is never reachable from a rule. The only worker objects a
 * context ever holds are the three host callbacks, captured in closures of
 * the context-side wrappers and never exposed; they take and return only
 * primitives and never throw (the wrappers also catch and replace
 * anything they might throw, so no foreign error object enters the
 * context). Host code is module code, hence strict, so V8 call sites
 * (`Error.prepareStackTrace`) show no host functions or receivers. Dynamic
 * `import()` in a context rejects (no import callback), static `import`
 * is a syntax error in a classic script.
 *
 * Why the realm boundary matters even though the worker has no
 * permissions: in Deno 2.9.6 `import()` in a worker is checked against the
 * process's permissions, not the worker's (`import(path, { with: { type:
 * "json" } })` reads any JSON file the daemon may read, keystores
 * included), and the default import allow-list lets it fetch modules from
 * deno.land/jsr.io. Code in the worker realm is therefore trusted; rule
 * code never runs there.
 *
 * @module
 */
import vm from "node:vm";
import { types } from "node:util";
import { BIGNUMBER_JS } from "./_bignumber.ts";
import {
  type CallMessage,
  type FromWorker,
  GET_BUFFER_BYTES,
  GET_DATA_OFFSET,
  GET_LENGTH,
  GET_STATE,
  GetState,
  MAX_CONSOLE_CHARS_PER_CALL,
  MAX_CONSOLE_LINE_CHARS,
  MAX_ERROR_CHARS,
  MAX_PUT_BYTES_PER_CALL,
  MAX_STORAGE_VALUE_BYTES,
  type ToWorker,
} from "./protocol.ts";

// Runs first in every context. Only operators and captured built-ins are
// used after set-up, so a rule that redefines String, Array.prototype.join
// or Error cannot make the wrappers hand objects to the host.
const SETUP_JS = `(function (hostGet, hostPut, hostLog) {
  "use strict";
  var g = globalThis, Str = String, Err = Error;
  delete g.console;
  delete g.WebAssembly;
  delete g.queueMicrotask;
  delete g.SharedArrayBuffer;
  delete g.Atomics;
  delete g.FinalizationRegistry;
  delete g.WeakRef;
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

// deno-lint-ignore no-explicit-any
const scope = self as any;
// A rule's rejected promise must not become an uncaught error of the
// worker (Deno would format its reason, running rule code unwatched).
scope.addEventListener(
  "unhandledrejection",
  (e: PromiseRejectionEvent) => e.preventDefault(),
);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let setupScript: vm.Script | undefined;
let bignumberScript: vm.Script | undefined;
let rulesScript: vm.Script | undefined;
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

function post(msg: FromWorker): void {
  scope.postMessage(msg);
}

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + "…" : s;
}

/**
 * An own data property of a rule object, read without running rule code
 * (no getters, no proxy traps): this runs outside the watchdog.
 */
function ownData(o: object, key: string): unknown {
  if (types.isProxy(o)) return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d !== undefined && "value" in d ? d.value : undefined;
}

/** A data property found on `o` or its prototype chain, read safely. */
function inheritedData(o: object, key: string): unknown {
  let p: object | null = o;
  for (let i = 0; p !== null && i < 32; i++) {
    if (types.isProxy(p)) return undefined;
    const v = ownData(p, key);
    if (v !== undefined) return v;
    p = Object.getPrototypeOf(p);
  }
  return undefined;
}

/**
 * Text of an exception thrown by rule code, like `Error.prototype.toString`
 * but without running rule code (a thrown object with a looping `toString`
 * must not hang the worker outside the watchdog). Never throws.
 */
function describe(e: unknown): string {
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
}

/**
 * node:vm's watchdog error. It is built in the rule's context, where a
 * rule may have planted a `code` accessor that makes node:vm's assignment
 * fail, so the own `message` counts too (callers also check the clock).
 */
function isTimeout(e: unknown): boolean {
  try {
    if (e === null || typeof e !== "object") return false;
    const message = ownData(e, "message");
    return ownData(e, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT" ||
      (typeof message === "string" &&
        message.startsWith("Script execution timed out"));
  } catch {
    return false;
  }
}

/** `storage.get` host side: the value, `""` when absent, null on failure. */
function hostGet(key: unknown): string | null {
  try {
    if (typeof key !== "string") return null;
    if (key === "") return ""; // clef: 0-length key error → ""
    const written = puts.get(key);
    if (written !== undefined) return written;
    for (;;) {
      const state = new Int32Array(sab, 0, 2);
      Atomics.store(state, GET_STATE, GetState.Pending);
      post({ t: "get", id: callId, key, sab });
      while (Atomics.load(state, GET_STATE) === GetState.Pending) {
        Atomics.wait(state, GET_STATE, GetState.Pending);
      }
      const st = Atomics.load(state, GET_STATE);
      const n = state[GET_LENGTH];
      if (st === GetState.Ready) {
        return decoder.decode(new Uint8Array(sab, GET_DATA_OFFSET, n).slice());
      }
      if (st !== GetState.TooSmall || n > MAX_STORAGE_VALUE_BYTES) return null;
      sab = new SharedArrayBuffer(GET_DATA_OFFSET + n);
    }
  } catch {
    return null;
  }
}

/** `storage.put` host side: `""` on success, else the error text. */
function hostPut(key: unknown, value: unknown): string {
  try {
    if (typeof key !== "string" || typeof value !== "string") {
      return "storage: bad argument";
    }
    if (key === "") return ""; // clef: silent no-op
    const size = encoder.encode(value).length;
    if (size > MAX_STORAGE_VALUE_BYTES) {
      return `storage: value exceeds ${MAX_STORAGE_VALUE_BYTES} bytes`;
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
}

/** `console.log` / `console.error` host side. */
function hostLog(line: unknown): void {
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
}

function load(source: string): void {
  setupScript = new vm.Script(SETUP_JS, { filename: "setup.js" });
  bignumberScript = new vm.Script(BIGNUMBER_JS, { filename: "bignumber.js" });
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
}

/** Watchdog of {@linkcode prepare} (trusted code only; never reached). */
const PREPARE_TIMEOUT_MS = 1000;

/**
 * The next call's context, made ahead of time by {@linkcode prepare}:
 * fresh, with `storage`/`console` set up and bignumber.js evaluated, and
 * no rule code run in it yet. Taken (and cleared) by the next call.
 */
let prepared: vm.Context | undefined;

/**
 * Makes the next call's context while the worker is idle (after `load`
 * and after each call's `done` has been posted), so that the ≈0.4 ms of
 * context creation, set-up and bignumber.js are off the request's path.
 * Only trusted code runs here (SETUP_JS, bignumber.js), which queues no
 * jobs and touches no storage, so the context is the same as one made at
 * the start of the call; the rules file and the hook still run in the
 * call, under its watchdogs. On any failure the call makes its own.
 */
function prepare(): void {
  prepared = undefined;
  if (rulesScript === undefined) return;
  const limit = { timeout: PREPARE_TIMEOUT_MS };
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
}

// A second, pristine context whose only job is to run `run()` (the whole
// call) under an outer watchdog. After the inner watchdog stops a rule,
// node:vm builds its timeout error from the rule's context outside that
// watchdog (it reads `name`, `message`, `stack`, `Error.prepareStackTrace`
// there), and the same happens when an exception leaves a context: a rule
// that planted a looping getter or proxy trap would hang the worker there,
// and Deno cannot terminate a busy worker. The outer watchdog bounds that
// too; its own error is built from this context, which no rule touches.
const outer = vm.createContext(vm.constants.DONT_CONTEXTIFY);
const outerScript = new vm.Script("run()", { filename: "call.js" });

function call(msg: CallMessage): void {
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
      ? { timeout: Math.max(1, Math.ceil(deadline - performance.now())) }
      : {};
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
          // Promise jobs a rule queues run before its evaluation returns, so
          // they are part of (and timed with) this call.
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
        // clef evaluates `Hook(JSON.parse("<json>"))`; the template literal
        // applies ToString to the result inside the context.
        const expr = "`${" + msg.hook + "(JSON.parse(" +
          JSON.stringify(msg.json) + "))}`";
        const value = new vm.Script(expr, { filename: msg.hook })
          .runInContext(ctx, budget());
        result = typeof value === "string" ? value : "";
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
      limited ? { timeout: Math.ceil(msg.timeoutMs) + OUTER_GRACE_MS } : {},
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
  // After a timeout the engine terminates this worker.
  if (!timedOut) prepare();
}

/** Tries one capability of each kind; returns the error name or "ALLOWED". */
async function probe(): Promise<void> {
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
  post({ t: "probe", permissions });
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.t === "load") load(msg.source);
  else if (msg.t === "call") call(msg);
  else if (msg.t === "probe") void probe();
};
