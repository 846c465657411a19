import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { MemoryStore, NullStore, StoreKeyError } from "./store.ts";

Deno.test("MemoryStore() get/put/del with clef's empty-key rules", async () => {
  const s = new MemoryStore();
  await rejects(s.get(""), StoreKeyError);
  await rejects(s.get(""), { message: "0-length key" });
  await s.put("", "x");
  deepStrictEqual(s.keys(), []);
  await s.put("a", "1");
  await s.put("a", "2");
  strictEqual(await s.get("a"), "2");
  strictEqual(await s.get("b"), undefined);
  await s.del("b");
  await s.del("a");
  strictEqual(await s.get("a"), undefined);
});

Deno.test("NullStore() remembers nothing", async () => {
  const s = new NullStore();
  await s.put("a", "1");
  strictEqual(await s.get("a"), undefined);
  await s.del("a");
});
