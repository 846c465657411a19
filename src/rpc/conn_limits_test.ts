import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  acceptLoop,
  ConnectionLimiter,
  type LimitedConnection,
} from "./conn_limits.ts";

/** A listener whose accept fails with EMFILE or yields a fake connection. */
function scriptedListener(script: ("fail" | "conn")[]) {
  let i = 0;
  let closed = false;
  const waiters: (() => void)[] = [];
  const listener = {
    accept(): Promise<Deno.Conn> {
      if (closed) return Promise.reject(new Deno.errors.BadResource("closed"));
      const step = script[i++];
      if (step === "fail") {
        return Promise.reject(new Error("Too many open files (os error 24)"));
      }
      if (step === "conn") {
        return Promise.resolve({ close() {} } as unknown as Deno.Conn);
      }
      return new Promise((_, reject) =>
        waiters.push(() => reject(new Deno.errors.BadResource("closed")))
      );
    },
    close() {
      closed = true;
      for (const w of waiters) w();
    },
  };
  return listener as unknown as Deno.Listener<Deno.Conn>;
}

Deno.test("acceptLoop() survives failed accepts and logs them sparingly", async () => {
  // Descriptors freed one at a time: accept fails and succeeds in turn.
  const script: ("fail" | "conn")[] = [];
  for (let k = 0; k < 20; k++) script.push("fail", "conn");
  const listener = scriptedListener(script);
  const logs: string[] = [];
  let conns = 0;
  const ac = new AbortController();
  const loop = acceptLoop(listener, () => conns++, {
    signal: ac.signal,
    name: "IPC",
    log: (m) => logs.push(m),
  });
  while (conns < 20) await new Promise((r) => setTimeout(r, 5));
  // The recovery line comes after a quiet second.
  while (logs.length < 2) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  listener.close();
  await loop;
  strictEqual(conns, 20);
  deepStrictEqual(logs, [
    "IPC: accept failed (Too many open files (os error 24)); retrying with backoff (1 failures so far)",
    "IPC: accepting connections again after 20 failed accepts",
  ]);
});

class FakeConn implements LimitedConnection {
  closed = false;
  #resolve!: () => void;
  readonly done = new Promise<void>((r) => this.#resolve = r);
  constructor(public since: number | undefined) {}
  idleSince() {
    return this.since;
  }
  close() {
    this.closed = true;
    this.#resolve();
  }
}

Deno.test("ConnectionLimiter.admit() closes the longest-idle connection, never a busy one", async () => {
  const lim = new ConnectionLimiter<FakeConn>({
    max: 3,
    reapIdleMs: 0,
    name: "T",
    log: () => {},
  });
  const now = performance.now();
  const busy = new FakeConn(undefined);
  const older = new FakeConn(now - 5000);
  const newer = new FakeConn(now - 10);
  for (const c of [busy, older, newer]) lim.add(c);
  const ac = new AbortController();
  ok(await lim.admit(ac.signal));
  strictEqual(older.closed, true);
  strictEqual(newer.closed, false);
  strictEqual(busy.closed, false);
  // With only busy connections at the cap, admit waits until one closes.
  const lim2 = new ConnectionLimiter<FakeConn>({
    max: 1,
    reapIdleMs: 0,
    name: "T",
    log: () => {},
  });
  const b2 = new FakeConn(undefined);
  lim2.add(b2);
  let admitted = false;
  const p = lim2.admit(ac.signal).then((v) => admitted = v);
  await new Promise((r) => setTimeout(r, 300));
  strictEqual(admitted, false);
  b2.close();
  await p;
  strictEqual(admitted, true);
});
