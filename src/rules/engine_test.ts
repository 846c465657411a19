import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { DamagedFileError } from "../errors.ts";
import { RulesEngine, RulesLoadError } from "./engine.ts";
import {
  listRequest,
  recordingLogger,
  RecordingUi,
  signedResult,
  STARTUP,
  TestStore,
  textRequest,
  txRequest,
  withEngine,
} from "./_testing.ts";

// ---------------------------------------------------------------- chain

Deno.test("approveTx() Approve approves the request's own transaction", async () => {
  await withEngine(`function ApproveTx(r) { return "Approve" }`, async (h) => {
    const req = txRequest();
    deepStrictEqual(await h.engine.approveTx(req), {
      transaction: req.transaction,
      approved: true,
    });
    deepStrictEqual(h.ui.methods(), []);
    ok(h.log.includes("INFO Op approved"));
  });
});

Deno.test("approveTx() Reject denies without asking the next UI", async () => {
  await withEngine(`function ApproveTx(r) { return "Reject" }`, async (h) => {
    const req = txRequest();
    deepStrictEqual(await h.engine.approveTx(req), {
      transaction: req.transaction,
      approved: false,
    });
    deepStrictEqual(h.ui.methods(), []);
    ok(h.log.includes("INFO Op rejected"));
  });
});

Deno.test("approveTx() falls through on any other outcome", async () => {
  const cases: [string, string][] = [
    [`function ApproveTx(r) { return "approve" }`, "unknown response"],
    [`function ApproveTx(r) { }`, "unknown response"],
    [`function ApproveTx(r) { return null }`, "unknown response"],
    [`function ApproveTx(r) { throw new Error("no") }`, "Error: no"],
    [`function ApproveSignData(r) { return "Approve" }`, "ReferenceError"],
    [`var ApproveTx = 5`, "TypeError"],
    [
      `function ApproveTx(r) { return { toString: function () { throw new Error("t") } } }`,
      "Error: t",
    ],
  ];
  for (const [source, error] of cases) {
    await withEngine(source, async (h) => {
      const req = txRequest();
      const opts = { signal: new AbortController().signal };
      const res = await h.engine.approveTx(req, opts);
      strictEqual(res.transaction.nonce, "0x99", source); // the UI's answer
      deepStrictEqual(h.ui.methods(), ["approveTx"], source);
      strictEqual(h.ui.calls[0].arg, req);
      strictEqual(h.ui.calls[0].options, opts);
      const line = h.log.find((l) => l.startsWith("INFO Rule-based approval"));
      ok(line?.includes(error), `${source}: ${line}`);
    });
  }
});

Deno.test("approveTx() applies ToString to the hook's value", async () => {
  await withEngine(
    `function ApproveTx(r) { return ["Approve"] }`,
    async (h) => {
      strictEqual((await h.engine.approveTx(txRequest())).approved, true);
    },
  );
  await withEngine(
    `function ApproveTx(r) { return { toString: function () { return "Reject" }, valueOf: function () { return "Approve" } } }`,
    async (h) => {
      strictEqual((await h.engine.approveTx(txRequest())).approved, false);
      deepStrictEqual(h.ui.methods(), []);
    },
  );
});

Deno.test("approveSignData() has the same three outcomes", async () => {
  const rule = `function ApproveSignData(r) {
    if (r.address !== "0x694267f14675d7e1b9494fd8d72fefe1755710fa") return "Nope";
    return r.messages[0].value.indexOf("bazonk") >= 0 ? "Approve" : "Reject";
  }`;
  await withEngine(rule, async (h) => {
    deepStrictEqual(await h.engine.approveSignData(textRequest()), {
      approved: true,
    });
    deepStrictEqual(await h.engine.approveSignData(textRequest("hello")), {
      approved: false,
    });
    deepStrictEqual(h.ui.methods(), []);
    const other = { ...textRequest(), address: "0x01" };
    deepStrictEqual(await h.engine.approveSignData(other), { approved: true });
    deepStrictEqual(h.ui.methods(), ["approveSignData"]);
  });
});

Deno.test("approveListing() Approve returns all accounts, Reject null", async () => {
  await withEngine(
    `function ApproveListing(r) { return "Approve" }`,
    async (h) => {
      const req = listRequest();
      deepStrictEqual(await h.engine.approveListing(req), {
        accounts: req.accounts,
      });
    },
  );
  await withEngine(
    `function ApproveListing(r) { return "Reject" }`,
    async (h) => {
      deepStrictEqual(await h.engine.approveListing(listRequest()), {
        accounts: null,
      });
      deepStrictEqual(h.ui.methods(), []);
    },
  );
  await withEngine(`function ApproveListing(r) { return 1 }`, async (h) => {
    deepStrictEqual(await h.engine.approveListing(listRequest()), {
      accounts: [{ address: "0xui" }],
    });
  });
});

Deno.test("hooks receive the request JSON as one plain object", async () => {
  const rule = `function ApproveTx(r) {
    console.log(arguments.length, Object.getPrototypeOf(r) === Object.prototype, JSON.stringify(r));
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    const req = txRequest();
    await h.engine.approveTx(req);
    deepStrictEqual(h.js, [`JS:>  1 true ${JSON.stringify(req)}`]);
  });
});

Deno.test("approveNewAccount() and onInputRequired() never reach JS", async () => {
  const rule = `
    function ApproveNewAccount() { console.log("new"); return "Reject" }
    function OnInputRequired() { console.log("input"); return "Reject" }
    function ShowInfo() { console.log("info") }
    function ShowError() { console.log("error") }`;
  await withEngine(rule, async (h) => {
    const meta = listRequest().meta;
    deepStrictEqual(await h.engine.approveNewAccount({ meta }), {
      approved: true,
    });
    deepStrictEqual(
      await h.engine.onInputRequired({
        title: "Account password",
        prompt: "p",
        isPassword: true,
      }),
      { text: "from-ui" },
    );
    h.engine.showInfo("hello");
    h.engine.showError("oops");
    deepStrictEqual(h.ui.methods(), [
      "approveNewAccount",
      "onInputRequired",
      "showInfo",
      "showError",
    ]);
    deepStrictEqual(h.js, []);
    ok(h.log.includes("INFO hello"));
    ok(h.log.includes("ERROR oops"));
  });
});

Deno.test("onApprovedTx() runs JS only and resolves after its writes", async () => {
  const rule = `function OnApprovedTx(res) {
    console.log("signed", res.tx.value, res.raw);
    storage.put("last", res.tx.value);
  }`;
  await withEngine(rule, async (h) => {
    h.store.delayMs = 20;
    await h.engine.onApprovedTx(signedResult("0x5"));
    h.events.push("returned");
    deepStrictEqual(h.ui.methods(), []);
    deepStrictEqual(h.js, ["JS:>  signed 0x5 0xf86c03"]);
    deepStrictEqual(h.events, ["put:last=0x5", "returned"]);
  });
});

Deno.test("onSignerStartup() forwards first, then runs JS", async () => {
  const rule = `function OnSignerStartup(info) {
    console.log(info.info.extapi_ipc, info.info.intapi_version);
    return "Approve";
  }`;
  await withEngine(rule, async (h) => {
    const done = h.engine.onSignerStartup(STARTUP);
    deepStrictEqual(h.ui.methods(), ["onSignerStartup"]);
    deepStrictEqual(h.js, []);
    await done;
    deepStrictEqual(h.js, ["JS:>  /home/u/.clef/clef.ipc 7.0.1"]);
  });
});

Deno.test("notifications log hook failures and never reject", async () => {
  await withEngine(
    `function OnApprovedTx() { throw new Error("bad") }`,
    async (h) => {
      await h.engine.onApprovedTx(signedResult());
      await h.engine.onSignerStartup(STARTUP); // undefined hook
      ok(
        h.log.includes(
          `INFO error occurred during execution {"error":"Error: bad"}`,
        ),
      );
      ok(
        h.log.some((l) =>
          l.includes("ReferenceError: OnSignerStartup is not defined")
        ),
      );
    },
  );
});

// ---------------------------------------------------------- evaluation

Deno.test("RulesEngine gives every call fresh globals and reruns the file", async () => {
  const rule = `
    console.log("top level");
    var counter = (typeof counter === "number" ? counter : 0) + 1;
    function ApproveListing() {
      leaked = (typeof leaked === "number" ? leaked : 0) + 1;
      Array.prototype.polluted = true;
      console.log("counter", counter, "leaked", leaked, [].polluted);
      return "Reject";
    }
    if ([].polluted) throw new Error("prototype survived");`;
  await withEngine(rule, async (h) => {
    await h.engine.approveListing(listRequest());
    await h.engine.approveListing(listRequest());
    deepStrictEqual(h.js, [
      "JS:>  top level",
      "JS:>  counter 1 leaked 1 true",
      "JS:>  top level",
      "JS:>  counter 1 leaked 1 true",
    ]);
    deepStrictEqual(h.ui.methods(), []);
  });
});

Deno.test("console.log and console.error format lines as clef", async () => {
  const rule = `function ApproveListing() {
    console.log("a", 1);
    console.error({}, [1, 2], null, undefined, true);
    console.log();
    console.log(new BigNumber("0x10", 16));
    return console.log === console.error ? "Reject" : "x";
  }`;
  await withEngine(rule, async (h) => {
    deepStrictEqual(await h.engine.approveListing(listRequest()), {
      accounts: null,
    });
    deepStrictEqual(h.js, [
      "JS:>  a 1",
      "JS:>  [object Object] 1,2 null undefined true",
      "JS:> ",
      "JS:>  16",
    ]);
  });
});

Deno.test("console output is bounded per line and per call", async () => {
  const rule = `function ApproveListing() {
    var s = "x"; while (s.length < 100000) s += s;
    console.log(s);
    for (var i = 0; i < 100; i++) console.log(s);
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    await h.engine.approveListing(listRequest());
    ok(h.js[0].length <= 16 * 1024 + 1 && h.js[0].endsWith("…"));
    strictEqual(h.js.at(-1), "JS:>  (console output cut)");
    ok(h.js.join("").length < 300 * 1024);
  });
});

Deno.test("BigNumber is bignumber.js 2.x in every context", async () => {
  const rule = `function ApproveTx(r) {
    var v = new BigNumber(r.transaction.value.slice(2), 16);
    var limit = new BigNumber("1e18");
    console.log(v.toString(10), v.div(limit).toString(), BigNumber.another !== undefined);
    return v.lt(limit) ? "Approve" : "Reject";
  }`;
  await withEngine(rule, async (h) => {
    strictEqual((await h.engine.approveTx(txRequest())).approved, true);
    strictEqual(
      (await h.engine.approveTx(txRequest("0xde0b6b3a7640000"))).approved,
      false,
    );
    deepStrictEqual(h.js, [
      "JS:>  300000000000000000 0.3 true",
      "JS:>  1000000000000000000 1 true",
    ]);
  });
});

Deno.test("RulesEngine reproduces the rate-limit window (TestLimitWindow)", async () => {
  // go-ethereum signer/rules/rules_test.go TestLimitWindow, restated: sum
  // what OnApprovedTx recorded in the last week, approve below 1 ether.
  const rule = `
    function big(s) { return new BigNumber(s.slice(2), 16) }
    function ApproveTx(r) {
      var limit = new BigNumber("1e18"), windowMs = 7 * 24 * 3600 * 1000;
      var txs = JSON.parse(storage.get("txs") || "[]"), now = Date.now();
      var sum = new BigNumber(0);
      txs.forEach(function (t) { if (now - t.tstamp < windowMs) sum = sum.plus(new BigNumber(t.value)) });
      return sum.plus(big(r.transaction.value)).lt(limit) ? "Approve" : "Nope";
    }
    function OnApprovedTx(res) {
      var txs = JSON.parse(storage.get("txs") || "[]");
      txs.push({ tstamp: Date.now(), value: big(res.tx.value).toString(10) });
      storage.put("txs", JSON.stringify(txs));
    }`;
  await withEngine(rule, async (h) => {
    const third = "0x429d069189e0000"; // 0.3 ether
    for (let i = 0; i < 3; i++) {
      strictEqual((await h.engine.approveTx(txRequest(third))).approved, true);
      await h.engine.onApprovedTx(signedResult(third));
    }
    const fourth = await h.engine.approveTx(txRequest(third));
    strictEqual(fourth.transaction.nonce, "0x99"); // went to the UI
    deepStrictEqual(h.ui.methods(), ["approveTx"]);
    strictEqual(JSON.parse((await h.store.inner.get("txs"))!).length, 3);
  });
});

// --------------------------------------------------------------- storage

Deno.test("storage follows clef's semantics (TestStorage sequence)", async () => {
  const rule = `function ApproveListing() {
    storage.put("mykey", "myvalue");
    var a = storage.get("mykey");
    storage.put("mykey", ["a", "list"]);
    a += storage.get("mykey");
    storage.put("mykey", {"an": "object"});
    a += storage.get("mykey");
    storage.put("mykey", JSON.stringify({"an": "object"}));
    a += storage.get("mykey");
    a += storage.get("missingkey");
    storage.put("", "missing key");
    a += storage.get("");
    console.log(a, storage.put("k2", 5), typeof storage.get("nothing"));
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    await h.engine.approveListing(listRequest());
    deepStrictEqual(h.js, [
      'JS:>  myvaluea,list[object Object]{"an":"object"} null string',
    ]);
    strictEqual(await h.store.inner.get("mykey"), '{"an":"object"}');
    strictEqual(await h.store.inner.get("k2"), "5");
    deepStrictEqual(h.store.inner.keys().sort(), ["k2", "mykey"]);
  });
});

Deno.test("storage.put(k, '') deletes and storage.get returns '' for missing", async () => {
  const rule = `function ApproveListing() {
    console.log(JSON.stringify(storage.get("a")), JSON.stringify(storage.get("gone")));
    storage.put("a", "");
    console.log(JSON.stringify(storage.get("a")));
    storage.put("new", undefined);
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    await h.store.inner.put("a", "1");
    await h.engine.approveListing(listRequest());
    deepStrictEqual(h.js, ['JS:>  "1" ""', 'JS:>  ""']);
    strictEqual(await h.store.inner.get("a"), undefined);
    strictEqual(await h.store.inner.get("new"), "undefined");
    deepStrictEqual(h.events.filter((e) => !e.startsWith("ui:")), [
      "del:a",
      "put:new=undefined",
    ]);
  });
});

Deno.test("storage writes are durable before the approval resolves", async () => {
  const rule = `function ApproveSignData(r) {
    storage.put("one", "1"); storage.put("two", "2"); storage.put("one", "3");
    return "Approve";
  }`;
  await withEngine(rule, async (h) => {
    h.store.delayMs = 15;
    const res = await h.engine.approveSignData(textRequest());
    h.events.push("response");
    deepStrictEqual(res, { approved: true });
    deepStrictEqual(h.events, ["put:one=3", "put:two=2", "response"]);
  });
});

Deno.test("storage writes of a throwing call are kept, as in clef", async () => {
  const rule =
    `function ApproveListing() { storage.put("k", "v"); throw new Error("x") }`;
  await withEngine(rule, async (h) => {
    await h.engine.approveListing(listRequest());
    strictEqual(await h.store.inner.get("k"), "v");
    deepStrictEqual(h.ui.methods(), ["approveListing"]);
    deepStrictEqual(h.events.slice(0, 2), ["put:k=v", "ui:approveListing"]);
  });
});

Deno.test("storage values larger than the get buffer cross intact", async () => {
  const rule = `function ApproveListing() {
    var v = storage.get("big");
    console.log(v.length, v.slice(0, 3), v.charCodeAt(v.length - 1));
    storage.put("copy", v);
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    const big = "é€😀" + "x".repeat(200_000) + "\u{10ffff}";
    await h.store.inner.put("big", big);
    await h.engine.approveListing(listRequest());
    deepStrictEqual(h.js, [`JS:>  ${big.length} é€\ud83d ${0xdfff}`]);
    strictEqual(await h.store.inner.get("copy"), big);
  });
});

Deno.test("a failing store read fails the request with the store's error", async () => {
  const rule = `function ApproveListing() {
    try { storage.get("k") } catch (e) { console.log("caught", e instanceof Error) }
    return "Approve";
  }`;
  await withEngine(rule, async (h) => {
    h.store.failGet = new DamagedFileError("/v/jsstorage.json", "bad json");
    await rejects(h.engine.approveListing(listRequest()), DamagedFileError);
    deepStrictEqual(h.js, ["JS:>  caught true"]);
    deepStrictEqual(h.ui.methods(), []);
    h.store.failGet = undefined;
    deepStrictEqual(
      (await h.engine.approveListing(listRequest())).accounts?.length,
      2,
    );
  });
});

Deno.test("a failing store write fails the request with the store's error", async () => {
  await withEngine(
    `function ApproveTx() { storage.put("k", "v"); return "Approve" }`,
    async (h) => {
      h.store.failPut = new DamagedFileError("/v/jsstorage.json", "bad json");
      await rejects(h.engine.approveTx(txRequest()), DamagedFileError);
      ok(h.log.some((l) => l.startsWith("ERROR Rules storage write failed")));
    },
  );
});

Deno.test("rule calls are serialized: lastblock never approves a height twice", async () => {
  const rule = `function ApproveSignData(r) {
    var number = parseInt(r.messages[0].value.split(" ")[2]);
    var latest = storage.get("lastblock") || 0;
    if (number > latest) { storage.put("lastblock", number); return "Approve" }
    return "Reject";
  }`;
  await withEngine(rule, async (h) => {
    h.store.delayMs = 1; // let the event loop interleave store operations
    const heights = Array.from({ length: 50 }, (_, i) => (i * 7) % 10 + 1);
    const requests = heights.map((n) => {
      const r = textRequest();
      r.messages = [{
        name: "Clique header",
        value: `clique header ${n} [0x00]`,
        type: "clique",
      }];
      return r;
    });
    const results = await Promise.all(
      requests.map((r) => h.engine.approveSignData(r)),
    );
    const approved = heights.filter((_, i) => results[i].approved);
    strictEqual(new Set(approved).size, approved.length);
    // FIFO: the first call of each rising height wins (1, 8, 9, 10 here)
    deepStrictEqual(approved, [1, 8, 9, 10]);
    strictEqual(await h.store.inner.get("lastblock"), "10");
  });
});

// ------------------------------------------------ start-up, reload, close

Deno.test("init() fails fast on a file that does not compile or evaluate", async () => {
  const bad: [string, RegExp][] = [
    ["function ApproveTx( {", /does not compile: SyntaxError/],
    ["throw new Error('top')", /failed to evaluate: Error: top/],
    ["undefinedFunction()", /failed to evaluate: ReferenceError/],
    ["while (true) {}", /did not finish within 300ms/],
    ['import x from "./x.js"', /does not compile: SyntaxError/],
  ];
  for (const [source, re] of bad) {
    await withEngine(source, async (h) => {
      await rejects(h.engine.init(), (e: Error) => {
        ok(e instanceof RulesLoadError, source);
        ok(re.test(e.message), `${source}: ${e.message}`);
        return true;
      });
    }, { timeoutMs: 300 });
  }
});

Deno.test("init() accepts a good file without running hooks or keeping writes", async () => {
  const rule = `console.log("top"); storage.put("top", "1");
    function ApproveListing() { return "Approve" }`;
  await withEngine(rule, async (h) => {
    await h.engine.init();
    deepStrictEqual(h.js, []);
    strictEqual(await h.store.inner.get("top"), undefined);
    await h.engine.approveListing(listRequest());
    deepStrictEqual(h.js, ["JS:>  top"]);
    strictEqual(await h.store.inner.get("top"), "1");
  });
});

Deno.test("without init() a broken file approves nothing (clef)", async () => {
  await withEngine("function ApproveListing( {", async (h) => {
    deepStrictEqual(await h.engine.approveListing(listRequest()), {
      accounts: [{ address: "0xui" }],
    });
    ok(h.log.some((l) => l.startsWith("WARN Execution failed")));
  });
});

Deno.test("reload() swaps the rules; a bad file leaves the old ones", async () => {
  await withEngine(
    `function ApproveListing() { return "Reject" }`,
    async (h) => {
      await h.engine.init();
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts,
        null,
      );
      await rejects(
        h.engine.reload("function ApproveListing( {"),
        RulesLoadError,
      );
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts,
        null,
      );
      const pending = h.engine.approveListing(listRequest());
      await h.engine.reload(`function ApproveListing() { return "Approve" }`);
      strictEqual((await pending).accounts, null); // queued before the swap
      strictEqual(
        (await h.engine.approveListing(listRequest())).accounts?.length,
        2,
      );
    },
  );
});

Deno.test("close() makes later approvals fail and drops notifications", async () => {
  const { logger } = recordingLogger();
  const ui = new RecordingUi();
  const engine = new RulesEngine(
    `function ApproveTx() { return "Approve" }`,
    ui,
    {
      store: new TestStore(),
      timeoutMs: 1000,
      logger,
    },
  );
  await engine.init();
  engine.close();
  await rejects(engine.approveTx(txRequest()), /rules engine closed/);
  await engine.onApprovedTx(signedResult());
  deepStrictEqual(ui.methods(), []);
});

// ------------------------------------------------------------ rules/ files

const RULES_DIR = new URL("../../rules/", import.meta.url);

async function guideRule(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(name, RULES_DIR));
}

Deno.test("rules/list_only.js approves listing and only logs sign requests", async () => {
  const { cliqueRequest } = await import("./_testing.ts");
  await withEngine(await guideRule("list_only.js"), async (h) => {
    await h.engine.init();
    strictEqual(
      (await h.engine.approveListing(listRequest())).accounts?.length,
      2,
    );
    const req = cliqueRequest(2);
    deepStrictEqual(await h.engine.approveSignData(req), { approved: true });
    deepStrictEqual(h.ui.methods(), ["approveSignData"]);
    deepStrictEqual(h.js, [
      "JS:>  In Approve Sign data",
      `JS:>  ${JSON.stringify(req)}`,
    ]);
  });
});

Deno.test("rules/clique_only.js approves Clique headers only", async () => {
  const { cliqueRequest } = await import("./_testing.ts");
  await withEngine(await guideRule("clique_only.js"), async (h) => {
    await h.engine.init();
    await h.engine.onSignerStartup(STARTUP);
    strictEqual(
      (await h.engine.approveListing(listRequest())).accounts?.length,
      2,
    );
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(2)), {
      approved: true,
    });
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(2)), {
      approved: true,
    });
    deepStrictEqual(await h.engine.approveSignData(textRequest()), {
      approved: false,
    });
    const renamed = cliqueRequest(3);
    renamed.messages[0].type = "text/plain";
    deepStrictEqual(await h.engine.approveSignData(renamed), {
      approved: false,
    });
    const tx = await h.engine.approveTx(txRequest()); // no ApproveTx: to the UI
    strictEqual(tx.transaction.nonce, "0x99");
    deepStrictEqual(h.ui.methods(), ["onSignerStartup", "approveTx"]);
  });
});

Deno.test("rules/clique_lastblock.js signs each height once, across restarts", async () => {
  const { cliqueRequest } = await import("./_testing.ts");
  const source = await guideRule("clique_lastblock.js");
  const store = new TestStore();
  await withEngine(source, async (h) => {
    await h.engine.init();
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(44)), {
      approved: true,
    });
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(45)), {
      approved: true,
    });
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(45)), {
      approved: false,
    });
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(3)), {
      approved: false,
    });
    deepStrictEqual(await h.engine.approveSignData(textRequest()), {
      approved: false,
    });
    deepStrictEqual(h.js, [
      "JS:>  number 44 latest 0",
      "JS:>  number 45 latest 44",
      "JS:>  number 45 latest 45",
      "JS:>  number 3 latest 45",
    ]);
    deepStrictEqual(h.ui.methods(), []);
  }, { store });
  strictEqual(await store.inner.get("lastblock"), "45");
  await withEngine(source, async (h) => { // a restart keeps the height
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(45)), {
      approved: false,
    });
    deepStrictEqual(await h.engine.approveSignData(cliqueRequest(46)), {
      approved: true,
    });
  }, { store });
});

Deno.test("rules/README.md lists each rules file's sha256", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", RULES_DIR));
  for (
    const name of ["list_only.js", "clique_only.js", "clique_lastblock.js"]
  ) {
    const bytes = await Deno.readFile(new URL(name, RULES_DIR));
    const hex = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    ok(readme.includes(`| \`${name}\` | \`${hex}\` |`), name);
  }
});

Deno.test("a request waiting at the next UI does not hold up rule calls", async () => {
  const rule = `function ApproveSignData(r) {
    return r.messages[0].value.indexOf("manual") >= 0 ? "ask" : "Approve";
  }`;
  await withEngine(rule, async (h) => {
    let answer!: (v: { approved: boolean }) => void;
    h.ui.approveSignData = (arg) => {
      h.ui.calls.push({ method: "approveSignData", arg });
      return new Promise((resolve) => answer = resolve);
    };
    const manual = h.engine.approveSignData(textRequest("manual"));
    // the rule runs in a Worker: wait until it handed the request on
    for (let i = 0; i < 3000 && h.ui.methods().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    deepStrictEqual(h.ui.methods(), ["approveSignData"]); // waiting for a person
    deepStrictEqual(await h.engine.approveSignData(textRequest("auto")), {
      approved: true,
    });
    answer({ approved: false });
    deepStrictEqual(await manual, { approved: false });
  });
});

Deno.test("RulesEngine keeps rule storage in an encrypted jsstorage.json", async () => {
  const { AesGcmStore } = await import("../vault/aes_gcm_store.ts");
  const { fsStoreFile } = await import("../cli/fs_vault.ts");
  const { cliqueRequest } = await import("./_testing.ts");
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/jsstorage.json`;
    const key = new Uint8Array(32).fill(7);
    const source = await guideRule("clique_lastblock.js");
    await withEngine(source, async (h) => {
      deepStrictEqual(await h.engine.approveSignData(cliqueRequest(7)), {
        approved: true,
      });
      // durable before the response: the file already holds the new height
      const reopened = new AesGcmStore(fsStoreFile(path), key);
      strictEqual(await reopened.get("lastblock"), "7");
      deepStrictEqual(await h.engine.approveSignData(cliqueRequest(7)), {
        approved: false,
      });
    }, { store: new AesGcmStore(fsStoreFile(path), key) });
    const file = JSON.parse(await Deno.readTextFile(path));
    deepStrictEqual(Object.keys(file), ["lastblock"]);
    deepStrictEqual(Object.keys(file.lastblock), ["iv", "c"]);
    ok(!(await Deno.readTextFile(path)).includes('"7"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
