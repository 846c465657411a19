/**
 * Issue 7, finding 7: geth's batch limits hold on IPC as on HTTP, and a
 * long batch does not hold other connections back (its items enter the
 * shared rules and unlock queues one at a time).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  APPROVE_ALL_RULES,
  hexOfText,
  httpPost,
  IpcClient,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";

/** Fails instead of hanging when `p` does not settle in 60 s. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`hang: ${what}`)), 60_000);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}

Deno.test({
  name: "daemon refuses a 20,000-item IPC batch with geth's error",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ vault: false });
    const d = await startDaemon(s, { http: true, rules: null });
    try {
      // Raw socket: the answer is read up to its first newline only.
      const raw = await Deno.connect({ transport: "unix", path: d.ipcPath });
      const items = Array.from(
        { length: 20_000 },
        (_, i) => `{"jsonrpc":"2.0","id":${i + 1},"method":"account_version"}`,
      );
      const bytes = new TextEncoder().encode(`[${items.join(",")}]\n`);
      for (let off = 0; off < bytes.length;) {
        off += await raw.write(bytes.subarray(off));
      }
      let answer = "";
      const buf = new Uint8Array(65536);
      while (!answer.includes("\n")) {
        const n = await within(raw.read(buf), "20,000 items");
        if (n === null) break;
        answer += new TextDecoder().decode(buf.subarray(0, n));
        if (answer.length > 4096) break; // a full answer: long, wrong
      }
      raw.close();
      strictEqual(
        answer.slice(0, 200),
        '[{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"batch too large"}}]\n',
      );
      const a = await IpcClient.connect(d.ipcPath);
      const calls = Array.from({ length: 1000 }, () => ({
        method: "account_version",
      }));
      // 1,000 is still served, on both transports.
      const ok1000 = await a.batch(calls);
      strictEqual(ok1000.length, 1000);
      ok(ok1000.every((r) => r.result === "6.1.0"));
      const body = JSON.stringify(
        Array.from(
          { length: 1001 },
          (_, i) => ({ jsonrpc: "2.0", id: i, method: "account_version" }),
        ),
      );
      strictEqual(
        (await httpPost(d.httpUrl!, body)).text,
        '[{"jsonrpc":"2.0","id":0,"error":{"code":-32600,"message":"batch too large"}}]',
      );
      a.close();
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "daemon serves another connection while a signing batch runs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Without the key cache every item decrypts the key: the batch takes
    // seconds, and another caller must wait for one item at most.
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s, { extraFlags: ["--keycache=false"] });
    try {
      const a = await IpcClient.connect(d.ipcPath);
      const b = await IpcClient.connect(d.ipcPath);
      const sign = {
        method: "account_signData",
        params: ["text/plain", s.address, hexOfText("batch item")],
      };
      const order: string[] = [];
      const batch = a.batch(Array.from({ length: 40 }, () => sign)).then(
        (r) => {
          order.push("batch");
          return r;
        },
      );
      strictEqual(await b.call("account_version"), "6.1.0");
      const sig = await b.call<string>("account_signData", [
        "text/plain",
        s.address,
        hexOfText("other caller"),
      ]);
      order.push("other");
      ok(/^0x[0-9a-f]{130}$/.test(sig), sig);
      const results = await batch;
      strictEqual(results.length, 40);
      ok(results.every((r) => typeof r.result === "string"));
      deepStrictEqual(order, ["other", "batch"]);
      a.close();
      b.close();
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});
