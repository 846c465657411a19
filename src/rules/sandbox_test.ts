import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import process from "node:process";
import { BIGNUMBER_JS } from "./_bignumber.ts";
import { RULES_WORKER_OPTIONS, RULES_WORKER_URL } from "./engine.ts";
import {
  DEFAULT_RULES_HEAP_MB,
  type FromWorker,
  type StartMessage,
} from "./protocol.ts";
import { listRequest, withEngine } from "./_testing.ts";

/** Catches a call that never ends; not a speed check (the machine may be loaded). */
const HANG_MS = 30_000;

/**
 * Runs `body` as the body of `ApproveListing` and returns the console
 * lines it printed; the hook returns "Reject" when `body` returns nothing.
 */
async function observe(body: string, top = ""): Promise<string[]> {
  let lines: string[] = [];
  await withEngine(
    `${top}\nfunction ApproveListing(r) { ${body}\n return "Reject" }`,
    async (h) => {
      await h.engine.approveListing(listRequest());
      lines = h.js;
    },
  );
  return lines;
}

/** What a rule sees through `g`: "<typeof Deno> <typeof postMessage>". */
const REACH = `function reach(g) {
  try { return g ? typeof g.Deno + " " + typeof g.postMessage : "none" }
  catch (e) { return "error" }
}`;

Deno.test("sandbox: the worker and its rule host hold no permission", async () => {
  const w = new Worker(RULES_WORKER_URL, RULES_WORKER_OPTIONS);
  const channel = new MessageChannel();
  try {
    const probe = (target: Worker | MessagePort) =>
      new Promise<Record<string, string>>((resolve) => {
        target.onmessage = (e: MessageEvent<FromWorker>) => {
          if (e.data.t === "probe") resolve(e.data.permissions);
        };
        target.postMessage({ t: "probe" });
      });
    const none = {
      read: "NotCapable",
      write: "NotCapable",
      net: "NotCapable",
      connect: "NotCapable",
      env: "NotCapable",
      run: "NotCapable",
      ffi: "NotCapable",
      sys: "NotCapable",
    };
    deepStrictEqual(await probe(w), none); // the Web Worker's realm
    const start: StartMessage = {
      t: "start",
      port: channel.port2,
      heapMb: DEFAULT_RULES_HEAP_MB,
    };
    w.postMessage(start, [channel.port2]);
    deepStrictEqual(await probe(channel.port1), none); // the rule host's
    // Not asserted: Deno 2.9.6 checks a worker's import() against the
    // process's permissions, not the worker's (a worker-realm import of a
    // local JSON file succeeds when the daemon may read it). Rules never
    // reach the worker realm (tests below), so this is not reachable.
  } finally {
    channel.port1.close();
    w.terminate();
  }
});

Deno.test("sandbox: host objects are absent from the rule's global", async () => {
  const names = [
    "Deno",
    "fetch",
    "Worker",
    "WebSocket",
    "XMLHttpRequest",
    "require",
    "process",
    "module",
    "setTimeout",
    "setInterval",
    "queueMicrotask",
    "postMessage",
    "self",
    "close",
    "importScripts",
    "WebAssembly",
    "SharedArrayBuffer",
    "Atomics",
    "FinalizationRegistry",
    "WeakRef",
    // they allocate outside the V8 heap, which the heap limit does not bound
    "ArrayBuffer",
    "DataView",
    "Uint8Array",
    "Int32Array",
    "Float64Array",
    "BigUint64Array",
    "performance",
    "crypto",
    "navigator",
    "location",
    "Buffer",
    "TextEncoder",
  ];
  const lines = await observe(
    `console.log(${names.map((n) => `typeof ${n}`).join(", ")})`,
  );
  deepStrictEqual(lines, [`JS:>  ${names.map(() => "undefined").join(" ")}`]);
});

Deno.test("sandbox: the global holds only ES built-ins, BigNumber, console, storage", async () => {
  const lines = await observe(
    `console.log(Object.getOwnPropertyNames(Function("return this")()).sort().join(","))`,
  );
  const names = lines[0].slice("JS:>  ".length).split(",");
  const allowed = new Set([
    // ECMAScript (ECMA-262 + ECMA-402) globals V8 installs
    "AggregateError",
    "Array",
    "AsyncDisposableStack",
    "BigInt",
    "Boolean",
    "Date",
    "DisposableStack",
    "Error",
    "EvalError",
    "Function",
    "Infinity",
    "Intl",
    "Iterator",
    "JSON",
    "Map",
    "Math",
    "NaN",
    "Number",
    "Object",
    "Promise",
    "Proxy",
    "RangeError",
    "ReferenceError",
    "Reflect",
    "RegExp",
    "Set",
    "String",
    "SuppressedError",
    "Symbol",
    "SyntaxError",
    "Temporal",
    "TypeError",
    "URIError",
    "WeakMap",
    "WeakSet",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "eval",
    "globalThis",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "undefined",
    "unescape",
    // provided like clef's
    "BigNumber",
    "console",
    "storage",
    // the rule's own declaration
    "ApproveListing",
  ]);
  deepStrictEqual(names.filter((n) => !allowed.has(n)), []);
  for (const n of ["BigNumber", "console", "storage", "JSON", "Math"]) {
    ok(names.includes(n), n);
  }
});

Deno.test("sandbox: constructor chains end in the rule's own realm", async () => {
  const lines = await observe(
    `console.log(
      reach(this.constructor.constructor("return this")()),
      reach((function () { return this })()),
      reach((0, eval)("this")),
      reach(storage.get.constructor("return this")()),
      reach(storage.put.constructor.constructor("return this")()),
      reach(console.log.constructor("return this")()),
      reach(BigNumber.constructor("return this")()),
      reach(new BigNumber(1).constructor.constructor("return this")()),
      reach(Object.getPrototypeOf(globalThis).constructor.constructor("return this")()),
      reach(r.constructor.constructor("return this")()),
      reach(r.accounts.constructor.constructor("return this")()),
      reach(JSON.parse("{}").constructor.constructor("return this")()),
      reach(arguments.callee.constructor("return this")())
    )`,
    REACH,
  );
  deepStrictEqual(lines, [
    `JS:>  ${Array(13).fill("undefined undefined").join(" ")}`,
  ]);
});

Deno.test("sandbox: errors a rule can catch belong to its realm", async () => {
  const lines = await observe(
    `var protos = [Error, RangeError, TypeError, SyntaxError, ReferenceError]
       .map(function (c) { return c.prototype });
     var seen = {};
     function check(e) {
       var own = protos.indexOf(Object.getPrototypeOf(e)) >= 0;
       seen[own ? "own" : "FOREIGN " + reach(e.constructor.constructor("return this")())] = 1;
     }
     function deep(n) {
       try { storage.get("k") } catch (e) { check(e) }
       try { storage.put("k", "v") } catch (e) { check(e) }
       try { console.log.apply(null, []) } catch (e) { check(e) }
       try { return deep(n + 1) } catch (e) { check(e); return n }
     }
     deep(0);
     try { storage.put("k", { toString: function () { throw new TypeError("t") } }) } catch (e) { check(e) }
     try { JSON.parse("{") } catch (e) { check(e) }
     console.log(Object.keys(seen).join("|"))`,
    REACH,
  );
  strictEqual(lines.at(-1), "JS:>  own");
});

Deno.test("sandbox: V8 call sites expose no host function or receiver", async () => {
  const lines = await observe(
    `Error.prepareStackTrace = function (e, sites) { return sites };
     var sites = new Error().stack, bad = [];
     var inner; storage.get({ toString: function () { inner = new Error().stack; return "k" } });
     sites = sites.concat(inner);
     for (var i = 0; i < sites.length; i++) {
       var f = sites[i].getFunction(), t = sites[i].getThis();
       if (f && reach(f.constructor("return this")()) !== "undefined undefined") bad.push("f" + i);
       if (t && typeof t === "object" && reach(t) !== "undefined undefined") bad.push("t" + i);
     }
     console.log(sites.length > 2, bad.join(","))`,
    REACH,
  );
  deepStrictEqual(lines, ["JS:>  true "]);
});

Deno.test("sandbox: file, network, env, subprocess attempts fail", async () => {
  const attempts = [
    `Deno.readTextFileSync("/etc/passwd")`,
    `Deno.readFileSync("/etc/hostname")`,
    `Deno.writeTextFileSync("/tmp/stave-rule-escape", "x")`,
    `fetch("http://127.0.0.1:1/")`,
    `new WebSocket("ws://127.0.0.1:1/")`,
    `Deno.env.get("HOME")`,
    `new Deno.Command("id").outputSync()`,
    `require("fs").readFileSync("/etc/passwd")`,
    `process.env.HOME`,
    `new Worker("data:text/javascript,postMessage(1)")`,
    `WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))`,
    `Function("return Deno")().readTextFileSync("/etc/passwd")`,
    `this.constructor.constructor("return Deno")().env.toObject()`,
  ];
  const body = attempts.map((a) =>
    `try { ${a}; console.log("ESCAPED", ${
      JSON.stringify(a)
    }) } catch (e) { console.log(e.name) }`
  ).join("\n");
  const lines = await observe(body);
  deepStrictEqual(lines, attempts.map(() => "JS:>  ReferenceError"));
});

Deno.test("sandbox: module loading is impossible", async () => {
  // dynamic import rejects (no import callback in the context); the
  // promise jobs run inside the call (microtaskMode "afterEvaluate")
  const lines = await observe(
    `console.log(state)`,
    `var state = "pending";
     import("data:text/javascript,export default typeof Deno").then(
       function (m) { state = "LOADED " + m.default },
       function (e) { state = "rejected " + e.name });`,
  );
  deepStrictEqual(lines, ["JS:>  rejected TypeError"]);
  // static import and import.meta are syntax errors in a classic script
  for (
    const src of [`import "data:text/javascript,1";`, `var m = import.meta;`]
  ) {
    await withEngine(
      `${src}\nfunction ApproveListing() { return "Approve" }`,
      async (h) => {
        strictEqual(
          (await h.engine.approveListing(listRequest())).accounts?.[0].address,
          "0xui",
        );
        ok(h.log.some((l) => l.includes("SyntaxError")), src);
      },
    );
  }
});

Deno.test("sandbox: an infinite loop is denied within the timeout, the next call succeeds", async () => {
  const rule = `function ApproveListing(r) {
    if (storage.get("loop") !== "") { storage.put("partial", "1"); while (true) {} }
    return "Approve";
  }`;
  await withEngine(rule, async (h) => {
    await h.store.inner.put("loop", "1");
    const t0 = performance.now();
    deepStrictEqual(await h.engine.approveListing(listRequest()), {
      accounts: null,
    });
    const elapsed = performance.now() - t0;
    // Not before the timeout; after it only a hang bound (a loaded machine
    // may take seconds): the log line below shows the timeout denied it.
    ok(elapsed >= 290 && elapsed < HANG_MS, `denied after ${elapsed} ms`);
    deepStrictEqual(h.ui.methods(), []); // denied, not forwarded
    ok(
      h.log.includes(
        `WARN Rule timed out, request denied {"hook":"ApproveListing","timeout":"300ms"}`,
      ),
    );
    strictEqual(await h.store.inner.get("partial"), undefined); // writes dropped
    await h.store.inner.del("loop");
    strictEqual(
      (await h.engine.approveListing(listRequest())).accounts?.length,
      2,
    );
  }, { timeoutMs: 300 });
});

Deno.test("sandbox: timing loops, promise-job loops and thrown traps are contained", async () => {
  // A thrown object is described without running rule code (then the
  // request goes to the UI), but node:vm itself may touch it (stack, name,
  // proxy traps) after the rule's watchdog; the outer watchdog ends that,
  // so a looping trap can also end as a timeout. Either way the call ends
  // in time, no worker thread keeps spinning, and the engine keeps serving.
  const rules: [string, "denied" | "either" | "approved"][] = [
    [
      `function ApproveListing() { var t = Date.now(); while (Date.now() - t < 60000) {} return "Approve" }`,
      "denied",
    ],
    [`function ApproveListing() { for (;;) { storage.get("k") } }`, "denied"],
    [
      `function ApproveListing() { function f() { Promise.resolve().then(f) } f(); return "Approve" }`,
      "denied",
    ],
    [
      `Promise.resolve().then(function () { for (;;) {} }); function ApproveListing() { return "Approve" }`,
      "denied",
    ],
    [
      `function ApproveListing() { throw new Proxy({}, { get: function () { for (;;) {} }, getPrototypeOf: function () { for (;;) {} } }) }`,
      "either",
    ],
    [
      `function ApproveListing() { throw { toString: function () { for (;;) {} }, get message() { for (;;) {} } } }`,
      "either",
    ],
    [
      `function ApproveListing() { var e = new Error("m"); Object.defineProperty(e, "name", { get: function () { for (;;) {} } }); throw e }`,
      "either",
    ],
    [
      `function ApproveListing() { Error.prepareStackTrace = function () { for (;;) {} }; for (;;) {} }`,
      "denied",
    ],
    [
      `function ApproveListing() { Object.defineProperty(Error.prototype, "name", { get: function () { for (;;) {} } }); for (;;) {} }`,
      "denied",
    ],
    [
      `function ApproveListing() { Object.defineProperty(Object.prototype, "code", { get: function () { for (;;) {} } }); for (;;) {} }`,
      "denied",
    ],
    [
      `function ApproveListing() { Promise.reject(new Proxy({}, { get: function () { for (;;) {} } })); return "Approve" }`,
      "approved",
    ],
  ];
  for (const [rule, expect] of rules) {
    await withEngine(rule, async (h) => {
      const t0 = performance.now();
      const res = await h.engine.approveListing(listRequest());
      const elapsed = performance.now() - t0;
      ok(elapsed < HANG_MS, `${rule}: ${elapsed} ms`);
      if (expect === "denied") {
        deepStrictEqual(res, { accounts: null }, rule);
        deepStrictEqual(h.ui.methods(), [], rule);
      } else if (expect === "approved") {
        strictEqual(res.accounts?.length, 2, rule);
      } else {
        ok(
          res.accounts === null || h.ui.methods()[0] === "approveListing",
          rule,
        );
      }
      await h.engine.reload(`function ApproveListing() { return "Approve" }`);
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts?.length,
        2,
      );
    }, { timeoutMs: 300 });
  }
  // Nothing of these rules is still running: the process is idle.
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 300));
  const cpu = process.cpuUsage(cpu0);
  ok(
    cpu.user + cpu.system < 150_000,
    `busy while idle: ${JSON.stringify(cpu)}`,
  );
});

/**
 * CPU ticks (utime + stime, 1/100 s) of every thread of this process, by
 * thread id and name, from /proc/self/task (Linux).
 */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const e of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${e.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(`${e.name} ${name}`, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

/**
 * Threads that used more than a tenth of a core over 2 s. A thread that
 * spins gets far more even on a loaded machine; idle threads get ~0.
 */
async function busyThreads(): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 500)); // let GC threads settle
  const before = threadTicks();
  await new Promise((r) => setTimeout(r, 2000));
  const busy: string[] = [];
  for (const [thread, t] of threadTicks()) {
    const used = t - (before.get(thread) ?? t);
    if (used > 20) busy.push(`${thread}: ${used} ticks`);
  }
  return busy;
}

Deno.test("sandbox: a thrown proxy whose traps loop is denied in time and leaves no busy thread", async () => {
  const loop = "function () { for (;;) {} }";
  const rules = [
    `function ApproveListing() { throw new Proxy({}, { get: ${loop}, getOwnPropertyDescriptor: ${loop} }) }`,
    `function ApproveListing() { throw new Proxy({}, { get: ${loop}, getOwnPropertyDescriptor: ${loop}, getPrototypeOf: ${loop}, has: ${loop}, ownKeys: ${loop} }) }`,
    `throw new Proxy({}, { get: ${loop}, getOwnPropertyDescriptor: ${loop} }); function ApproveListing() { return "Approve" }`,
    `function ApproveListing() { Object.defineProperty(Object.prototype, "code", { set: ${loop} }); for (;;) {} }`,
  ];
  for (const rule of rules) {
    await withEngine(rule, async (h) => {
      const res = await Promise.race([
        h.engine.approveListing(listRequest()),
        new Promise<"hang">((r) => setTimeout(() => r("hang"), 20_000)),
      ]);
      ok(res !== "hang", rule);
      // denied, or (the exception described) forwarded to the UI
      ok(
        res.accounts === null || h.ui.methods()[0] === "approveListing",
        rule,
      );
      await h.engine.reload(`function ApproveListing() { return "Approve" }`);
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts?.length,
        2,
      );
    }, { timeoutMs: 300 });
  }
  deepStrictEqual(await busyThreads(), []);
});

Deno.test("sandbox: a rule's heap is bounded: allocating traps end the rule, not the process", async () => {
  // A long timeout, so that only the heap limit can stop these in time.
  const alloc =
    "function () { var a = []; for (;;) a.push(new Array(1e5).fill(1.5)) }";
  const rules = [
    `function ApproveListing() { throw new Proxy({}, { get: ${alloc}, getOwnPropertyDescriptor: ${alloc} }) }`,
    `function ApproveListing() { (${alloc})() }`,
  ];
  for (const rule of rules) {
    await withEngine(rule, async (h) => {
      await h.engine.init();
      const before = process.memoryUsage.rss();
      let peak = 0;
      let done = false;
      const call = h.engine.approveListing(listRequest()).finally(() =>
        done = true
      );
      while (!done) {
        peak = Math.max(peak, process.memoryUsage.rss() - before);
        await new Promise((r) => setTimeout(r, 20));
      }
      deepStrictEqual(await call, { accounts: null }, rule);
      deepStrictEqual(h.ui.methods(), [], rule);
      ok(peak < 400 * 1024 * 1024, `${rule}: RSS grew ${peak >> 20} MB`);
      await h.engine.reload(`function ApproveListing() { return "Approve" }`);
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts?.length,
        2,
      );
    }, { timeoutMs: 4000, graceMs: 500, heapMb: 64 });
  }
  deepStrictEqual(await busyThreads(), []);
});

Deno.test("sandbox: an allocation bomb is stopped and the daemon keeps serving", async () => {
  const rule = `function ApproveListing(r) {
    if (r.accounts.length === 2) { var a = []; for (;;) a.push(new Array(1e5).fill(1.5)) }
    return "Approve";
  }`;
  await withEngine(rule, async (h) => {
    const before = process.memoryUsage.rss();
    deepStrictEqual(await h.engine.approveListing(listRequest()), {
      accounts: null,
    });
    const one = {
      ...listRequest(),
      accounts: listRequest().accounts.slice(0, 1),
    };
    strictEqual((await h.engine.approveListing(one)).accounts?.length, 1);
    // the stopped worker's heap goes with it (its thread exits shortly)
    let grown = Infinity;
    for (let i = 0; i < 400 && grown >= 300 * 1024 * 1024; i++) {
      await new Promise((r) => setTimeout(r, 50));
      grown = process.memoryUsage.rss() - before;
    }
    ok(grown < 300 * 1024 * 1024, `RSS still ${grown >> 20} MB above`);
  }, { timeoutMs: 400 });
});

Deno.test("BIGNUMBER_JS is npm bignumber.js@2.0.3 verbatim", async () => {
  const url = new URL(import.meta.resolve("bignumber.js"));
  strictEqual(url.protocol, "file:");
  strictEqual(BIGNUMBER_JS, await Deno.readTextFile(url));
  ok(BIGNUMBER_JS.startsWith("/*! bignumber.js v2.0.3 "));
});
