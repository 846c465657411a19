import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  BodyBudget,
  BodyReadError,
  type Http1Request,
  type Http1Server,
  serveHttp1,
} from "./http1.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Echoes what the request looked like, as the Go server below did. */
async function echo(req: Http1Request) {
  const chunks: Uint8Array[] = [];
  let err = "<nil>";
  try {
    for (;;) {
      const b = await req.read();
      if (b === null) break;
      chunks.push(b);
    }
  } catch (e) {
    err = e instanceof BodyReadError ? e.kind : String(e);
  }
  const body = dec.decode(
    new Uint8Array(chunks.flatMap((c) => [...c])),
  );
  return {
    status: 200,
    headers: [] as [string, string][],
    body: `proto=${req.proto} host=${
      JSON.stringify(req.headers.get("host") ?? "")
    } len=${req.contentLength} body=${JSON.stringify(body)} err=${err}`,
  };
}

async function withEcho(fn: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server: Http1Server = serveHttp1(listener, echo, {
    maxConnections: 16,
    reapIdleMs: 1000,
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    readTimeoutMs: 10_000,
    writeTimeoutMs: 10_000,
    budget: new BodyBudget(1 << 20),
    log: () => {},
  });
  try {
    await fn(listener.addr.port);
  } finally {
    await server.close(1000);
  }
}

/** Sends `request`, half-closes, reads everything: [status line, body]. */
async function exchange(
  port: number,
  request: string,
): Promise<[string, string]> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await c.write(enc.encode(request));
  await c.closeWrite();
  const chunks: number[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await c.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(...buf.subarray(0, n));
  }
  c.close();
  const text = dec.decode(new Uint8Array(chunks));
  const i = text.indexOf("\r\n\r\n");
  return [text.split("\r\n", 1)[0], i < 0 ? "" : text.slice(i + 4)];
}

// Expected answers: what Go 1.26's net/http server (ReadTimeout and
// ReadHeaderTimeout set, a handler echoing r.Proto, r.Host,
// r.ContentLength and the body) sent for the same bytes.
const CASES: [string, string, string][] = [
  [
    "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
    "HTTP/1.1 200 OK",
    'proto=HTTP/1.1 host="localhost" len=-1 body="abcde" err=<nil>',
  ],
  [
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 400 Bad Request: missing required Host header",
    "400 Bad Request: missing required Host header",
  ],
  [
    "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
    "HTTP/1.0 200 OK",
    'proto=HTTP/1.0 host="" len=2 body="hi" err=<nil>',
  ],
  [
    "POST abc HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/1.1 400 Bad Request",
    "400 Bad Request",
  ],
  [
    "POST / HTTP/2.0\r\nHost: x\r\n\r\n",
    "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version",
    "505 HTTP Version Not Supported: unsupported protocol version",
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
    "HTTP/1.1 400 Bad Request",
    "400 Bad Request",
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
    "HTTP/1.1 200 OK",
    'proto=HTTP/1.1 host="x" len=2 body="hi" err=<nil>',
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nhi",
    "HTTP/1.1 400 Bad Request",
    "400 Bad Request",
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "HTTP/1.1 501 Not Implemented",
    "Unsupported transfer encoding",
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n",
    "HTTP/1.1 417 Expectation Failed",
    "",
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK",
    'proto=HTTP/1.1 host="x" len=-1 body="" err=syntax',
  ],
  [
    "POST / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
    "HTTP/1.1 400 Bad Request: invalid header name",
    "400 Bad Request: invalid header name",
  ],
  [
    "\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 400 Bad Request",
    "400 Bad Request",
  ],
  [
    "POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "HTTP/1.1 400 Bad Request",
    "400 Bad Request",
  ],
  [
    "POST / HTTP/1.1\r\nHost: local host\r\n\r\n",
    "HTTP/1.1 400 Bad Request: malformed Host header",
    "400 Bad Request: malformed Host header",
  ],
];

Deno.test("serveHttp1() answers request heads as Go's net/http", async () => {
  await withEcho(async (port) => {
    for (const [request, status, body] of CASES) {
      deepStrictEqual(
        await exchange(port, request),
        [status, body],
        JSON.stringify(request),
      );
    }
  });
});

Deno.test("serveHttp1() refuses a head over 1 MiB + 4 KiB with 431", async () => {
  await withEcho(async (port) => {
    const [status, body] = await exchange(
      port,
      `POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1100 * 1024)}\r\n\r\n`,
    );
    strictEqual(status, "HTTP/1.1 431 Request Header Fields Too Large");
    strictEqual(body, "431 Request Header Fields Too Large");
  });
});

Deno.test("serveHttp1() keeps a connection alive, pipelined, and sends 100 Continue", async () => {
  await withEcho(async (port) => {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    // Two pipelined requests, then one that waits for 100 Continue.
    await c.write(enc.encode(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na" +
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb" +
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
    ));
    let text = "";
    const buf = new Uint8Array(65536);
    while (!text.includes("100 Continue\r\n\r\n")) {
      const n = await c.read(buf);
      if (n === null) throw new Error("closed early");
      text += dec.decode(buf.subarray(0, n));
    }
    await c.write(enc.encode("c"));
    await c.closeWrite();
    for (;;) {
      const n = await c.read(buf).catch(() => null);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    c.close();
    const bodies = [...text.matchAll(/body="(.)"/g)].map((m) => m[1]);
    deepStrictEqual(bodies, ["a", "b", "c"]);
    strictEqual(text.split("HTTP/1.1 200 OK").length - 1, 3);
  });
});
