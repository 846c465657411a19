import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { type JsonValue, parseJson } from "../json.ts";
import { RpcServer } from "./dispatch.ts";
import {
  type HttpServer,
  type HttpServerOptions,
  isAllowedHost,
  startHttpServer,
} from "./http_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function testRpc(): RpcServer {
  const rpc = new RpcServer({ logger: { crashed() {} } });
  rpc.register("test_echo", { params: [{}], handler: (a) => a[0] });
  rpc.register("test_meta", { handler: (_a, ctx) => ctx.meta });
  rpc.register("test_sleep", {
    handler: () => new Promise((r) => setTimeout(() => r(1), 200)),
  });
  return rpc;
}

async function withServer(
  fn: (s: HttpServer, port: number) => Promise<void>,
  opts: HttpServerOptions = {},
) {
  const s = await startHttpServer(testRpc(), {
    host: "127.0.0.1",
    port: 0,
    ...opts,
  });
  try {
    await fn(s, Number(s.addr.split(":")[1]));
  } finally {
    await s.close({ graceMs: 2000 });
  }
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function concatAll(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Sends raw HTTP/1.1 bytes and reads the response until close. */
async function raw(port: number, request: string): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc.encode(request));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  // Read until the server closes or the declared body is complete (Deno
  // keeps a connection whose request body was not read).
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    const sofar = dec.decode(concatAll(chunks));
    const he = sofar.indexOf("\r\n\r\n");
    const cl = /\r\ncontent-length: *(\d+)/i.exec(sofar.slice(0, he));
    if (he >= 0 && cl && enc.encode(sofar).length - he - 4 >= Number(cl[1])) {
      break;
    }
  }
  conn.close();
  const text = dec.decode(concatAll(chunks));
  const headEnd = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, headEnd).split("\r\n");
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(":");
    headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: text.slice(headEnd + 4),
  };
}

function post(
  host: string,
  body: string,
  contentType = "application/json",
  extra = "",
): string {
  return `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${
      enc.encode(body).length
    }\r\nConnection: close\r\n${extra}\r\n${body}`;
}

const CALL = '{"jsonrpc":"2.0","id":1,"method":"rpc_modules"}';
// Answers end in "\n" (Go's json.Encoder); parse errors, empty and too
// large batches and timeouts do not (geth writes them with json.Marshal).
const MODULES =
  '{"jsonrpc":"2.0","id":1,"result":{"rpc":"1.0","test":"1.0"}}\n';

Deno.test("startHttpServer() serves a call: 200, application/json, a newline as Go's json.Encoder", async () => {
  await withServer(async (s, port) => {
    strictEqual(s.addr, `127.0.0.1:${port}`);
    strictEqual(s.url, `http://127.0.0.1:${port}/`);
    const r = await fetch(`${s.url}any/path`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: CALL,
    });
    strictEqual(r.status, 200);
    strictEqual(r.headers.get("content-type"), "application/json");
    strictEqual(await r.text(), MODULES);
  });
});

Deno.test("startHttpServer() checks the Host header against --http.vhosts", async () => {
  await withServer(async (_s, port) => {
    const evil = await raw(port, post("evil.example:8550", CALL));
    strictEqual(evil.status, 403);
    strictEqual(evil.body, "invalid host specified\n");
    strictEqual(evil.headers.get("content-type"), "text/plain; charset=utf-8");
    for (
      const host of ["localhost:8550", "10.1.2.3:80", "[::1]:8550"]
    ) {
      const ok200 = await raw(port, post(host, CALL));
      strictEqual(ok200.status, 200, host);
      strictEqual(ok200.body, MODULES, host);
    }
    // Real Clef compares the request's host as sent (only --http.vhosts is
    // lowercased): LOCALHOST is refused.
    strictEqual((await raw(port, post("LOCALHOST:1", CALL))).status, 403);
  });
  await withServer(async (_s, port) => {
    strictEqual((await raw(port, post("evil.example", CALL))).status, 200);
  }, { vhosts: ["*"] });
  await withServer(async (_s, port) => {
    strictEqual((await raw(port, post("signer.lan:1", CALL))).status, 200);
    strictEqual((await raw(port, post("localhost", CALL))).status, 403);
  }, { vhosts: ["Signer.LAN"] });
});

Deno.test("isAllowedHost() follows geth's virtualHostHandler", () => {
  const v = new Set(["localhost"]);
  ok(isAllowedHost("", v));
  ok(isAllowedHost("localhost", v));
  ok(!isAllowedHost("LocalHost:1", v)); // the request host is not lowercased
  ok(isAllowedHost("localhost:1", new Set(["localhost"])));
  ok(isAllowedHost("127.0.0.1", v));
  ok(isAllowedHost("::1", v)); // bare IPv6 fails SplitHostPort, parses as IP
  ok(isAllowedHost("[::1]:80", v));
  ok(!isAllowedHost("[::1]", v)); // brackets without port: not an IP
  ok(!isAllowedHost("127.000.0.1", v)); // Go rejects leading zeros
  ok(!isAllowedHost("localhost.evil", v));
  ok(isAllowedHost("[localhost]:80", v)); // SplitHostPort strips brackets
});

Deno.test("startHttpServer() answers GET health, 405, 413 and 415", async () => {
  await withServer(async (s, port) => {
    const health = await fetch(s.url);
    strictEqual(health.status, 200);
    strictEqual(await health.text(), "");
    const q = await fetch(s.url + "?x=1");
    strictEqual(q.status, 415);
    strictEqual(
      await q.text(),
      "invalid content type, only application/json is supported\n",
    );
    for (const method of ["PUT", "DELETE"]) {
      const r = await fetch(s.url, { method, body: CALL });
      strictEqual(r.status, 405);
      strictEqual(await r.text(), "method not allowed\n");
    }
    // A 10 MiB Content-Length is refused before the body is read.
    const big = await raw(
      port,
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
        "Content-Length: 10485760\r\nConnection: close\r\n\r\n{",
    );
    strictEqual(big.status, 413);
    strictEqual(big.body, "content length too large (10485760>5242880)\n");
    for (
      const ct of [
        "",
        "text/plain",
        "application/json; charset",
        "application/x-json",
      ]
    ) {
      const r = await raw(port, post("localhost", CALL, ct));
      strictEqual(r.status, 415, ct);
    }
    for (
      const ct of [
        "application/json; charset=utf-8",
        "Application/JSON-RPC",
        "application/jsonrequest",
      ]
    ) {
      const r = await raw(port, post("localhost", CALL, ct));
      strictEqual(r.body, MODULES, ct);
    }
  });
});

Deno.test("startHttpServer() answers an over-limit chunked body with parse error", async () => {
  await withServer(async (s) => {
    const piece = enc.encode("a".repeat(1024 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0) {
          c.enqueue(
            enc.encode(
              '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["',
            ),
          );
        }
        if (sent++ < 10) c.enqueue(piece);
        else {
          c.enqueue(enc.encode('"]}'));
          c.close();
        }
      },
    });
    const r = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    strictEqual(r.status, 200);
    strictEqual(
      await r.text(),
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}',
    );
    // The server keeps serving.
    const again = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: CALL,
    });
    strictEqual(await again.text(), MODULES);
  });
});

Deno.test("startHttpServer() handles bodies like geth's decoder", async () => {
  await withServer(async (_s, port) => {
    const cases: [string, string][] = [
      ["", ""],
      ["  \n ", ""],
      ['{"jsonrpc":"2.0","method":"test_echo","params":[1]}', ""],
      [
        "{'bad'}",
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method"',
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}',
      ],
      // Only the first value counts; trailing bytes are ignored.
      [CALL + " garbage {", MODULES],
      [CALL + CALL, MODULES],
      [
        "1",
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}\n',
      ],
      [
        "[]",
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"empty batch"}}',
      ],
      [
        "[" + "[".repeat(10000) + "]".repeat(10000) + "]",
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"account_subscribe","params":["x"]}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"notifications not supported"}}\n',
      ],
    ];
    for (const [body, want] of cases) {
      const r = await raw(port, post("localhost", body));
      strictEqual(r.status, 200, body.slice(0, 40));
      strictEqual(r.body, want, body.slice(0, 40));
      strictEqual(r.headers.get("content-type"), "application/json");
    }
    const opt = await raw(
      port,
      "OPTIONS / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    strictEqual(opt.status, 200);
    strictEqual(opt.body, "");
    strictEqual(opt.headers.get("content-type"), "application/json");
  });
});

Deno.test("startHttpServer() limits batches to 1,000 items", async () => {
  await withServer(async (_s, port) => {
    const items = (n: number) =>
      "[" + Array.from({ length: n }, (_, i) =>
        CALL.replace('"id":1', `"id":${i}`)).join(",") +
      "]";
    const okBatch = await raw(port, post("localhost", items(1000)));
    strictEqual((parseJson(okBatch.body) as unknown[]).length, 1000);
    const tooBig = await raw(port, post("localhost", items(1001)));
    strictEqual(
      tooBig.body,
      '[{"jsonrpc":"2.0","id":0,"error":{"code":-32600,"message":"batch too large"}}]',
    );
  });
});

Deno.test("startHttpServer() passes request metadata from the headers", async () => {
  await withServer(async (_s, port) => {
    const r = await raw(
      port,
      post(
        "localhost:8550",
        '{"jsonrpc":"2.0","id":1,"method":"test_meta"}',
        "application/json",
        "User-Agent: geth/1.0\r\nOrigin: http://dapp.example\r\n",
      ),
    );
    const m = (parseJson(r.body) as Record<string, JsonValue>).result as Record<
      string,
      JsonValue
    >;
    deepStrictEqual(Object.keys(m), [
      "remote",
      "local",
      "scheme",
      "User-Agent",
      "Origin",
    ]);
    match(m.remote as string, /^127\.0\.0\.1:\d+$/);
    strictEqual(m.local, "localhost:8550");
    strictEqual(m.scheme, "HTTP/1.1");
    strictEqual(m["User-Agent"], "geth/1.0");
    strictEqual(m.Origin, "http://dapp.example");
  });
});

Deno.test("startHttpServer() times out slow calls with -32002", async () => {
  await withServer(async (_s, port) => {
    const r = await raw(
      port,
      post("localhost", '{"jsonrpc":"2.0","id":"s","method":"test_sleep"}'),
    );
    strictEqual(
      r.body,
      '{"jsonrpc":"2.0","id":"s","error":{"code":-32002,"message":"request timed out"}}',
    );
  }, { requestTimeoutMs: 20 });
});

Deno.test("startHttpServer() reports a busy port with Go's text", async () => {
  await withServer(async (_s, port) => {
    await rejects(
      startHttpServer(testRpc(), { host: "127.0.0.1", port }),
      { message: `listen tcp 127.0.0.1:${port}: bind: address already in use` },
    );
  });
});

Deno.test("startHttpServer() listens on every interface for an empty host", async () => {
  const s = await startHttpServer(testRpc(), { host: "", port: 0 });
  try {
    match(s.addr, /^(\[::\]|0\.0\.0\.0):\d+$/);
    const port = Number(s.addr.slice(s.addr.lastIndexOf(":") + 1));
    const r = await raw(port, post("localhost", CALL));
    strictEqual(r.body, MODULES);
  } finally {
    await s.close();
  }
});

Deno.test("startHttpServer() answers 1,000 concurrent requests", async () => {
  await withServer(async (s) => {
    const bodies = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const r = await fetch(s.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body:
            `{"jsonrpc":"2.0","id":${i},"method":"test_echo","params":[${i}]}`,
        });
        return await r.text();
      }),
    );
    bodies.forEach((b, i) =>
      strictEqual(b, `{"jsonrpc":"2.0","id":${i},"result":${i}}\n`)
    );
  });
});

/** Reads until the server closes the connection; the bytes received. */
async function untilClosed(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  return dec.decode(concatAll(chunks));
}

/** Fails the test instead of hanging when `p` does not settle. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`hang: ${what}`)), 20_000);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}

/** Reads one response with a Content-Length body from a kept connection. */
async function readResponse(conn: Deno.Conn): Promise<RawResponse> {
  let acc: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  for (;;) {
    const text = dec.decode(acc);
    const he = text.indexOf("\r\n\r\n");
    if (he >= 0) {
      const cl = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, he));
      const len = cl ? Number(cl[1]) : 0;
      if (acc.length - he - 4 >= len) {
        const [statusLine] = text.slice(0, he).split("\r\n");
        return {
          status: Number(statusLine.split(" ")[1]),
          headers: new Map(),
          body: text.slice(he + 4, he + 4 + len),
        };
      }
    }
    const n = await conn.read(buf);
    if (n === null) throw new Error("closed before a full response");
    acc = concatAll([acc, buf.subarray(0, n)]);
  }
}

function keepAlivePost(body: string): string {
  return `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${enc.encode(body).length}\r\n\r\n${body}`;
}

Deno.test("startHttpServer() closes a connection whose head does not arrive in time", async () => {
  await withServer(async (_s, port) => {
    // Nothing at all, and half a head: both are closed, nothing answered.
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    await slow.write(enc.encode("POST / HTTP/1.1\r\nHost: localhost\r\n"));
    strictEqual(await within(untilClosed(silent), "silent connection"), "");
    strictEqual(await within(untilClosed(slow), "slow head"), "");
    silent.close();
    slow.close();
  }, { headerTimeoutMs: 300 });
});

Deno.test("startHttpServer() closes a keep-alive connection idle past the idle timeout", async () => {
  await withServer(async (_s, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(enc.encode(keepAlivePost(CALL)));
    strictEqual((await readResponse(conn)).body, MODULES);
    await conn.write(enc.encode(keepAlivePost(CALL)));
    strictEqual((await readResponse(conn)).body, MODULES, "kept alive");
    strictEqual(await within(untilClosed(conn), "idle connection"), "");
    conn.close();
  }, { idleTimeoutMs: 300 });
});

Deno.test("startHttpServer() caps connections: a new one waits for a free slot", async () => {
  await withServer(async (s, port) => {
    // Four connections in the middle of a head: busy, not idle.
    const busy = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        await c.write(enc.encode("POST / HTTP/1.1\r\nHost: localhost\r\n"));
        return c;
      }),
    );
    while (s.connections < 4) await new Promise((r) => setTimeout(r, 10));
    const fifth = await Deno.connect({ hostname: "127.0.0.1", port });
    await fifth.write(enc.encode(post("localhost", CALL)));
    let answered = false;
    const reply = untilClosed(fifth).then((t) => {
      answered = true;
      return t;
    });
    await new Promise((r) => setTimeout(r, 300));
    strictEqual(answered, false, "served beyond the cap");
    ok(s.connections <= 4, `${s.connections} connections open`);
    busy[0].close();
    const text = await within(reply, "fifth connection");
    ok(text.endsWith(MODULES), text);
    for (const c of busy.slice(1)) c.close();
    fifth.close();
  }, { maxConnections: 4, reapIdleMs: 60_000 });
});

Deno.test("startHttpServer() at the cap closes a connection stalled in its head", async () => {
  await withServer(async (s, port) => {
    // Slow-loris clients: a head that never completes.
    const slow = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        await c.write(enc.encode("POST / HTTP/1.1\r\nHost: localhost\r\n"));
        return c;
      }),
    );
    while (s.connections < 3) await new Promise((r) => setTimeout(r, 10));
    const r = await within(raw(port, post("localhost", CALL)), "newcomer");
    strictEqual(r.body, MODULES);
    // One of them (the one stalled longest) made room.
    strictEqual(
      await within(Promise.race(slow.map(untilClosed)), "slow head closed"),
      "",
    );
    for (const c of slow) c.close();
  }, { maxConnections: 3, reapIdleMs: 200 });
});

Deno.test("startHttpServer() at the cap closes the longest-idle keep-alive connection", async () => {
  await withServer(async (s, port) => {
    const idle: Deno.Conn[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      await c.write(enc.encode(keepAlivePost(CALL)));
      strictEqual((await readResponse(c)).body, MODULES);
      idle.push(c);
    }
    const r = await within(raw(port, post("localhost", CALL)), "fourth");
    strictEqual(r.body, MODULES);
    // The first (idle the longest) made room; the others are still open.
    strictEqual(await within(untilClosed(idle[0]), "reaped"), "");
    await idle[2].write(enc.encode(keepAlivePost(CALL)));
    strictEqual((await readResponse(idle[2])).body, MODULES);
    ok(s.connections <= 3);
    for (const c of idle) c.close();
  }, { maxConnections: 3, reapIdleMs: 0 });
});

Deno.test("startHttpServer() shares one budget among bodies in flight", async () => {
  await withServer(async (_s, port) => {
    const order: string[] = [];
    // A holds 1100 KiB of an unfinished 1.5 MiB body: most of the budget
    // (the body limit less the free part, at least) is spent.
    const a = await Deno.connect({ hostname: "127.0.0.1", port });
    await a.write(enc.encode(
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${1536 * 1024}\r\nConnection: close\r\n\r\n` +
        '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["' +
        "a".repeat(1100 * 1024),
    ));
    const aDone = untilClosed(a).then((t) => (order.push("a"), t));
    await new Promise((r) => setTimeout(r, 200));
    // A small call needs no budget and is answered at once.
    const small = await within(raw(port, post("localhost", CALL)), "small");
    strictEqual(small.body, MODULES);
    order.push("small");
    // A complete 600 KiB call waits until A gives its bytes back.
    const bigBody = '{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["' +
      "b".repeat(600 * 1024) + '"]}';
    const big = within(raw(port, post("localhost", bigBody)), "big").then(
      (r) => (order.push("big"), r),
    );
    const aText = await within(aDone, "a");
    ok(
      aText.endsWith(
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"read timeout"}}',
      ),
      aText.slice(-200),
    );
    const bigResp = await big;
    strictEqual(
      bigResp.body,
      `{"jsonrpc":"2.0","id":2,"result":"${"b".repeat(600 * 1024)}"}\n`,
    );
    deepStrictEqual(order, ["small", "a", "big"]);
    a.close();
  }, {
    bodyLimit: 1536 * 1024,
    bodyBudgetBytes: 1024 * 1024,
    readTimeoutMs: 5000,
  });
});

Deno.test("startHttpServer() serves Host: localhost:evil.example as geth does", async () => {
  await withServer(async (_s, port) => {
    // Go's SplitHostPort takes "evil.example" for the port: the name is
    // localhost, allowed, and the call is served (no 500).
    const r = await raw(port, post("localhost:evil.example", CALL));
    strictEqual(r.status, 200);
    strictEqual(r.body, MODULES);
    // Bytes Go's ValidHostHeader refuses: 400 before any handler.
    const bad = await raw(port, post("local host", CALL));
    strictEqual(bad.status, 400);
    strictEqual(bad.body, "400 Bad Request: malformed Host header");
  });
});
