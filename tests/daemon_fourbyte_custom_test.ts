/**
 * issue 7 finding 8: every transaction carrying a new selector rewrote the
 * whole `--4bytedb-custom` file (136 MB written for 3,000 refused
 * requests). Writes are now batched, each still atomic (a temp file renamed
 * over the target), and a known selector writes nothing. Writes are counted
 * as the temp files created in the folder (inotify, `Deno.watchFs`).
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  APPROVE_ALL_RULES,
  IpcClient,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

// Not checksummed: "Invalid checksum on recipient address" refuses the
// transaction after its calldata (and selector) were checked.
const TO = "0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3";

function selectorId(sel: string): string {
  return Array.from(
    keccak_256(new TextEncoder().encode(sel)).subarray(0, 4),
    (x) => x.toString(16).padStart(2, "0"),
  ).join("");
}

async function waitFor(what: string, cond: () => Promise<boolean>) {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name:
    "daemon batches --4bytedb-custom writes and writes nothing for known selectors",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const file = join(s.dirs.root, "4byte-custom.json");
    const temps = new Set<string>();
    const watcher = Deno.watchFs(s.dirs.root);
    const watching = (async () => {
      for await (const e of watcher) {
        for (const p of e.paths) {
          if (e.kind === "create" && p.includes(".4byte-custom.json.tmp")) {
            temps.add(p);
          }
        }
      }
    })();
    const d = await startDaemon(s);
    const c = await IpcClient.connect(d.ipcPath);
    const send = (sel: string) =>
      c.request("account_signTransaction", [{
        from: s.address,
        to: TO,
        gas: "0x5208",
        gasPrice: "0x1",
        value: "0x0",
        nonce: "0x0",
        data: "0x" + selectorId(sel) + "00".repeat(32),
      }, sel]);
    const fileHas = async (sels: string[]) => {
      try {
        const text = await Deno.readTextFile(file);
        return sels.every((x) => text.includes(`"${selectorId(x)}":"${x}"`));
      } catch {
        return false;
      }
    };
    let stopped = false;
    try {
      // One new selector, then the same refused request 20 times: one write.
      for (let i = 0; i < 21; i++) {
        const r = await send("foo(uint256)");
        strictEqual(
          r.error?.message,
          "validation failed: Invalid checksum on recipient address",
        );
      }
      await waitFor("foo in the file", () => fileHas(["foo(uint256)"]));
      await sleep(2000); // a rewrite would show within the batching delay
      strictEqual(temps.size, 1, [...temps].join("\n"));

      // 300 new selectors at once: all kept, in a few whole-file writes.
      const sels = Array.from({ length: 300 }, (_, i) => `f${i}(uint256)`);
      const answers = await Promise.all(sels.map(send));
      for (const a of answers) ok(a.error, JSON.stringify(a));
      await d.stop();
      stopped = true; // shutdown writes what is pending
      const writes = temps.size - 1;
      ok(writes >= 1 && writes < sels.length / 4, `${writes} writes`);
      ok(await fileHas(["foo(uint256)", ...sels]), "all selectors kept");
      // Every write was a rename: no temp file is left.
      for await (const e of Deno.readDir(s.dirs.root)) {
        ok(!e.name.includes(".tmp"), e.name);
      }
    } finally {
      c.close();
      if (!stopped) await d.stop();
      watcher.close();
      await watching;
      await s.cleanup();
    }
  },
});
