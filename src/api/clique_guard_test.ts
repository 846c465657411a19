import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { CliqueGuard, CliqueGuardError } from "./clique_guard.ts";

class MapStore {
  map = new Map<string, string>();
  writes = 0;
  get(k: string) {
    return Promise.resolve(this.map.get(k));
  }
  async update(k: string, next: (v: string | undefined) => string | undefined) {
    const v = next(this.map.get(k));
    if (v === undefined) return;
    await new Promise((r) => setTimeout(r, 1));
    this.writes++;
    this.map.set(k, v);
  }
}

const A = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const H1 = "0x" + "11".repeat(32);
const H2 = "0x" + "22".repeat(32);

Deno.test("CliqueGuard.admit() allows increasing heights and the same header again", async () => {
  const g = new CliqueGuard(new MapStore());
  await g.admit(A, 1n, H1);
  await g.admit(A, 1n, H1);
  await g.admit(A, 2n, H2);
  deepStrictEqual(await g.state(A), { number: 2n, sealHash: H2 });
});

Deno.test("CliqueGuard.admit() refuses a different header at the same height", async () => {
  const g = new CliqueGuard(new MapStore());
  await g.admit(A, 5n, H1);
  await rejects(g.admit(A, 5n, H2), CliqueGuardError);
});

Deno.test("CliqueGuard.admit() refuses a lower height", async () => {
  const g = new CliqueGuard(new MapStore());
  await g.admit(A, 5n, H1);
  await rejects(g.admit(A, 4n, H2), /below the highest signed block 5/);
});

Deno.test("CliqueGuard.admit() serialises concurrent requests at one height", async () => {
  const store = new MapStore();
  const g = new CliqueGuard(store);
  const hashes = Array.from(
    { length: 20 },
    (_, i) => "0x" + i.toString(16).padStart(64, "0"),
  );
  const results = await Promise.allSettled(
    hashes.map((h) => g.admit(A, 7n, h)),
  );
  strictEqual(results.filter((r) => r.status === "fulfilled").length, 1);
  strictEqual(store.writes, 1);
});

Deno.test("CliqueGuard.reset() lets a height be signed once more", async () => {
  const g = new CliqueGuard(new MapStore());
  await g.admit(A, 10n, H1);
  await g.reset(A, 8n);
  await rejects(g.admit(A, 7n, H1), CliqueGuardError);
  await g.admit(A, 8n, H2);
  await rejects(g.admit(A, 8n, H1), CliqueGuardError);
});

Deno.test("CliqueGuard keeps accounts apart", async () => {
  const g = new CliqueGuard(new MapStore());
  await g.admit(A, 10n, H1);
  await g.admit("0x" + "ab".repeat(20), 3n, H2);
});

Deno.test("CliqueGuard.raise() only moves a record up and reports a conflicting seal hash", async () => {
  const g = new CliqueGuard(new MapStore());
  strictEqual(await g.raise(A, { number: 5n, sealHash: H1 }), "raised");
  strictEqual(await g.raise(A, { number: 4n, sealHash: H2 }), "kept");
  strictEqual(await g.raise(A, { number: 5n, sealHash: H1 }), "kept");
  strictEqual(await g.raise(A, { number: 5n, sealHash: H2 }), "conflict");
  strictEqual(await g.raise(A, { number: 5n, sealHash: null }), "kept");
  deepStrictEqual(await g.state(A), { number: 5n, sealHash: H1 });
  await g.reset(A, 5n);
  strictEqual(await g.raise(A, { number: 5n, sealHash: H2 }), "raised");
  deepStrictEqual(await g.state(A), { number: 5n, sealHash: H2 });
});

Deno.test("CliqueGuard over a GuardBackend keys records by chain id", async () => {
  const rows = new Map<string, { number: bigint; sealHash: string | null }>();
  const backend = {
    read: (c: bigint, a: string) => Promise.resolve(rows.get(`${c}/${a}`)),
    update(
      c: bigint,
      a: string,
      next: (
        v: { number: bigint; sealHash: string | null } | undefined,
      ) => { number: bigint; sealHash: string | null } | undefined,
    ) {
      const v = next(rows.get(`${c}/${a}`));
      if (v) rows.set(`${c}/${a}`, v);
      return Promise.resolve();
    },
  };
  const g1 = new CliqueGuard(backend, { chainId: 1n });
  const g2 = new CliqueGuard(backend, { chainId: 2n });
  await g1.admit(A, 5n, H1);
  await g2.admit(A, 3n, H2);
  await rejects(g1.admit(A, 4n, H2), /below the highest signed block 5/);
  deepStrictEqual([...rows.keys()], [`1/${A}`, `2/${A}`]);
});
