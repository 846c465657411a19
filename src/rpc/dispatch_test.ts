import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { StaveError, UnknownAccountError } from "../errors.ts";
import {
  type JsonNumber,
  type JsonValue,
  parseJson,
  quoteJsonString,
} from "../json.ts";
import type { Metadata } from "../ui/ui.ts";
import {
  BATCH_ITEM_LIMIT,
  BATCH_RESPONSE_MAX_SIZE,
  type CallContext,
  InvalidArgumentError,
  type RpcLogger,
  RpcServer,
  type TransportContext,
} from "./dispatch.ts";

const meta: Metadata = {
  remote: "NA",
  local: "NA",
  scheme: "ipc",
  "User-Agent": "",
  Origin: "",
};
const IPC: TransportContext = { transport: "ipc", meta };
const HTTP: TransportContext = {
  transport: "http",
  meta: { ...meta, scheme: "HTTP/1.1" },
};

function hexArg(v: JsonValue): string {
  if (typeof v !== "string") {
    throw new TypeError(
      "json: cannot unmarshal non-string into Go value of type hexutil.Bytes",
    );
  }
  if (!v.startsWith("0x")) {
    throw new TypeError(
      "json: cannot unmarshal hex string without 0x prefix into Go value of type hexutil.Bytes",
    );
  }
  return v;
}

interface Fixture {
  rpc: RpcServer;
  calls: string[];
  crashes: unknown[];
  served: [string, string, string | undefined][];
}

function fixture(): Fixture {
  const calls: string[] = [];
  const crashes: unknown[] = [];
  const served: [string, string, string | undefined][] = [];
  const logger: RpcLogger = {
    crashed: (_m, e) => crashes.push(e),
    served: (m, id, _d, err) => served.push([m, id, err?.message]),
  };
  const rpc = new RpcServer({ logger });
  rpc.register("account_list", {
    handler: () => {
      calls.push("list");
      return ["0x0000000000000000000000000000000000000001"];
    },
  });
  rpc.register("account_echo", {
    params: [{ decode: hexArg }, { optional: true }],
    handler: (args) => {
      calls.push("echo");
      return args;
    },
  });
  rpc.register("account_two", {
    params: [{ decode: hexArg }, { decode: hexArg }],
    handler: (args) => args.length,
  });
  rpc.register("account_denied", {
    handler: () => {
      throw new StaveError("request denied");
    },
  });
  rpc.register("account_unknown", {
    handler: () => {
      throw new UnknownAccountError();
    },
  });
  rpc.register("account_uierr", {
    handler: () => {
      throw new StaveError("ui says no", { code: -32099, data: { why: 1 } });
    },
  });
  rpc.register("account_crash", {
    handler: () => {
      throw new Error("secret password123 leaked?");
    },
  });
  rpc.register("account_badarg", {
    params: [{}],
    handler: () => {
      throw new InvalidArgumentError(0, "wrong type <nil>");
    },
  });
  rpc.register("account_inf", { handler: () => Infinity });
  rpc.register("account_void", { handler: () => undefined });
  rpc.register("account_meta", {
    handler: (_a, ctx: CallContext) => ({
      t: ctx.transport,
      m: ctx.meta.scheme,
    }),
  });
  rpc.register("account_num", {
    params: [{}],
    handler: (args) => (args[0] as JsonNumber).literal,
  });
  return { rpc, calls, crashes, served };
}

async function expect(
  f: Fixture,
  request: string,
  response: string | undefined,
  t: TransportContext = IPC,
) {
  strictEqual(await f.rpc.handle(request, t), response, request);
}

const err = (id: string, code: number, message: string) =>
  `{"jsonrpc":"2.0","id":${id},"error":{"code":${code},"message":${
    quoteJsonString(message)
  }}}`;

Deno.test("RpcServer.handle() answers a call with the result", async () => {
  const f = fixture();
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_list"}',
    '{"jsonrpc":"2.0","id":1,"result":["0x0000000000000000000000000000000000000001"]}',
  );
  await expect(
    f,
    '{"method":"account_void","id":2,"jsonrpc":"2.0"}',
    '{"jsonrpc":"2.0","id":2,"result":null}',
  );
});

Deno.test("RpcServer.handle() echoes the id byte for byte", async () => {
  const f = fixture();
  for (
    const id of [
      "1.0",
      "1e3",
      '"abc"',
      '"\\u0041<&>"',
      "-0",
      "null",
      "true",
      "123456789012345678901234567890",
      "1e400",
    ]
  ) {
    await expect(
      f,
      `{"jsonrpc":"2.0","id":${id},"method":"account_void"}`,
      `{"jsonrpc":"2.0","id":${id},"result":null}`,
    );
  }
  // Whitespace around the id is not part of it.
  await expect(
    f,
    '{"jsonrpc":"2.0","id" :  7 ,"method":"account_void"}',
    '{"jsonrpc":"2.0","id":7,"result":null}',
  );
});

Deno.test("RpcServer.handle() executes notifications without answering", async () => {
  const f = fixture();
  await expect(f, '{"jsonrpc":"2.0","method":"account_list"}', undefined);
  deepStrictEqual(f.calls, ["list"]);
  // Even a failing notification is silent.
  await expect(f, '{"jsonrpc":"2.0","method":"account_nope"}', undefined);
  await expect(
    f,
    '{"jsonrpc":"2.0","method":"account_echo","params":{}}',
    undefined,
  );
});

Deno.test("RpcServer.handle() rejects invalid requests", async () => {
  const f = fixture();
  const cases: [string, string][] = [
    ['{"id":1,"method":"account_list"}', err("1", -32600, "invalid request")],
    [
      '{"jsonrpc":"1.0","id":"x","method":"account_list"}',
      err('"x"', -32600, "invalid request"),
    ],
    [
      '{"jsonrpc":2.0,"id":1,"method":"account_list"}',
      err("1", -32600, "invalid request"),
    ],
    ['{"jsonrpc":"2.0","id":1}', err("1", -32600, "invalid request")],
    [
      '{"jsonrpc":"2.0","id":1,"method":""}',
      err("1", -32600, "invalid request"),
    ],
    [
      '{"jsonrpc":"2.0","id":1,"method":5}',
      err("1", -32600, "invalid request"),
    ],
    [
      '{"jsonrpc":"2.0","id":{"a":1},"method":"account_list"}',
      err("null", -32600, "invalid request"),
    ],
    [
      '{"jsonrpc":"2.0","id":[1],"method":"account_list"}',
      err("null", -32600, "invalid request"),
    ],
    ['{"jsonrpc":"2.0"}', err("null", -32600, "invalid request")],
    ["1", err("null", -32600, "invalid request")],
    ["null", err("null", -32600, "invalid request")],
    ['"account_list"', err("null", -32600, "invalid request")],
    ["{}", err("null", -32600, "invalid request")],
  ];
  for (const [req, res] of cases) await expect(f, req, res);
  deepStrictEqual(f.calls, []);
});

Deno.test("RpcServer.handle() matches member names like Go", async () => {
  const f = fixture();
  // Case-insensitive keys; a repeated key keeps the later value.
  await expect(
    f,
    '{"JSONRPC":"2.0","ID":5,"Method":"account_void"}',
    '{"jsonrpc":"2.0","id":5,"result":null}',
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"id":2,"method":"account_x","method":"account_void"}',
    '{"jsonrpc":"2.0","id":2,"result":null}',
  );
  // A non-string later value is skipped, keeping the earlier string.
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_void","method":null}',
    '{"jsonrpc":"2.0","id":1,"result":null}',
  );
  // Escaped keys and values decode first.
  await expect(
    f,
    '{"jsonrpc":"\\u0032.0","\\u0069d":3,"method":"account_void"}',
    '{"jsonrpc":"2.0","id":3,"result":null}',
  );
});

Deno.test("RpcServer.handle() drops responses and subscription notifications", async () => {
  const f = fixture();
  await expect(f, '{"jsonrpc":"2.0","id":1,"result":true}', undefined);
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}',
    undefined,
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","method":"account_subscription","params":{}}',
    undefined,
  );
  // A "response" with params is not a response: invalid request.
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"result":true,"params":[]}',
    err("1", -32600, "invalid request"),
  );
});

Deno.test("RpcServer.handle() limits method names to 2048 bytes", async () => {
  const f = fixture();
  const long = "account_" + "x".repeat(2041);
  await expect(
    f,
    `{"jsonrpc":"2.0","id":1,"method":"${long}"}`,
    err("1", -32600, "method name too long: 2049 > 2048"),
  );
  const ok2048 = "account_" + "é".repeat(1020);
  await expect(
    f,
    `{"jsonrpc":"2.0","id":1,"method":"${ok2048}"}`,
    err(
      "1",
      -32601,
      `the method ${ok2048} does not exist/is not available`,
    ),
  );
});

Deno.test("RpcServer.handle() reports unknown methods", async () => {
  const f = fixture();
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_nope"}',
    err("1", -32601, "the method account_nope does not exist/is not available"),
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"eth_<b>"}',
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method eth_\\u003cb\\u003e does not exist/is not available"}}',
  );
});

Deno.test("RpcServer.handle() decodes positional arguments as geth", async () => {
  const f = fixture();
  const call = (params: string) =>
    `{"jsonrpc":"2.0","id":1,"method":"account_echo"${params}}`;
  await expect(
    f,
    call(',"params":["0x1"]'),
    '{"jsonrpc":"2.0","id":1,"result":["0x1",null]}',
  );
  await expect(
    f,
    call(',"params":["0x1",{"a":1}]'),
    '{"jsonrpc":"2.0","id":1,"result":["0x1",{"a":1}]}',
  );
  await expect(
    f,
    call(',"params":{"a":1}'),
    err("1", -32602, "non-array args"),
  );
  await expect(f, call(',"params":"0x1"'), err("1", -32602, "non-array args"));
  await expect(f, call(',"params":5'), err("1", -32602, "non-array args"));
  await expect(
    f,
    call(""),
    err("1", -32602, "missing value for required argument 0"),
  );
  await expect(
    f,
    call(',"params":null'),
    err("1", -32602, "missing value for required argument 0"),
  );
  await expect(
    f,
    call(',"params":[]'),
    err("1", -32602, "missing value for required argument 0"),
  );
  await expect(
    f,
    call(',"params":["0x1",2,3]'),
    err("1", -32602, "too many arguments, want at most 2"),
  );
  await expect(
    f,
    call(',"params":[null]'),
    err(
      "1",
      -32602,
      "invalid argument 0: json: cannot unmarshal non-string into Go value of type hexutil.Bytes",
    ),
  );
  await expect(
    f,
    call(',"params":["1"]'),
    err(
      "1",
      -32602,
      "invalid argument 0: json: cannot unmarshal hex string without 0x prefix into Go value of type hexutil.Bytes",
    ),
  );
  // Arguments are decoded in order: a bad first argument wins over "too many".
  await expect(
    f,
    call(',"params":[1,2,3]'),
    err(
      "1",
      -32602,
      "invalid argument 0: json: cannot unmarshal non-string into Go value of type hexutil.Bytes",
    ),
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_two","params":["0x1"]}',
    err("1", -32602, "missing value for required argument 1"),
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_two","params":["0x1",true]}',
    err(
      "1",
      -32602,
      "invalid argument 1: json: cannot unmarshal non-string into Go value of type hexutil.Bytes",
    ),
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_list","params":[1]}',
    err("1", -32602, "too many arguments, want at most 0"),
  );
  // Number literals reach handlers intact, even when they overflow a double.
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_num","params":[1e400]}',
    '{"jsonrpc":"2.0","id":1,"result":"1e400"}',
  );
});

Deno.test("RpcServer.handle() maps handler errors", async () => {
  const f = fixture();
  const call = (m: string) => `{"jsonrpc":"2.0","id":1,"method":"${m}"}`;
  await expect(f, call("account_denied"), err("1", -32000, "request denied"));
  await expect(f, call("account_unknown"), err("1", -32000, "unknown account"));
  await expect(
    f,
    call("account_uierr"),
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32099,"message":"ui says no","data":{"why":1}}}',
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_badarg","params":[null]}',
    err("1", -32602, "invalid argument 0: wrong type <nil>"),
  );
  // An unexpected exception never reaches the client; the logger gets it.
  const res = await f.rpc.handle(call("account_crash"), IPC);
  strictEqual(res, err("1", -32603, "method handler crashed"));
  ok(!res!.includes("secret"));
  strictEqual((f.crashes[0] as Error).message, "secret password123 leaked?");
  await expect(
    f,
    call("account_inf"),
    err("1", -32603, "json: unsupported value: +Inf"),
  );
  // Failed calls are reported to the logger like geth's WARN "Served".
  deepStrictEqual(f.served.find((s) => s[0] === "account_denied"), [
    "account_denied",
    "1",
    "request denied",
  ]);
});

Deno.test("RpcServer.handle() gives handlers the transport and metadata", async () => {
  const f = fixture();
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"account_meta"}',
    '{"jsonrpc":"2.0","id":1,"result":{"t":"http","m":"HTTP/1.1"}}',
    HTTP,
  );
});

Deno.test("RpcServer.handle() answers rpc_modules", async () => {
  const f = fixture();
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"rpc_modules"}',
    '{"jsonrpc":"2.0","id":1,"result":{"account":"1.0","rpc":"1.0"}}',
  );
  await expect(
    f,
    '{"jsonrpc":"2.0","id":1,"method":"rpc_modules"}',
    '{"jsonrpc":"2.0","id":1,"result":{"account":"1.0","rpc":"1.0"}}',
    HTTP,
  );
});

Deno.test("RpcServer.handle() answers *_subscribe and *_unsubscribe", async () => {
  const f = fixture();
  const call = (m: string, p = "") =>
    `{"jsonrpc":"2.0","id":1,"method":"${m}"${p}}`;
  await expect(
    f,
    call("account_subscribe", ',"params":["newHeads"]'),
    err("1", -32601, "notifications not supported"),
    HTTP,
  );
  await expect(
    f,
    call("account_subscribe", ',"params":["newHeads"]'),
    err("1", -32601, 'no "newHeads" subscription in account namespace'),
  );
  await expect(f, call("eth_subscribe"), err("1", -32602, "non-array args"));
  await expect(
    f,
    call("eth_subscribe", ',"params":[]'),
    err("1", -32602, "expected subscription name as first argument"),
  );
  await expect(
    f,
    call("eth_subscribe", ',"params":[1]'),
    err("1", -32602, "expected subscription name as first argument"),
  );
  await expect(
    f,
    call("account_unsubscribe", ',"params":["0x1"]'),
    err("1", -32000, "subscription not found"),
  );
  await expect(
    f,
    call("account_unsubscribe"),
    err("1", -32602, "missing value for required argument 0"),
  );
  await expect(
    f,
    call("account_unsubscribe", ',"params":[1]'),
    err(
      "1",
      -32602,
      "invalid argument 0: json: cannot unmarshal number into Go value of type rpc.ID",
    ),
  );
});

Deno.test("RpcServer.handle() answers invalid JSON with Go's parser text", async () => {
  const f = fixture();
  await expect(
    f,
    "{'a':1}",
    err(
      "null",
      -32700,
      "invalid character '\\'' looking for beginning of object key string",
    ),
  );
  await expect(f, "", err("null", -32700, "unexpected end of JSON input"));
  await expect(
    f,
    "[".repeat(10001) + "]".repeat(10001),
    err("null", -32700, "invalid character '[' exceeded max depth"),
  );
});

Deno.test("RpcServer.handle() serves batches in order", async () => {
  const f = fixture();
  await expect(
    f,
    ' [{"jsonrpc":"2.0","id":1,"method":"account_list"},' +
      '{"jsonrpc":"2.0","method":"account_echo","params":["0x2"]},' +
      '1,null,{"foo":"bar"},' +
      '{"jsonrpc":"2.0","id":"b","method":"account_nope"},' +
      '{"jsonrpc":"2.0","id":1,"result":5}]',
    '[{"jsonrpc":"2.0","id":1,"result":["0x0000000000000000000000000000000000000001"]},' +
      err("null", -32600, "invalid request") + "," +
      err("null", -32600, "invalid request") + "," +
      err("null", -32600, "invalid request") + "," +
      err(
        '"b"',
        -32601,
        "the method account_nope does not exist/is not available",
      ) + "]",
  );
  deepStrictEqual(f.calls, ["list", "echo"]);
});

Deno.test("RpcServer.handle() answers an empty batch with one object", async () => {
  const f = fixture();
  await expect(f, "[]", err("null", -32600, "empty batch"));
  await expect(f, " [ ] ", err("null", -32600, "empty batch"), HTTP);
});

Deno.test("RpcServer.handle() writes nothing for a batch of notifications", async () => {
  const f = fixture();
  await expect(
    f,
    '[{"jsonrpc":"2.0","method":"account_list"},{"jsonrpc":"2.0","method":"account_list"}]',
    undefined,
  );
  deepStrictEqual(f.calls, ["list", "list"]);
});

Deno.test("RpcServer.handle() answers a batch of 1,000 calls", async () => {
  const f = fixture();
  const items = Array.from(
    { length: BATCH_ITEM_LIMIT },
    (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"rpc_modules"}`,
  );
  const res = await f.rpc.handle("[" + items.join(",") + "]", HTTP);
  const arr = parseJson(res!) as Record<string, JsonValue>[];
  strictEqual(arr.length, 1000);
  arr.forEach((r, i) => strictEqual((r.id as JsonNumber).literal, String(i)));
});

Deno.test("RpcServer.handle() refuses HTTP batches over 1,000 items", async () => {
  const f = fixture();
  const items = [
    '{"jsonrpc":"2.0","method":"account_list"}',
    ...Array.from(
      { length: BATCH_ITEM_LIMIT },
      (_, i) => `{"jsonrpc":"2.0","id":"c${i}","method":"account_list"}`,
    ),
  ];
  await expect(
    f,
    "[" + items.join(",") + "]",
    "[" + err('"c0"', -32600, "batch too large") + "]",
    HTTP,
  );
  deepStrictEqual(f.calls, []);
  // Without any call the id is null.
  await expect(
    f,
    "[" + Array(1001).fill("1").join(",") + "]",
    "[" + err("null", -32600, "batch too large") + "]",
    HTTP,
  );
});

Deno.test("RpcServer.handle() applies geth's batch limits on IPC too", async () => {
  const f = fixture();
  const items = Array.from(
    { length: BATCH_ITEM_LIMIT + 1 },
    (_, i) => `{"jsonrpc":"2.0","id":"c${i}","method":"account_list"}`,
  );
  await expect(
    f,
    "[" + items.join(",") + "]",
    "[" + err('"c0"', -32600, "batch too large") + "]",
    IPC,
  );
  deepStrictEqual(f.calls, []);
  const res = await f.rpc.handle("[" + items.slice(1).join(",") + "]", IPC);
  strictEqual((parseJson(res!) as unknown[]).length, 1000);
  strictEqual(BATCH_RESPONSE_MAX_SIZE, 25_000_000);
  strictEqual(BATCH_ITEM_LIMIT, 1000);
});

Deno.test("RpcServer.handle() lets timers and I/O run between batch items", async () => {
  const rpc = new RpcServer({ logger: { crashed() {} } });
  let served = 0;
  rpc.register("test_count", { handler: () => ++served });
  const batch = "[" + Array.from(
    { length: 1000 },
    (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"test_count"}`,
  ).join(",") + "]";
  for (const t of [IPC, HTTP]) {
    served = 0;
    let seenAt = -1;
    // A macrotask queued before the batch starts must not wait for all of it.
    const tick = new Promise<void>((r) =>
      setTimeout(() => {
        seenAt = served;
        r();
      }, 0)
    );
    const res = await rpc.handle(batch, t);
    await tick;
    strictEqual((parseJson(res!) as unknown[]).length, 1000);
    ok(
      seenAt >= 0 && seenAt < 1000,
      `${t.transport}: timer ran after ${seenAt} items`,
    );
  }
});

Deno.test("RpcServer.handle() caps an HTTP batch response at the size limit", async () => {
  const f = fixture();
  const items = Array.from(
    { length: 5 },
    (_, i) =>
      `{"jsonrpc":"2.0","id":${i},"method":"account_echo","params":["0x${
        "ab".repeat(10)
      }"]}`,
  );
  items.splice(3, 0, '{"jsonrpc":"2.0","method":"account_list"}');
  const res = await f.rpc.handle("[" + items.join(",") + "]", HTTP, {
    batchResponseMaxSize: 40,
  });
  const result = '["0x' + "ab".repeat(10) + '",null]'; // 30 bytes
  strictEqual(
    res,
    `[{"jsonrpc":"2.0","id":0,"result":${result}},{"jsonrpc":"2.0","id":1,"result":${result}},` +
      err("2", -32003, "response too large") + "," +
      err("3", -32003, "response too large") + "," +
      err("4", -32003, "response too large") + "]",
  );
  // The notification after the limit is not executed.
  deepStrictEqual(f.calls, ["echo", "echo"]);
  // Only results count, as geth's len(resp.Result): errors never fill it.
  const unknown = Array.from(
    { length: 5 },
    (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"account_nope${i}"}`,
  );
  const errs = await f.rpc.handle("[" + unknown.join(",") + "]", IPC, {
    batchResponseMaxSize: 40,
  });
  strictEqual(
    errs,
    "[" + unknown.map((_, i) =>
      err(
        String(i),
        -32601,
        `the method account_nope${i} does not exist/is not available`,
      )
    ).join(",") + "]",
  );
});

Deno.test("RpcServer.handle() times out slow HTTP calls, leaving them running", async () => {
  const rpc = new RpcServer({ logger: { crashed() {} } });
  let finished = 0;
  let aborted = false;
  rpc.register("account_slow", {
    handler: async (_a, ctx) => {
      await new Promise((r) => setTimeout(r, 60));
      aborted = ctx.signal.aborted;
      finished++;
      return 1;
    },
  });
  rpc.register("account_fast", { handler: () => 2 });
  strictEqual(
    await rpc.handle(
      '{"jsonrpc":"2.0","id":9,"method":"account_slow"}',
      HTTP,
      { timeoutMs: 10 },
    ),
    err("9", -32002, "request timed out"),
  );
  strictEqual(
    await rpc.handle(
      '[{"jsonrpc":"2.0","id":1,"method":"account_fast"},{"jsonrpc":"2.0","id":2,"method":"account_slow"},' +
        '{"jsonrpc":"2.0","method":"account_slow"},{"jsonrpc":"2.0","id":3,"method":"account_fast"}]',
      HTTP,
      { timeoutMs: 10 },
    ),
    '[{"jsonrpc":"2.0","id":1,"result":2},' +
      err("2", -32002, "request timed out") + "," +
      err("3", -32002, "request timed out") + "]",
  );
  // geth answers even a notification that timed out (without an id).
  strictEqual(
    await rpc.handle(
      '{"jsonrpc":"2.0","method":"account_slow"}',
      HTTP,
      { timeoutMs: 10 },
    ),
    '{"jsonrpc":"2.0","error":{"code":-32002,"message":"request timed out"}}',
  );
  await new Promise((r) => setTimeout(r, 150));
  ok(finished >= 3);
  ok(aborted);
  // IPC has no deadline by default.
  strictEqual(
    await rpc.handle('{"jsonrpc":"2.0","id":1,"method":"account_slow"}', IPC),
    '{"jsonrpc":"2.0","id":1,"result":1}',
  );
});

Deno.test("RpcServer.register() refuses names without namespace or taken", () => {
  const rpc = new RpcServer();
  let threw = 0;
  for (const n of ["list", "rpc_modules"]) {
    try {
      rpc.register(n, { handler: () => 1 });
    } catch (e) {
      ok(e instanceof TypeError);
      threw++;
    }
  }
  strictEqual(threw, 2);
});
