import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { encryptKeyV3, serializeKeyFile } from "../keystore/v3.ts";
import { privateKeyToAddress } from "../keystore/raw_key.ts";
import { DecryptError } from "../errors.ts";
import { KeyCache, KeyUnlocker } from "./key_unlock.ts";
import { handleUnlock } from "./unlock_worker.ts";

const KEY = new Uint8Array(32).fill(3);
const PW = "unlock test password";

async function keyFile(): Promise<string> {
  return serializeKeyFile(
    await encryptKeyV3(KEY, PW, { scryptN: 16, scryptP: 1 }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test("KeyUnlocker.decrypt() returns the key and its address", async () => {
  const u = new KeyUnlocker();
  try {
    const k = await u.decrypt(await keyFile(), PW);
    deepStrictEqual(k.privateKey, KEY);
    deepStrictEqual(k.address, privateKeyToAddress(KEY));
    await rejects(u.decrypt(await keyFile(), "wrong"), DecryptError);
  } finally {
    u.close();
  }
});

Deno.test("KeyUnlocker stops its Worker when idle and starts it again on demand", async () => {
  const u = new KeyUnlocker({ idleMs: 30 });
  try {
    strictEqual(u.running, false);
    const json = await keyFile();
    // Calls queued back to back keep one Worker.
    const both = [u.decrypt(json, PW), u.decrypt(json, PW)];
    for (const k of await Promise.all(both)) deepStrictEqual(k.privateKey, KEY);
    strictEqual(u.running, true);
    await sleep(200);
    strictEqual(u.running, false);
    // A failed call also lets it stop.
    await rejects(u.decrypt(json, "wrong"), DecryptError);
    await sleep(200);
    strictEqual(u.running, false);
    deepStrictEqual((await u.decrypt(json, PW)).privateKey, KEY);
    ok(u.running);
  } finally {
    u.close();
  }
  strictEqual(u.running, false);
});

Deno.test("KeyUnlocker with idleMs Infinity keeps its Worker until close()", async () => {
  const u = new KeyUnlocker({ idleMs: Infinity });
  try {
    await u.decrypt(await keyFile(), PW);
    await sleep(50);
    strictEqual(u.running, true);
  } finally {
    u.close();
  }
  strictEqual(u.running, false);
});

Deno.test("KeyCache.get() returns a copy only while the stamp matches", () => {
  const c = new KeyCache();
  const stamp = { path: "/k", stamp: "1:2:3" };
  c.set("0xAbC", stamp, KEY);
  const hit = c.get("0xabc", { path: "/k", stamp: "1:2:3" });
  deepStrictEqual(hit, KEY);
  hit!.fill(0);
  deepStrictEqual(c.get("0xABC", stamp), KEY);
  strictEqual(c.get("0xabc", { path: "/k", stamp: "1:2:4" }), undefined);
  strictEqual(c.size, 0);
});

Deno.test("handleUnlock() transfers the key in its own buffer and wipes the original", async () => {
  const decrypted = KEY.slice();
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<MessageEvent>((r) => port2.onmessage = r);
  let posted: { privateKey: Uint8Array } | undefined;
  let transfer: Transferable[] = [];
  await handleUnlock(
    { id: 7, json: "{}", password: "pw" },
    (m, t) => {
      posted = m as { privateKey: Uint8Array };
      transfer = t;
      port1.postMessage(m, t);
    },
    () =>
      Promise.resolve({ privateKey: decrypted, address: new Uint8Array(20) }),
  );
  try {
    ok(posted);
    strictEqual(transfer.length, 1);
    strictEqual(transfer[0], posted.privateKey.buffer);
    // Moved, not copied: nothing of the key stays on the sending side.
    strictEqual(posted.privateKey.byteLength, 0);
    deepStrictEqual(decrypted, new Uint8Array(32));
    const received = (await got).data as { id: number; privateKey: Uint8Array };
    strictEqual(received.id, 7);
    deepStrictEqual(received.privateKey, KEY);
    strictEqual(received.privateKey.buffer.byteLength, 32);
  } finally {
    port1.close();
    port2.close();
  }
});

Deno.test("handleUnlock() wipes the key when posting fails and reports errors without it", async () => {
  const decrypted = KEY.slice();
  const messages: unknown[] = [];
  let sent: Uint8Array | undefined;
  await handleUnlock(
    { id: 1, json: "{}", password: "pw" },
    (m, _t) => {
      const key = (m as { privateKey?: Uint8Array }).privateKey;
      if (key) {
        sent = key;
        throw new DOMException("cannot post", "DataCloneError");
      }
      messages.push(m);
    },
    () =>
      Promise.resolve({ privateKey: decrypted, address: new Uint8Array(20) }),
  );
  deepStrictEqual(decrypted, new Uint8Array(32));
  deepStrictEqual(sent, new Uint8Array(32));
  deepStrictEqual(messages, [{
    id: 1,
    error: { name: "DataCloneError", message: "cannot post" },
  }]);
});

Deno.test("KeyUnlocker.decrypt() hands over a key in a buffer of its own", async () => {
  const u = new KeyUnlocker();
  try {
    const k = await u.decrypt(await keyFile(), PW);
    deepStrictEqual(k.privateKey, KEY);
    strictEqual(k.privateKey.byteOffset, 0);
    strictEqual(k.privateKey.buffer.byteLength, 32);
    k.privateKey.fill(0);
  } finally {
    u.close();
  }
});

Deno.test("privateKeyToAddress() (run in the unlock Worker) never turns the key into a string", () => {
  const proto = Uint8Array.prototype as unknown as { toHex?: () => string };
  const toHex = proto.toHex;
  const bigToString = BigInt.prototype.toString;
  const key = new Uint8Array(32).map((_, i) => i + 1);
  const keyHex = Array.from(key, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const want = privateKeyToAddress(key);
  const made: string[] = [];
  let got;
  try {
    if (toHex) {
      proto.toHex = function (this: Uint8Array) {
        const out = toHex.call(this);
        made.push(out);
        return out;
      };
    }
    BigInt.prototype.toString = function (this: bigint, radix?: number) {
      const out = bigToString.call(this, radix);
      made.push(out);
      return out;
    };
    got = privateKeyToAddress(key);
  } finally {
    if (toHex) proto.toHex = toHex;
    BigInt.prototype.toString = bigToString;
  }
  deepStrictEqual(got, want);
  for (const m of made) {
    ok(!m.toLowerCase().includes(keyHex), "key as a string");
  }
});
