/**
 * Rules issue acceptance, end to end with the Clique guide's three rules
 * files in `rules/` (attested with `stave attest <path>`): Clique headers
 * are signed, everything else is refused; the stateful rule refuses a
 * repeated or lower height, also after a daemon restart; an unattested or
 * edited rules file stops the daemon at start (exit 78, says what to run).
 */
import { EXIT_CONFIG } from "../src/errors.ts";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { getAddress } from "ethers";
import {
  attestRules,
  cliqueHeader,
  cliqueRlp,
  DEFAULT_CHAIN_ID,
  GUIDE_RULES,
  hexOfText,
  IpcClient,
  recoverCliqueSigner,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

const DENIED = { code: -32000, message: "request denied" };
const TO = getAddress("0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");

function typedDataHex(): string {
  const td = {
    types: {
      EIP712Domain: [{ name: "name", type: "string" }],
      Mail: [{ name: "contents", type: "string" }],
    },
    primaryType: "Mail",
    domain: { name: "Ether Mail" },
    message: { contents: "Hello" },
  };
  return hexOfText(JSON.stringify(td));
}

Deno.test({
  name:
    "rules/clique_only.js: Clique headers signed, listing approved, everything else refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    const d = await startDaemon(s, { stdin: "null" });
    const c = await IpcClient.connect(d.ipcPath);
    try {
      deepStrictEqual(await c.call("account_list"), [s.address.toLowerCase()]);
      for (const h of [cliqueHeader(10), cliqueHeader(11, { baseFee: 1n })]) {
        const seal = await c.call<string>("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(h),
        ]);
        strictEqual(recoverCliqueSigner(h, seal), s.address);
      }
      const refused = [
        ["account_signData", ["text/plain", s.address, hexOfText("hi")]],
        ["account_signData", ["data/typed", s.address, typedDataHex()]],
        ["account_signTypedData", [
          s.address,
          JSON.parse(
            new TextDecoder().decode(
              Uint8Array.from(
                typedDataHex().slice(2).match(/../g)!.map((x) =>
                  parseInt(x, 16)
                ),
              ),
            ),
          ),
        ]],
        ["account_signData", ["data/validator", s.address, {
          address: TO,
          message: "0x00",
        }]],
        ["account_signTransaction", [{
          from: s.address,
          to: TO,
          gas: "0x5208",
          gasPrice: "0x1",
          maxFeePerGas: null,
          maxPriorityFeePerGas: null,
          value: "0x0",
          nonce: "0x0",
          input: "0x",
          chainId: "0x4",
        }]],
      ] as const;
      for (const [method, params] of refused) {
        const r = await c.request(method, [...params]);
        deepStrictEqual(
          r.error,
          DENIED,
          `${method} ${params[0]}: ${JSON.stringify(r)}`,
        );
      }
      strictEqual(await c.call("account_version"), "6.1.0");
    } finally {
      c.close();
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "rules/list_only.js: listing approved, Clique request logged and left to the UI (denied at EOF)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.listOnly });
    const d = await startDaemon(s, { stdin: "null" });
    const c = await IpcClient.connect(d.ipcPath);
    try {
      deepStrictEqual(await c.call("account_list"), [s.address.toLowerCase()]);
      const r = await c.request("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(cliqueHeader(3)),
      ]);
      deepStrictEqual(r.error, DENIED);
      await sleep(100);
      ok(
        d.stderrText().includes("JS:>  In Approve Sign data"),
        d.stderrText(),
      );
      ok(
        d.stderrText().includes('"content_type":"application/x-clique-header"'),
      );
    } finally {
      c.close();
      await d.stop();
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "rules/clique_lastblock.js: refuses a repeated or lower height, also after a restart",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueLastblock });
    let d = await startDaemon(s, { stdin: "null" });
    const seal = async (c: IpcClient, n: number, time?: bigint) => {
      const h = cliqueHeader(n, time === undefined ? {} : { time });
      return await c.request("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(h),
      ]).then((r) => ({ r, h }));
    };
    try {
      let c = await IpcClient.connect(d.ipcPath);
      for (const n of [1, 2, 5]) {
        const { r, h } = await seal(c, n);
        ok(!r.error, `height ${n}: ${JSON.stringify(r.error)}`);
        strictEqual(recoverCliqueSigner(h, r.result as string), s.address);
      }
      deepStrictEqual((await seal(c, 5)).r.error, DENIED, "same header again");
      deepStrictEqual(
        (await seal(c, 5, 1n)).r.error,
        DENIED,
        "other header, same height",
      );
      deepStrictEqual((await seal(c, 4)).r.error, DENIED, "lower height");
      c.close();
      strictEqual((await d.stop()).code, 0, d.stderrText());

      d = await startDaemon(s, { stdin: "null" });
      c = await IpcClient.connect(d.ipcPath);
      deepStrictEqual(
        (await seal(c, 5, 2n)).r.error,
        DENIED,
        "height 5 after restart",
      );
      deepStrictEqual(
        (await seal(c, 3)).r.error,
        DENIED,
        "height 3 after restart",
      );
      const { r, h } = await seal(c, 6);
      ok(!r.error, JSON.stringify(r.error));
      strictEqual(recoverCliqueSigner(h, r.result as string), s.address);
      c.close();
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "daemon refuses to start with an unattested or edited rules file (exit 78, names stave attest)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      // Another (unattested) file.
      const d1 = await startDaemon(s, {
        rules: GUIDE_RULES.listOnly,
        wait: false,
      });
      const st1 = await Promise.race([
        d1.status,
        sleep(30_000).then(() => null),
      ]);
      if (st1 === null) await d1.kill9();
      strictEqual(st1?.code, EXIT_CONFIG, d1.stderrText());
      ok(
        /stave .*attest/.test(d1.stderrText() + d1.stdoutText()),
        d1.stderrText(),
      );
      // The hint can be pasted: it repeats the flags the daemon was given.
      ok(
        d1.stderrText().includes(
          `run 'stave --configdir ${s.configdir} --keystore ${s.keystore} --signersecret ${s.masterPasswordFile} --chainid ${DEFAULT_CHAIN_ID} attest `,
        ),
        d1.stderrText(),
      );

      // The attested file, edited by one byte.
      const edited = join(s.dirs.root, "edited.js");
      await Deno.writeTextFile(
        edited,
        (await Deno.readTextFile(GUIDE_RULES.cliqueOnly)) + " ",
      );
      const d2 = await startDaemon(s, { rules: edited, wait: false });
      const st2 = await Promise.race([
        d2.status,
        sleep(30_000).then(() => null),
      ]);
      if (st2 === null) await d2.kill9();
      strictEqual(st2?.code, EXIT_CONFIG, d2.stderrText());
      ok(
        /stave .*attest/.test(d2.stderrText() + d2.stdoutText()),
        d2.stderrText(),
      );
    } finally {
      await s.cleanup();
    }
  },
});

/** Waits (at most 30 s: hangs only) until the daemon's log shows `text`. */
async function logged(d: { stderrText(): string }, text: string) {
  for (let i = 0; i < 600 && !d.stderrText().includes(text); i++) {
    await sleep(50);
  }
  ok(d.stderrText().includes(text), `no "${text}" in the log`);
}

Deno.test({
  name:
    "SIGHUP re-reads the rules: an unattested file keeps the old rules, an attested one takes over",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner();
    const path = join(s.dirs.root, "rules.js");
    await Deno.copyFile(GUIDE_RULES.cliqueOnly, path);
    await attestRules(s, path);
    const d = await startDaemon(s, { stdin: "null" });
    const c = await IpcClient.connect(d.ipcPath);
    const sealAt = (n: number) =>
      c.request("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(cliqueHeader(n)),
      ]);
    try {
      ok(!(await sealAt(1)).error);
      await Deno.copyFile(GUIDE_RULES.listOnly, path);
      Deno.kill(await d.daemonPid(), "SIGHUP");
      await logged(d, "Rules reload refused");
      const r2 = await sealAt(2);
      ok(
        !r2.error,
        `old rules not kept after an unattested reload: ${JSON.stringify(r2)}`,
      );
      await attestRules(s, path);
      Deno.kill(await d.daemonPid(), "SIGHUP");
      await logged(d, "Rules reloaded"); // the new file is checked first
      deepStrictEqual(
        (await sealAt(3)).error,
        DENIED,
        "new rules not in force",
      );
      ok(d.stderrText().includes("JS:>  In Approve Sign data"));
    } finally {
      c.close();
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});
