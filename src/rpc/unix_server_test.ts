import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { type JsonNumber, type JsonValue, parseJson } from "../json.ts";
import { RpcServer } from "./dispatch.ts";
import { SocketInUseError, startIpcServer } from "./unix_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function testRpc(): RpcServer {
  const rpc = new RpcServer({ logger: { crashed() {} } });
  rpc.register("test_sleep", {
    params: [{}],
    handler: async (args) => {
      const ms = Number(args[0] as JsonNumber);
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    },
  });
  rpc.register("test_echo", { params: [{}], handler: (args) => args[0] });
  return rpc;
}

/** A line-oriented test client. */
class Client {
  conn: Deno.UnixConn;
  #buf = "";
  #eof = false;
  constructor(conn: Deno.UnixConn) {
    this.conn = conn;
  }
  static async open(path: string): Promise<Client> {
    return new Client(await Deno.connect({ transport: "unix", path }));
  }
  async send(text: string | Uint8Array) {
    const b = typeof text === "string" ? enc.encode(text) : text;
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }
  /** Reads `n` lines (or fewer at EOF). */
  async lines(n: number): Promise<string[]> {
    const out: string[] = [];
    const chunk = new Uint8Array(65536);
    while (out.length < n) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        out.push(this.#buf.slice(0, i));
        this.#buf = this.#buf.slice(i + 1);
        continue;
      }
      if (this.#eof) break;
      const r = await this.conn.read(chunk);
      if (r === null) this.#eof = true;
      else this.#buf += dec.decode(chunk.subarray(0, r), { stream: true });
    }
    return out;
  }
  /** True when the server closed the connection (after any pending data). */
  async closedByServer(): Promise<boolean> {
    const rest = await this.lines(1_000_000);
    return this.#eof && rest.length === 0;
  }
  close() {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

async function withServer(
  fn: (path: string, dir: string) => Promise<void>,
  opts: Parameters<typeof startIpcServer>[2] = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  const path = `${dir}/clef.ipc`;
  const server = await startIpcServer(path, testRpc(), opts);
  try {
    await fn(path, dir);
  } finally {
    await server.close({ graceMs: 1000 });
    await Deno.remove(dir, { recursive: true });
  }
}

const call = (id: number | string, method: string, params: unknown[] = []) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

Deno.test("startIpcServer() creates the socket 0600 and a missing parent 0700", async () => {
  const base = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  const path = `${base}/a/b/clef.ipc`;
  const server = await startIpcServer(path, testRpc());
  try {
    const st = await Deno.lstat(path);
    ok(st.isSocket);
    strictEqual(st.mode! & 0o777, 0o600);
    strictEqual((await Deno.stat(`${base}/a/b`)).mode! & 0o777, 0o700);
    // No temporary folder is left beside the socket.
    const names = [];
    for await (const e of Deno.readDir(`${base}/a/b`)) names.push(e.name);
    deepStrictEqual(names, ["clef.ipc"]);
  } finally {
    await server.close();
  }
  // Closing removes the socket file.
  await rejects(Deno.lstat(path), Deno.errors.NotFound);
  await Deno.remove(base, { recursive: true });
});

Deno.test("startIpcServer() binds in place and chmods when the temporary path is too long", async () => {
  const base = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  // The final path fits sun_path (108 bytes with the NUL) but the private
  // temporary path next to it (4 bytes longer) does not.
  const parent = `${base}/${"a".repeat(96 - base.length)}`;
  const path = `${parent}/clef.ipc`;
  strictEqual(path.length, 106);
  const server = await startIpcServer(path, testRpc());
  try {
    const st = await Deno.lstat(path);
    ok(st.isSocket);
    strictEqual(st.mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(parent)) names.push(e.name);
    deepStrictEqual(names, ["clef.ipc"]);
    const c = await Client.open(path);
    await c.send(call(1, "test_echo", [1]) + "\n");
    deepStrictEqual(await c.lines(1), ['{"jsonrpc":"2.0","id":1,"result":1}']);
    c.close();
  } finally {
    await server.close();
  }
  await rejects(Deno.lstat(path), Deno.errors.NotFound);
  await Deno.remove(base, { recursive: true });
});

Deno.test("startIpcServer() refuses a live socket and replaces a stale one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  const path = `${dir}/clef.ipc`;
  // Stale: a socket file nobody listens on any more (Deno unlinks the
  // bound name on close, so keep a second name for the socket).
  const l = Deno.listen({ transport: "unix", path: `${dir}/old` });
  await Deno.link(`${dir}/old`, path);
  l.close();
  ok((await Deno.lstat(path)).isSocket);
  const first = await startIpcServer(path, testRpc());
  try {
    await rejects(startIpcServer(path, testRpc()), (e: unknown) => {
      ok(e instanceof SocketInUseError);
      match(e.message, /another process is listening/);
      return true;
    });
    // The live server still answers after the refused start.
    const c = await Client.open(path);
    await c.send(call(1, "rpc_modules") + "\n");
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":1,"result":{"rpc":"1.0","test":"1.0"}}',
    ]);
    c.close();
  } finally {
    await first.close();
  }
  // A plain file at the path is replaced too (clef deletes it).
  await Deno.writeTextFile(path, "junk");
  const second = await startIpcServer(path, testRpc());
  ok((await Deno.lstat(path)).isSocket);
  await second.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startIpcServer() splits values in one chunk and across chunks", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    // Three values in one write, no separators at all.
    await c.send(
      call(1, "test_echo", ["a"]) + call(2, "test_echo", ["b"]) +
        "[" + call(3, "test_echo", ["c"]) + "]",
    );
    const got = (await c.lines(3)).sort();
    deepStrictEqual(got, [
      '[{"jsonrpc":"2.0","id":3,"result":"c"}]',
      '{"jsonrpc":"2.0","id":1,"result":"a"}',
      '{"jsonrpc":"2.0","id":2,"result":"b"}',
    ]);
    // One value split byte by byte, including a multi-byte character.
    const bytes = enc.encode(call("é", "test_echo", ["😀<"]) + " ");
    for (const b of bytes) await c.send(new Uint8Array([b]));
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":"é","result":"😀\\u003c"}',
    ]);
    // Notifications get no line; the next call does.
    await c.send(
      '{"jsonrpc":"2.0","method":"test_echo","params":[1]}\n' + call(4, "x_y"),
    );
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"the method x_y does not exist/is not available"}}',
    ]);
    c.close();
  });
});

Deno.test("startIpcServer() answers out of order as calls finish", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    await c.send(
      call(1, "test_sleep", [80]) + "\n" + call(2, "test_sleep", [1]),
    );
    const lines = await c.lines(2);
    deepStrictEqual(lines, [
      '{"jsonrpc":"2.0","id":2,"result":1}',
      '{"jsonrpc":"2.0","id":1,"result":80}',
    ]);
    c.close();
  });
});

Deno.test("startIpcServer() answers malformed JSON -32700, closes, keeps serving others", async () => {
  await withServer(async (path) => {
    const other = await Client.open(path);
    const bad = await Client.open(path);
    await bad.send(
      call(1, "test_sleep", [30]) + "\n{'id':1}\n" + call(2, "test_echo", [1]),
    );
    const lines = await bad.lines(2);
    deepStrictEqual(lines, [
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"invalid character \'\\\\\'\' looking for beginning of object key string"}}',
      // The request read before the error is still answered.
      '{"jsonrpc":"2.0","id":1,"result":30}',
    ]);
    ok(await bad.closedByServer());
    bad.close();
    await other.send(call(7, "test_echo", [7]) + "\n");
    deepStrictEqual(await other.lines(1), [
      '{"jsonrpc":"2.0","id":7,"result":7}',
    ]);
    other.close();
  });
});

Deno.test("startIpcServer() handles deep nesting: 10,000 served, 10,001 refused", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    const deep = '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[' +
      "[".repeat(9998) + "]".repeat(9998) + "]}";
    await c.send(deep + "\n");
    const [line] = await c.lines(1);
    ok(line.startsWith('{"jsonrpc":"2.0","id":1,"result":[[[['));
    await c.send("[".repeat(10001));
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"invalid character \'[\' exceeded max depth"}}',
    ]);
    ok(await c.closedByServer());
    c.close();
  });
});

Deno.test("startIpcServer() serves a 10 MiB message and caps larger ones", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    const big = "0x" + "ab".repeat(5 * 1024 * 1024);
    await c.send(call(1, "account_signData", ["text/plain", "0x1", big]));
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method account_signData does not exist/is not available"}}',
    ]);
    // Over the cap (12 MiB here): answered, then closed.
    await c.send(call(2, "x_y", ["0x" + "ab".repeat(6 * 1024 * 1024 + 1)]));
    deepStrictEqual(await c.lines(1), [
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"message too large: exceeds 12582912 bytes"}}',
    ]);
    ok(await c.closedByServer());
    c.close();
  }, { maxMessageBytes: 12 * 1024 * 1024 });
});

Deno.test("startIpcServer() applies geth's batch limit: 1,000 served, 1,001 refused", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    const items = Array.from(
      { length: 1001 },
      (_, i) => call(i, "test_echo", [i]),
    );
    await c.send("[" + items.slice(0, 1000).join(",") + "]\n");
    const [line] = await c.lines(1);
    const arr = parseJson(line) as Record<string, JsonValue>[];
    strictEqual(arr.length, 1000);
    arr.forEach((r, i) =>
      strictEqual((r.result as JsonNumber).literal, String(i))
    );
    await c.send("[" + items.join(",") + "]\n");
    deepStrictEqual(await c.lines(1), [
      '[{"jsonrpc":"2.0","id":0,"error":{"code":-32600,"message":"batch too large"}}]',
    ]);
    c.close();
  });
});

Deno.test("startIpcServer() serves another connection during a long batch", async () => {
  // Each item spins ~2 ms of CPU: without a turn of the event loop between
  // items, the other connection's call is not even read until the whole
  // batch is done.
  const rpc = new RpcServer({ logger: { crashed() {} } });
  let spun = 0;
  let pingAt = -1;
  rpc.register("test_spin", {
    handler: () => {
      const end = performance.now() + 2;
      while (performance.now() < end) { /* busy */ }
      return ++spun;
    },
  });
  rpc.register("test_ping", {
    handler: () => {
      pingAt = spun;
      return "pong";
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  const path = `${dir}/clef.ipc`;
  const server = await startIpcServer(path, rpc);
  try {
    const a = await Client.open(path);
    const b = await Client.open(path);
    const items = Array.from({ length: 1000 }, (_, i) => call(i, "test_spin"));
    await a.send("[" + items.join(",") + "]\n");
    const batch = a.lines(1);
    // Ask on b once the batch is being served.
    while (spun === 0) await new Promise((r) => setTimeout(r, 1));
    await b.send(call(1, "test_ping") + "\n");
    deepStrictEqual(await b.lines(1), [
      '{"jsonrpc":"2.0","id":1,"result":"pong"}',
    ]);
    strictEqual((parseJson((await batch)[0]) as unknown[]).length, 1000);
    ok(pingAt < 1000, `ping served after ${pingAt} of 1000 batch items`);
    a.close();
    b.close();
  } finally {
    await server.close({ graceMs: 1000 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startIpcServer() answers 1,000 concurrent requests over 50 connections", async () => {
  await withServer(async (path) => {
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => Client.open(path)),
    );
    const before = Deno.memoryUsage().rss;
    await Promise.all(clients.map(async (c, k) => {
      let text = "";
      for (let i = 0; i < 20; i++) {
        text += call(k * 100 + i, "test_sleep", [5 + (i % 7)]) + "\n";
      }
      await c.send(text);
      const lines = await c.lines(20);
      strictEqual(lines.length, 20);
      const ids = lines.map((l) =>
        Number(
          ((parseJson(l) as Record<string, JsonValue>).id as JsonNumber).value,
        )
      ).sort((a, b) => a - b);
      deepStrictEqual(ids, Array.from({ length: 20 }, (_, i) => k * 100 + i));
    }));
    // Memory stays bounded (generous: far below one buffer per request).
    ok(Deno.memoryUsage().rss - before < 200 * 1024 * 1024);
    for (const c of clients) c.close();
  });
});

Deno.test("startIpcServer() pauses reading at the in-flight cap without dropping", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    let text = "";
    for (let i = 0; i < 40; i++) text += call(i, "test_sleep", [2]) + "\n";
    await c.send(text);
    const lines = await c.lines(40);
    strictEqual(lines.length, 40);
    c.close();
  }, { maxInflightPerConnection: 4 });
});

Deno.test("IpcServer.close() lets requests in flight finish, then closes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave-ipc-" });
  const path = `${dir}/clef.ipc`;
  const rpc = testRpc();
  // Close once the call is in flight (an event, not a guess of how long
  // the server takes to read it on a loaded machine).
  let started!: () => void;
  const inFlight = new Promise<void>((r) => started = r);
  rpc.register("test_started", {
    handler: async () => {
      started();
      await new Promise((r) => setTimeout(r, 50));
      return 50;
    },
  });
  const server = await startIpcServer(path, rpc);
  const c = await Client.open(path);
  await c.send(call(1, "test_started", []) + "\n");
  await inFlight;
  strictEqual(server.connections, 1);
  await server.close({ graceMs: 2000 });
  deepStrictEqual(await c.lines(1), ['{"jsonrpc":"2.0","id":1,"result":50}']);
  ok(await c.closedByServer());
  c.close();
  await rejects(Deno.lstat(path), Deno.errors.NotFound);
  await rejects(Deno.connect({ transport: "unix", path }));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startIpcServer() writes responses after the client half-closes", async () => {
  await withServer(async (path) => {
    const c = await Client.open(path);
    // A trailing top-level value without a newline is complete at EOF.
    await c.send(call(1, "test_sleep", [20]) + "\n" + "5");
    await c.conn.closeWrite();
    const lines = await c.lines(2);
    deepStrictEqual(lines.sort(), [
      '{"jsonrpc":"2.0","id":1,"result":20}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}',
    ]);
    ok(await c.closedByServer());
    c.close();
  });
});

Deno.test("startIpcServer() at the cap closes the longest-idle connection for a new one", async () => {
  const logs: string[] = [];
  await withServer(async (path) => {
    const idle: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await Client.open(path);
      await c.send(call(i, "test_echo", [i]) + "\n");
      await c.lines(1);
      idle.push(c);
    }
    // A fourth connection is served: the first (idle the longest) made room.
    const d = await Client.open(path);
    await d.send(call(9, "test_echo", [9]) + "\n");
    deepStrictEqual(await d.lines(1), ['{"jsonrpc":"2.0","id":9,"result":9}']);
    ok(await idle[0].closedByServer());
    await idle[1].send(call(1, "test_echo", [1]) + "\n");
    deepStrictEqual(await idle[1].lines(1), [
      '{"jsonrpc":"2.0","id":1,"result":1}',
    ]);
    for (const c of [...idle, d]) c.close();
  }, { maxConnections: 3, reapIdleMs: 0, log: (m) => logs.push(m) });
});

Deno.test("startIpcServer() at the cap never closes a busy connection: the new one waits", async () => {
  await withServer(async (path, _dir) => {
    const busy: Client[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await Client.open(path);
      await c.send(call(i, "test_sleep", [1500]) + "\n");
      busy.push(c);
    }
    const late = await Client.open(path);
    await late.send(call(7, "test_echo", [7]) + "\n");
    // Served only once a busy one is idle (and then closed for it).
    deepStrictEqual(await late.lines(1), [
      '{"jsonrpc":"2.0","id":7,"result":7}',
    ]);
    for (let i = 0; i < 2; i++) {
      deepStrictEqual(await busy[i].lines(1), [
        `{"jsonrpc":"2.0","id":${i},"result":1500}`,
      ]);
    }
    for (const c of [...busy, late]) c.close();
  }, { maxConnections: 2, reapIdleMs: 0 });
});
