/**
 * Files both ways (issue 8, point 4): a config folder and key file made by
 * real Clef (`importraw`, `init`, `setpw`, `attest`) run stave's daemon with
 * the guide's Clique rule, and ones made by stave run Clef; each seals
 * Clique headers that recover to the account (ethers), unattended.
 *
 * @module
 */
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { cliqueHeader, cliqueRlp, recoverCliqueSigner } from "../_daemon.ts";
import {
  importKey,
  ipcExchange,
  makeConfig,
  type Program,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  ROOT,
  startSigner,
} from "./_clef.ts";

const RULES = join(ROOT, "rules", "clique_only.js");

for (
  const [maker, runner] of [["clef", "stave"], ["stave", "clef"]] as [
    Program,
    Program,
  ][]
) {
  Deno.test({
    name:
      `Clef interop: config folder and key file made by ${maker} run ${runner}'s daemon`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const root = await Deno.makeTempDir({ prefix: "stave-clef-files-" });
      const home = join(root, "home");
      await Deno.mkdir(home);
      const ks = join(root, "keystore");
      const cfg = join(root, "config");
      try {
        strictEqual(
          await importKey(maker, ks, RAW_KEY_HEX, home),
          RAW_KEY_ADDRESS,
        );
        await makeConfig(
          maker,
          cfg,
          [RAW_KEY_ADDRESS],
          await Deno.readTextFile(RULES),
          home,
        );
        const d = await startSigner(runner, {
          configdir: cfg,
          keystore: ks,
          rules: RULES,
          stateDir: root,
          home,
        });
        try {
          for (let n = 1; n <= 3; n++) {
            const h = cliqueHeader(n, { baseFee: n === 3 ? 7n : undefined });
            const req = JSON.stringify({
              jsonrpc: "2.0",
              id: n,
              method: "account_signData",
              params: [
                "application/x-clique-header",
                RAW_KEY_ADDRESS,
                cliqueRlp(h),
              ],
            });
            const out = await ipcExchange(
              d.ipcPath,
              new TextEncoder().encode(req),
              { graceMs: 30_000 },
            );
            strictEqual(out.values.length, 1, JSON.stringify(out));
            const seal = JSON.parse(out.values[0]).result;
            strictEqual(
              recoverCliqueSigner(h, seal),
              RAW_KEY_ADDRESS,
              out.values[0],
            );
          }
          // The rule still refuses anything else: the attested file is in force.
          const other = await ipcExchange(
            d.ipcPath,
            new TextEncoder().encode(
              '{"jsonrpc":"2.0","id":9,"method":"account_signData","params":["text/plain","' +
                RAW_KEY_ADDRESS + '","0x01"]}',
            ),
            { graceMs: 30_000 },
          );
          strictEqual(
            other.values[0],
            '{"jsonrpc":"2.0","id":9,"error":{"code":-32000,"message":"request denied"}}',
          );
        } finally {
          await d.stop();
        }
      } finally {
        await Deno.remove(root, { recursive: true }).catch(() => {});
      }
    },
  });
}
