/**
 * Daemon issue: bad and heavy input is answered with a JSON-RPC error (or
 * an HTTP status) while the daemon keeps serving — after every case a fresh
 * connection must still get `account_version`. One daemon (approve-all
 * rules attested, stored password, HTTP on) serves all steps.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { getAddress } from "ethers";
import {
  APPROVE_ALL_RULES,
  cliqueHeader,
  cliqueRlp,
  DEFAULT_CHAIN_ID,
  hexOfText,
  httpPost,
  IpcClient,
  type RpcResponse,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

const TO = getAddress("0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");
const UNKNOWN = getAddress("0x000000000000000000000000000000000000dead");
const MiB = 1024 * 1024;

function legacyTx(from: string, chainId: string) {
  return {
    from,
    to: TO,
    gas: "0x5208",
    gasPrice: "0x3b9aca00",
    maxFeePerGas: null,
    maxPriorityFeePerGas: null,
    value: "0x0",
    nonce: "0x0",
    input: "0x",
    chainId,
  };
}

function errorOf(r: RpcResponse, what: string) {
  ok(r.error, `${what}: expected an error, got ${JSON.stringify(r)}`);
  strictEqual("result" in r, false, `${what}: error and result`);
  return r.error;
}

Deno.test({
  name: "daemon answers bad input with errors and keeps serving",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s, { http: true });
    const stillServes = async () => {
      const c = await IpcClient.connect(d.ipcPath);
      try {
        strictEqual(await c.call("account_version"), "6.1.0");
      } finally {
        c.close();
      }
    };
    const one = async (method: string, params?: unknown[]) => {
      const c = await IpcClient.connect(d.ipcPath);
      try {
        return await c.request(method, params);
      } finally {
        c.close();
      }
    };
    try {
      await t.step(
        "malformed JSON over IPC → -32700 with id null, that connection closed, others fine",
        async () => {
          const other = await IpcClient.connect(d.ipcPath);
          const bad = await IpcClient.connect(d.ipcPath);
          await bad.sendRaw(
            `{"jsonrpc":"2.0","id":1,"method":'account_version'}\n`,
          );
          const v = await bad.nextUnmatched(30_000) as RpcResponse;
          ok(v, "no answer to malformed JSON");
          strictEqual(v.id, null);
          strictEqual(v.error?.code, -32700);
          strictEqual(
            v.error?.message,
            "invalid character '\\'' looking for beginning of value",
          );
          const closed = await Promise.race([
            bad.closed.then(() => true),
            sleep(30_000).then(() => false),
          ]);
          ok(closed, "connection not closed after a JSON syntax error");
          strictEqual(await other.call("account_version"), "6.1.0");
          other.close();
          await stillServes();
        },
      );

      await t.step("10 MiB HTTP body → 413", async () => {
        const body = new Uint8Array(10 * MiB).fill(0x20);
        const r = await httpPost(d.httpUrl!, body);
        strictEqual(r.status, 413, r.text);
        strictEqual(r.text, `content length too large (${10 * MiB}>5242880)\n`);
        const v = await httpPost(
          d.httpUrl!,
          '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
        );
        strictEqual(v.text, '{"jsonrpc":"2.0","id":1,"result":"6.1.0"}\n');
        await stillServes();
      });

      await t.step(
        "JSON nested 10,000 deep → an error, no crash (IPC and HTTP)",
        async () => {
          const deep = "[".repeat(10_000) + "]".repeat(10_000);
          // Inside params: 10,002 levels in all, over Go's 10,000 → parse error.
          const c = await IpcClient.connect(d.ipcPath);
          await c.sendRaw(
            `{"jsonrpc":"2.0","id":1,"method":"account_signData","params":["text/plain","${s.address}",${deep}]}\n`,
          );
          const v = await c.nextUnmatched(30_000) as RpcResponse;
          ok(v?.error, `no error for 10,002-deep JSON: ${JSON.stringify(v)}`);
          strictEqual(v.error.code, -32700);
          c.close();
          // A bare 10,000-deep batch over HTTP, and a much deeper one.
          for (
            const body of [deep, "[".repeat(200_000) + "]".repeat(200_000)]
          ) {
            const r = await httpPost(d.httpUrl!, body);
            strictEqual(r.status, 200, r.text.slice(0, 200));
            const j = JSON.parse(r.text);
            const e = Array.isArray(j) ? j[0] : j;
            ok(e?.error, `no error: ${r.text.slice(0, 200)}`);
          }
          // 9,000 deep inside the data param parses, then fails as data.
          const mid = "[".repeat(9_000) + "]".repeat(9_000);
          const c2 = await IpcClient.connect(d.ipcPath);
          await c2.sendRaw(
            `{"jsonrpc":"2.0","id":7,"method":"account_signData","params":["text/plain","${s.address}",${mid}]}\n`,
          );
          const v2 = await c2.nextUnmatched(30_000) as RpcResponse;
          deepStrictEqual(v2, {
            jsonrpc: "2.0",
            id: 7,
            error: { code: -32000, message: "wrong type []interface {}" },
          });
          c2.close();
          await stillServes();
        },
      );

      await t.step("invalid hex → decoder errors", async () => {
        const e1 = errorOf(
          await one("account_signData", ["text/plain", s.address, "0xzz"]),
          "0xzz",
        );
        deepStrictEqual(e1, { code: -32000, message: "invalid hex string" });
        const e2 = errorOf(
          await one("account_signData", ["text/plain", s.address, "1234"]),
          "no prefix",
        );
        deepStrictEqual(e2, {
          code: -32000,
          message: "hex string without 0x prefix",
        });
        const e3 = errorOf(
          await one("account_signTransaction", [{
            ...legacyTx(s.address, "0x4"),
            gas: "0xzz",
          }]),
          "gas 0xzz",
        );
        deepStrictEqual(e3, {
          code: -32602,
          message:
            "invalid argument 0: json: cannot unmarshal invalid hex string into Go struct field SendTxArgs.gas of type hexutil.Uint64",
        });
        await stillServes();
      });

      await t.step(
        "invalid RLP as Clique data → rlp error",
        async () => {
          for (
            const data of ["0x1234", "0xc0", cliqueRlp(cliqueHeader(1)) + "00"]
          ) {
            const e = errorOf(
              await one("account_signData", [
                "application/x-clique-header",
                s.address,
                data,
              ]),
              data.slice(0, 20),
            );
            strictEqual(e.code, -32000);
            ok(e.message.startsWith("rlp: "), e.message);
          }
          await stillServes();
        },
      );

      await t.step(
        "unknown account → 'unknown account' after approval",
        async () => {
          for (
            const r of [
              await one("account_signData", [
                "text/plain",
                UNKNOWN,
                hexOfText("x"),
              ]),
              await one("account_signTransaction", [legacyTx(UNKNOWN, "0x4")]),
            ]
          ) {
            deepStrictEqual(errorOf(r, "unknown"), {
              code: -32000,
              message: "unknown account",
            });
          }
          await stillServes();
        },
      );

      await t.step(
        "wrong chain id → 'requested chainid … does not match'",
        async () => {
          const r = await one("account_signTransaction", [
            legacyTx(s.address, "0x5"),
          ]);
          deepStrictEqual(errorOf(r, "chain id"), {
            code: -32000,
            message:
              "requested chainid 5 does not match the configuration of the signer",
          });
          strictEqual(DEFAULT_CHAIN_ID, 4);
          await stillServes();
        },
      );

      await t.step(
        "a batch of 1,000 calls over IPC → 1,000 answers in order",
        async () => {
          const c = await IpcClient.connect(d.ipcPath);
          const calls = Array.from(
            { length: 1000 },
            (_, i) =>
              i % 2 === 0 ? { method: "account_version" } : {
                method: "account_signData",
                params: ["text/plain", s.address, hexOfText(`msg ${i}`)],
              },
          );
          const rs = await c.batch(calls);
          strictEqual(rs.length, 1000);
          rs.forEach((r, i) => {
            strictEqual(r.id, i + 1);
            ok(!r.error, JSON.stringify(r));
            if (i % 2 === 0) {
              strictEqual(r.result, "6.1.0");
            } else ok(/^0x[0-9a-f]{130}$/.test(r.result as string));
          });
          c.close();
          // Over HTTP, 1,001 items are refused as a whole.
          const big = JSON.stringify(
            Array.from({ length: 1001 }, (_, i) => ({
              jsonrpc: "2.0",
              id: i + 1,
              method: "account_version",
            })),
          );
          const r = await httpPost(d.httpUrl!, big);
          deepStrictEqual(JSON.parse(r.text), [{
            jsonrpc: "2.0",
            id: 1,
            error: { code: -32600, message: "batch too large" },
          }]);
          await stillServes();
        },
      );

      await t.step(
        "1,000 concurrent requests over 50 connections → all answered, RSS bounded",
        async () => {
          const before = await d.memory();
          const clients = await Promise.all(
            Array.from({ length: 50 }, () => IpcClient.connect(d.ipcPath)),
          );
          const jobs: Promise<void>[] = [];
          for (let i = 0; i < 1000; i++) {
            const c = clients[i % 50];
            const kind = i % 4;
            if (kind === 0) {
              jobs.push(
                c.call("account_version").then((v) => strictEqual(v, "6.1.0")),
              );
            } else if (kind === 1) {
              jobs.push(
                c.call<string[]>("account_list").then((v) =>
                  deepStrictEqual(v, [s.address.toLowerCase()])
                ),
              );
            } else if (kind === 2) {
              jobs.push(
                c.call<string>("account_signData", [
                  "text/plain",
                  s.address,
                  hexOfText(`concurrent ${i}`),
                ]).then((v) => ok(/^0x[0-9a-f]{130}$/.test(v))),
              );
            } else {
              jobs.push(
                c.call<string>("account_signData", [
                  "application/x-clique-header",
                  s.address,
                  cliqueRlp(cliqueHeader(i)),
                ]).then((v) => ok(/^0x[0-9a-f]{128}0[01]$/.test(v))),
              );
            }
          }
          await Promise.all(jobs);
          for (const c of clients) c.close();
          const after = await d.memory();
          console.log(
            `daemon RSS before ${
              (before.rssKiB / 1024).toFixed(1)
            } MiB, after ${(after.rssKiB / 1024).toFixed(1)} MiB, peak ${
              (after.hwmKiB / 1024).toFixed(1)
            } MiB`,
          );
          ok(after.rssKiB < 300 * 1024, `RSS ${after.rssKiB} KiB`);
          ok(after.hwmKiB < 300 * 1024, `peak RSS ${after.hwmKiB} KiB`);
          await stillServes();
        },
      );
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, `daemon exit\n${d.stderrText()}`);
    }
  },
});
