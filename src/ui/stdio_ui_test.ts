import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { StaveError } from "../errors.ts";
import { JsonNumber, type JsonValue } from "../json.ts";
import { UiUnavailableError, withApprovalTimeout } from "./guarded_ui.ts";
import {
  MAX_QUEUED_UI_CALLS,
  methodNotFoundError,
  StdioUi,
} from "./stdio_ui.ts";
import { internalMetadata, type SignTxRequest } from "./ui.ts";

/** Parses test JSON the way the daemon's parser would: numbers keep literals. */
function parse(text: string): JsonValue {
  const convert = (v: unknown): JsonValue => {
    if (typeof v === "number") return new JsonNumber(String(v));
    if (Array.isArray(v)) return v.map(convert);
    if (v !== null && typeof v === "object") {
      const o: { [k: string]: JsonValue } = Object.create(null);
      for (const [k, x] of Object.entries(v)) o[k] = convert(x);
      return o;
    }
    return v as JsonValue;
  };
  return convert(JSON.parse(text));
}

function setup(opts: ConstructorParameters<typeof StdioUi>[1] = {}) {
  const lines: string[] = [];
  const logs: string[] = [];
  const ui = new StdioUi({ write: (l) => void lines.push(l) }, {
    logger: {
      info: (m) => void logs.push("info " + m),
      warn: (m) => void logs.push("warn " + m),
      error: (m) => void logs.push("error " + m),
    },
    ...opts,
  });
  const reply = (text: string) => ui.handleIncoming(parse(text));
  return { ui, lines, logs, reply };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/**
 * True when `p` settles before a 0 ms timer fires: it needed no timer and
 * no I/O, only promise jobs (which all run before the next timer).
 */
async function settlesBeforeTimers(p: Promise<unknown>): Promise<boolean> {
  let timerFired = false;
  const timer = tick().then(() => timerFired = true);
  await p.catch(() => {});
  const settledFirst = !timerFired;
  await timer;
  return settledFirst;
}
const META = internalMetadata();

function txRequest(): SignTxRequest {
  return {
    transaction: {
      from: "0xDEADbEeF000000000000000000000000DeaDbeEf",
      to: null,
      gas: "0x3e8",
      gasPrice: "0x5",
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value: "0x6",
      nonce: "0x1",
      data: "0x01020304",
    },
    call_info: null,
    meta: META,
  };
}

Deno.test("StdioUi.approveTx() sends one JSON-RPC line and decodes the edited tx", async () => {
  const { ui, lines, reply } = setup();
  const p = ui.approveTx(txRequest());
  strictEqual(
    lines[0],
    '{"jsonrpc":"2.0","id":1,"method":"ui_approveTx","params":[{"transaction":' +
      '{"from":"0xDEADbEeF000000000000000000000000DeaDbeEf","to":null,"gas":"0x3e8",' +
      '"gasPrice":"0x5","maxFeePerGas":null,"maxPriorityFeePerGas":null,' +
      '"value":"0x6","nonce":"0x1","data":"0x01020304"},"call_info":null,' +
      '"meta":{"remote":"NA","local":"NA","scheme":"NA","User-Agent":"","Origin":""}}]}\n',
  );
  reply(
    '{"jsonrpc":"2.0","id":1,"result":{"transaction":{"from":"0x1111111111111111111111111111111111111111","value":"0x7"},"approved":true}}',
  );
  const res = await p;
  strictEqual(res.approved, true);
  deepStrictEqual({ ...res.transaction }, {
    from: "0x1111111111111111111111111111111111111111",
    value: "0x7",
  });
});

Deno.test("StdioUi numbers every message, notifications included", async () => {
  const { ui, lines, reply } = setup();
  ui.showInfo("hi <b>");
  const p1 = ui.approveListing({ accounts: [], meta: META });
  ui.onSignerStartup({ info: { extapi_http: "n/a" } });
  ui.showError("bad");
  const p2 = ui.onInputRequired({ title: "T", prompt: "P", isPassword: true });
  ui.onApprovedTx({ raw: "0x01", tx: { type: "0x0" } });
  strictEqual(
    lines[0],
    '{"jsonrpc":"2.0","method":"ui_showInfo","params":[{"text":"hi \\u003cb\\u003e"}]}\n',
  );
  strictEqual(JSON.parse(lines[1]).id, 2);
  strictEqual(
    lines[2],
    '{"jsonrpc":"2.0","method":"ui_onSignerStartup","params":[{"info":{"extapi_http":"n/a"}}]}\n',
  );
  strictEqual(
    lines[3],
    '{"jsonrpc":"2.0","method":"ui_showError","params":[{"text":"bad"}]}\n',
  );
  strictEqual(
    lines[4],
    '{"jsonrpc":"2.0","id":5,"method":"ui_onInputRequired","params":[{"title":"T","prompt":"P","isPassword":true}]}\n',
  );
  strictEqual(
    lines[5],
    '{"jsonrpc":"2.0","method":"ui_onApprovedTx","params":[{"raw":"0x01","tx":{"type":"0x0"}}]}\n',
  );
  reply('{"jsonrpc":"2.0","id":5,"result":{"text":"pw"}}');
  reply('{"jsonrpc":"2.0","id":2,"result":{"accounts":[]}}');
  deepStrictEqual(await p2, { text: "pw" });
  deepStrictEqual(await p1, { accounts: [] });
});

Deno.test("StdioUi matches responses by id in any order", async () => {
  const { ui, reply } = setup();
  const a = ui.approveSignData({} as never);
  const b = ui.approveNewAccount({ meta: META });
  const c = ui.onInputRequired({ title: "t", prompt: "p", isPassword: false });
  reply('{"jsonrpc":"2.0","id":3,"result":{"text":"third"}}');
  reply('{"jsonrpc":"2.0","id":1,"result":{"approved":true}}');
  reply('{"jsonrpc":"2.0","id":2,"result":{"approved":false}}');
  deepStrictEqual(await Promise.all([a, b, c]), [
    { approved: true },
    { approved: false },
    { text: "third" },
  ]);
});

Deno.test("StdioUi ignores replies with unknown or differently spelled ids", async () => {
  const { ui, lines, logs, reply } = setup();
  const p = ui.approveNewAccount({ meta: META });
  reply('{"jsonrpc":"2.0","id":9,"result":{"approved":true}}');
  reply('{"jsonrpc":"2.0","id":"1","result":{"approved":true}}');
  ui.handleIncoming(
    parse('{"jsonrpc":"2.0","id":0,"result":{"approved":true}}'),
  );
  ui.handleIncoming({
    jsonrpc: "2.0",
    id: new JsonNumber("1.0"),
    result: { approved: true },
  });
  // not a response: wrong version
  reply('{"jsonrpc":"1.0","id":1,"result":{"approved":true}}');
  await tick();
  strictEqual(logs.filter((l) => l.includes("unknown id")).length, 4);
  strictEqual(
    lines.at(-1),
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"invalid request"}}\n',
  );
  reply('{"JSONRPC":"2.0","ID":1,"Result":{"approved":true}}');
  deepStrictEqual(await p, { approved: true });
});

Deno.test("StdioUi relays the UI's error code, message and data", async () => {
  const { ui, reply } = setup();
  const p = ui.approveTx(txRequest());
  reply(
    '{"jsonrpc":"2.0","id":1,"error":{"code":-1234,"message":"nope","data":{"why":[1,"x"]}}}',
  );
  await rejects(p, (e: unknown) => {
    ok(e instanceof StaveError);
    strictEqual(e.code, -1234);
    strictEqual(e.message, "nope");
    deepStrictEqual(JSON.parse(JSON.stringify(e.data)), { why: [1, "x"] });
    return true;
  });
  const q = ui.onInputRequired({ title: "t", prompt: "p", isPassword: true });
  reply('{"jsonrpc":"2.0","id":2,"error":{"code":7}}');
  await rejects(q, { message: "json-rpc error 7", code: 7 });
});

Deno.test("StdioUi decodes result null as the zero response", async () => {
  const { ui, reply } = setup();
  const a = ui.approveTx(txRequest());
  const b = ui.approveSignData({} as never);
  const c = ui.approveListing({ accounts: [], meta: META });
  const d = ui.approveNewAccount({ meta: META });
  const e = ui.onInputRequired({ title: "t", prompt: "p", isPassword: true });
  for (let id = 1; id <= 5; id++) {
    reply(`{"jsonrpc":"2.0","id":${id},"result":null}`);
  }
  deepStrictEqual(await a, { transaction: {}, approved: false });
  deepStrictEqual(await b, { approved: false });
  deepStrictEqual(await c, { accounts: null });
  deepStrictEqual(await d, { approved: false });
  deepStrictEqual(await e, { text: "" });
});

Deno.test("StdioUi decodes results with case-insensitive keys", async () => {
  const { ui, reply } = setup();
  const a = ui.approveSignData({} as never);
  const b = ui.approveListing({ accounts: [], meta: META });
  const c = ui.onInputRequired({ title: "t", prompt: "p", isPassword: true });
  const d = ui.approveNewAccount({ meta: META });
  reply('{"jsonrpc":"2.0","id":1,"result":{"APPROVED":true,"extra":1}}');
  reply(
    '{"jsonrpc":"2.0","id":2,"result":{"Accounts":[{"Address":"0xDEADbEeF000000000000000000000000DeaDbeEf","URL":"keystore:///x"},{"address":"0x0000000000000000000000000000000000000001"}]}}',
  );
  reply('{"jsonrpc":"2.0","id":3,"result":{"Text":"pw"}}');
  // the last matching key wins, as in Go
  reply('{"jsonrpc":"2.0","id":4,"result":{"approved":true,"Approved":false}}');
  deepStrictEqual(await a, { approved: true });
  deepStrictEqual(await b, {
    accounts: [
      {
        address: "0xdeadbeef000000000000000000000000deadbeef",
        url: "keystore:///x",
      },
      { address: "0x0000000000000000000000000000000000000001" },
    ],
  });
  deepStrictEqual(await c, { text: "pw" });
  deepStrictEqual(await d, { approved: false });
});

Deno.test("StdioUi treats a result of the wrong type as a decode error", async () => {
  const { ui, reply } = setup();
  const a = ui.onInputRequired({ title: "t", prompt: "p", isPassword: true });
  const b = ui.approveSignData({} as never);
  const c = ui.approveListing({ accounts: [], meta: META });
  const d = ui.approveListing({ accounts: [], meta: META });
  const e = ui.approveTx(txRequest());
  reply('{"jsonrpc":"2.0","id":1,"result":"pw"}');
  reply('{"jsonrpc":"2.0","id":2,"result":{"approved":"true"}}');
  reply(
    '{"jsonrpc":"2.0","id":3,"result":{"accounts":[{"address":"0xdeadbeef000000000000000000000000deadbeef","url":"/no/scheme"}]}}',
  );
  reply(
    '{"jsonrpc":"2.0","id":4,"result":{"accounts":[{"address":"deadbeef000000000000000000000000deadbeef"}]}}',
  );
  reply(
    '{"jsonrpc":"2.0","id":5,"result":{"transaction":"0x","approved":true}}',
  );
  await rejects(a, {
    message:
      "json: cannot unmarshal string into Go value of type core.UserInputResponse",
  });
  await rejects(b, {
    message:
      "json: cannot unmarshal string into Go struct field SignDataResponse.approved of type bool",
  });
  await rejects(c, { message: "protocol scheme missing" });
  await rejects(d, {
    message:
      "json: cannot unmarshal hex string without 0x prefix into Go struct field ListResponse.accounts.address of type common.Address",
  });
  await rejects(e, StaveError);
});

Deno.test("StdioUi.close() denies pending and later requests at once", async () => {
  const { ui, lines, logs } = setup();
  const req = txRequest();
  const a = ui.approveTx(req);
  const b = ui.onInputRequired({ title: "t", prompt: "p", isPassword: true });
  ui.close();
  const all = Promise.all([
    a,
    b.then(() => "answered", (e) => e),
    ui.approveListing({ accounts: [], meta: META }),
    ui.approveNewAccount({ meta: META }),
    ui.approveSignData({} as never),
    ui.onInputRequired({ title: "t", prompt: "p", isPassword: true })
      .then(() => "answered", (e) => e),
  ]);
  // "At once" without a clock: everything settles before any timer can
  // fire (nothing waits for a reply or a timeout), however loaded the
  // machine is.
  strictEqual(await settlesBeforeTimers(all), true);
  const [ra, rb, listing, newAccount, signData, input] = await all;
  deepStrictEqual(ra, { transaction: req.transaction, approved: false });
  ok(rb instanceof UiUnavailableError, String(rb));
  deepStrictEqual(listing, { accounts: null });
  deepStrictEqual(newAccount, { approved: false });
  deepStrictEqual(signData, { approved: false });
  ok(input instanceof UiUnavailableError, String(input));
  strictEqual(lines.length, 2); // nothing sent after close
  ok(logs.some((l) => l.startsWith("warn UI closed its input")));
  strictEqual(
    logs.filter((l) => l.startsWith("warn UI unavailable")).length,
    6,
  );
  strictEqual(ui.closed, true);
});

Deno.test("StdioUi denies a request it cannot write", async () => {
  const ui = new StdioUi({
    write: () => {
      throw new Error("broken pipe");
    },
  });
  deepStrictEqual(await ui.approveNewAccount({ meta: META }), {
    approved: false,
  });
  ui.showInfo("dropped, not thrown");
});

Deno.test("withApprovalTimeout() around StdioUi denies and ignores the late reply", async () => {
  const { ui, logs, reply } = setup();
  const guarded = withApprovalTimeout(ui, 10, {
    info: () => {},
    warn: (m) => void logs.push("warn " + m),
    error: () => {},
  });
  const res = await guarded.approveSignData({} as never);
  deepStrictEqual(res, { approved: false });
  ok(logs.includes("warn Approval timed out, request denied"));
  reply('{"jsonrpc":"2.0","id":1,"result":{"approved":true}}');
  await tick();
  ok(logs.some((l) => l.includes("unknown id")));
});

Deno.test("StdioUi serves clef_* calls through the handler", async () => {
  const calls: [string, unknown][] = [];
  const { ui, lines, reply } = setup();
  ui.serveInternalApi((method, params) => {
    calls.push([method, params]);
    switch (method) {
      case "clef_chainId":
        return Promise.resolve("0x1");
      case "clef_openWallet":
        return Promise.resolve(undefined);
      case "clef_export":
        return Promise.reject(new StaveError("unknown account"));
      case "clef_setChainId":
        return Promise.reject(new TypeError("invalid argument 0"));
      case "clef_listWallets":
        return Promise.reject(new Error("secret detail"));
      default:
        return Promise.reject(methodNotFoundError(method));
    }
  });
  reply('{"jsonrpc":"2.0","id":7,"method":"clef_chainId"}');
  reply('{"jsonrpc":"2.0","id":"a","method":"clef_openWallet","params":["x"]}');
  // ids are echoed verbatim, literal spelling included
  ui.handleIncoming({
    jsonrpc: "2.0",
    id: new JsonNumber("1.50"),
    method: "clef_export",
    params: ["0x00"],
  });
  reply('{"jsonrpc":"2.0","id":8,"method":"clef_setChainId","params":[{}]}');
  reply('{"jsonrpc":"2.0","id":9,"method":"clef_listWallets"}');
  reply('{"jsonrpc":"2.0","id":10,"method":"clef_nope"}');
  reply('{"jsonrpc":"2.0","id":11,"method":"ui_approveTx","params":[]}');
  reply('{"jsonrpc":"2.0","method":"clef_chainId"}'); // notification: no reply
  await tick();
  deepStrictEqual(
    lines.sort(),
    [
      '{"jsonrpc":"2.0","id":"a","result":null}\n',
      '{"jsonrpc":"2.0","id":1.5,"error":{"code":-32000,"message":"unknown account"}}\n'
        .replace("1.5", "1.50"),
      '{"jsonrpc":"2.0","id":10,"error":{"code":-32601,"message":"the method clef_nope does not exist/is not available"}}\n',
      '{"jsonrpc":"2.0","id":11,"error":{"code":-32601,"message":"the method ui_approveTx does not exist/is not available"}}\n',
      '{"jsonrpc":"2.0","id":7,"result":"0x1"}\n',
      '{"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"invalid argument 0"}}\n',
      '{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"internal error"}}\n',
    ].sort(),
  );
  strictEqual(calls.length, 7);
  deepStrictEqual(calls[1][0], "clef_openWallet");
  deepStrictEqual(calls[1][1], ["x"]);
});

Deno.test("StdioUi queues clef_* calls until the internal API is served", async () => {
  const { ui, lines, reply } = setup();
  reply('{"jsonrpc":"2.0","id":1,"method":"clef_chainId"}');
  await tick();
  strictEqual(lines.length, 0);
  ui.serveInternalApi(() => Promise.resolve("0x5"));
  await tick();
  deepStrictEqual(lines, ['{"jsonrpc":"2.0","id":1,"result":"0x5"}\n']);
  strictEqual(MAX_QUEUED_UI_CALLS > 0, true);
});

Deno.test("StdioUi answers batches and rejects invalid messages", async () => {
  const { ui, lines, reply } = setup();
  ui.serveInternalApi((m) => Promise.resolve(m));
  const p = ui.approveNewAccount({ meta: META });
  reply(
    '[{"jsonrpc":"2.0","id":1,"result":{"approved":true}},{"jsonrpc":"2.0","id":2,"method":"clef_a"},{"jsonrpc":"2.0","id":3,"method":"clef_b"}]',
  );
  deepStrictEqual(await p, { approved: true });
  await tick();
  strictEqual(
    lines.at(-1),
    '[{"jsonrpc":"2.0","id":2,"result":"clef_a"},{"jsonrpc":"2.0","id":3,"result":"clef_b"}]\n',
  );
  reply("[]");
  reply('"hello"');
  await tick();
  deepStrictEqual(lines.slice(-2), [
    '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"empty batch"}}\n',
    '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}\n',
  ]);
});

Deno.test("StdioUi denies a request whose asynchronous write fails", async () => {
  const ui = new StdioUi({ write: () => Promise.reject(new Error("EPIPE")) });
  deepStrictEqual(await ui.approveListing({ accounts: [], meta: META }), {
    accounts: null,
  });
  await rejects(
    ui.onInputRequired({ title: "t", prompt: "p", isPassword: true }),
    UiUnavailableError,
  );
});

Deno.test("StdioUi still answers clef_* calls received before close()", async () => {
  const { ui, lines, reply } = setup();
  reply('{"jsonrpc":"2.0","id":1,"method":"clef_chainId"}');
  ui.close();
  ui.serveInternalApi(() => Promise.resolve("0x1"));
  await tick();
  deepStrictEqual(lines, ['{"jsonrpc":"2.0","id":1,"result":"0x1"}\n']);
});
