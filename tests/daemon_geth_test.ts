/**
 * Daemon issue acceptance: a client that sends exactly what geth sends
 * (spec external-api.md §5) over IPC, and Nethermind's Clef plugin over
 * HTTP, against the real daemon (`deno task --quiet stave`) with an
 * attested approve-all rules file and the master password in a
 * `--signersecret` file. Answers are checked as geth/Nethermind decode them,
 * with ethers v6 as the independent oracle.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  encodeBase64,
  encodeRlp,
  getAddress,
  getBytes,
  hexlify,
  keccak256,
  recoverAddress,
  Signature,
  toBeHex,
  Transaction,
  verifyMessage,
} from "ethers";
import {
  APPROVE_ALL_RULES,
  cliqueHeader,
  cliqueRlp,
  DEFAULT_CHAIN_ID,
  hexOfText,
  httpPost,
  IpcClient,
  recoverCliqueSigner,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";

const TO = getAddress("0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");
const CHAIN = "0x" + DEFAULT_CHAIN_ID.toString(16);

/** Fields geth's transaction JSON decoder requires per type (external-api.md §5 point 6). */
const REQUIRED: Record<number, string[]> = {
  0: ["nonce", "gas", "value", "input", "r", "s", "v", "gasPrice"],
  1: ["nonce", "gas", "value", "input", "r", "s", "v", "gasPrice", "chainId"],
  2: [
    "nonce",
    "gas",
    "value",
    "input",
    "r",
    "s",
    "v",
    "chainId",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
  ],
  3: [
    "nonce",
    "gas",
    "value",
    "input",
    "r",
    "s",
    "v",
    "chainId",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
    "maxFeePerBlobGas",
    "to",
    "blobVersionedHashes",
  ],
};

interface SignTxResult {
  raw: string;
  tx: Record<string, unknown>;
}

function q(n: bigint): string {
  return "0x" + n.toString(16);
}

/** Checks a SignTransactionResult as geth (tx JSON) and a node (raw) read it. */
function checkSignedTx(
  res: SignTxResult,
  type: number,
  from: string,
  want: Record<string, string>,
): Transaction {
  ok(typeof res.raw === "string" && res.raw.startsWith("0x"), "raw");
  const tx = res.tx;
  strictEqual(tx.type, "0x" + type.toString(16), "tx.type");
  for (const k of REQUIRED[type]) {
    ok(
      k in tx && tx[k] !== null,
      `tx.${k} missing or null: ${JSON.stringify(tx)}`,
    );
  }
  const parsed = Transaction.from(res.raw);
  strictEqual(parsed.type, type, "raw type");
  strictEqual(parsed.from, from, "signer recovered from raw");
  strictEqual(parsed.chainId, BigInt(DEFAULT_CHAIN_ID), "raw chain id");
  strictEqual(tx.chainId, CHAIN, "tx.chainId");
  strictEqual(tx.hash, parsed.hash, "tx.hash is the hash of the signed tx");
  strictEqual(tx.nonce, q(BigInt(parsed.nonce)), "tx.nonce");
  strictEqual(tx.gas, q(parsed.gasLimit), "tx.gas");
  strictEqual(tx.value, q(parsed.value), "tx.value");
  strictEqual(tx.input, parsed.data, "tx.input");
  strictEqual(tx.r, q(BigInt(parsed.signature!.r)), "tx.r");
  strictEqual(tx.s, q(BigInt(parsed.signature!.s)), "tx.s");
  if (type === 0) {
    strictEqual(
      BigInt(tx.v as string),
      BigInt(DEFAULT_CHAIN_ID) * 2n + 35n + BigInt(parsed.signature!.yParity),
      "EIP-155 v",
    );
  } else {
    strictEqual(BigInt(tx.v as string), BigInt(parsed.signature!.yParity), "v");
  }
  for (const [k, v] of Object.entries(want)) {
    strictEqual(String(tx[k]).toLowerCase(), v.toLowerCase(), `tx.${k}`);
  }
  return parsed;
}

/** A zero blob: its KZG commitment and proof are the point at infinity. */
function zeroBlobSidecar() {
  const blob = "0x" + "00".repeat(131072);
  const infinity = new Uint8Array(48);
  infinity[0] = 0xc0;
  const commitment = "0x" +
    Array.from(infinity, (b) => b.toString(16).padStart(2, "0")).join("");
  const h = sha256(infinity);
  h[0] = 0x01;
  const versionedHash = "0x" +
    Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
  return { blob, commitment, proof: commitment, versionedHash };
}

Deno.test({
  name:
    "daemon answers what geth sends over IPC (version, list, signData clique/text, signTransaction types 0-3)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s);
    const c = await IpcClient.connect(d.ipcPath);
    try {
      await t.step("account_version (id 1, no params) → 6.1.0", async () => {
        const r = await c.request("account_version");
        deepStrictEqual(r, { jsonrpc: "2.0", id: 1, result: "6.1.0" });
      });

      await t.step(
        "account_list → the imported account, lowercase hex",
        async () => {
          const r = await c.request("account_list");
          strictEqual(r.id, 2);
          deepStrictEqual(r.result, [s.address.toLowerCase()]);
        },
      );

      await t.step(
        "account_signData application/x-clique-header (pre-London and London) → seal with V 0/1 by the account",
        async () => {
          for (
            const h of [
              cliqueHeader(1),
              cliqueHeader(2, { baseFee: 875_000_000n }),
            ]
          ) {
            const seal = await c.call<string>("account_signData", [
              "application/x-clique-header",
              s.address,
              cliqueRlp(h),
            ]);
            strictEqual(recoverCliqueSigner(h, seal), s.address);
          }
        },
      );

      await t.step(
        "account_signData text/plain → EIP-191 signature, V 27/28",
        async () => {
          const sig = await c.call<string>("account_signData", [
            "text/plain",
            s.address,
            hexOfText("hello world"),
          ]);
          ok(/^0x[0-9a-f]{128}(1b|1c)$/.test(sig), sig);
          strictEqual(verifyMessage("hello world", sig), s.address);
        },
      );

      await t.step(
        "account_signTransaction legacy, the spec's example shape",
        async () => {
          const res = await c.call<SignTxResult>("account_signTransaction", [{
            from: s.address,
            to: TO,
            gas: "0x5208",
            gasPrice: "0x3b9aca00",
            maxFeePerGas: null,
            maxPriorityFeePerGas: null,
            value: "0x0",
            nonce: "0x2366",
            input: "0x",
            chainId: CHAIN,
          }]);
          const p = checkSignedTx(res, 0, s.address, {
            nonce: "0x2366",
            gas: "0x5208",
            gasPrice: "0x3b9aca00",
            to: TO,
            input: "0x",
          });
          strictEqual(p.to, TO);
          strictEqual(res.tx.maxFeePerGas, null);
          strictEqual(res.tx.maxPriorityFeePerGas, null);
        },
      );

      await t.step("account_signTransaction type 1 (access list)", async () => {
        const accessList = [{
          address: TO,
          storageKeys: ["0x" + "00".repeat(31) + "01"],
        }];
        const res = await c.call<SignTxResult>("account_signTransaction", [{
          from: s.address,
          to: TO,
          gas: "0x6000",
          gasPrice: "0x3b9aca00",
          maxFeePerGas: null,
          maxPriorityFeePerGas: null,
          value: "0xde0b6b3a7640000",
          nonce: "0x1",
          input: "0x",
          chainId: CHAIN,
          accessList,
        }]);
        const p = checkSignedTx(res, 1, s.address, {
          value: "0xde0b6b3a7640000",
          gasPrice: "0x3b9aca00",
        });
        deepStrictEqual(p.accessList, [{
          address: TO,
          storageKeys: accessList[0].storageKeys,
        }]);
        deepStrictEqual(res.tx.accessList, [{
          address: TO.toLowerCase(),
          storageKeys: accessList[0].storageKeys,
        }]);
      });

      await t.step("account_signTransaction type 2 (dynamic fee)", async () => {
        const res = await c.call<SignTxResult>("account_signTransaction", [{
          from: s.address,
          to: TO,
          gas: "0x5208",
          gasPrice: null,
          maxFeePerGas: "0x77359400",
          maxPriorityFeePerGas: "0x3b9aca00",
          value: "0x1",
          nonce: "0x2",
          input: "0x",
          chainId: CHAIN,
          accessList: [],
        }]);
        const p = checkSignedTx(res, 2, s.address, {
          maxFeePerGas: "0x77359400",
          maxPriorityFeePerGas: "0x3b9aca00",
        });
        strictEqual(p.maxFeePerGas, 0x77359400n);
        strictEqual(res.tx.gasPrice, null);
      });

      await t.step(
        "account_signTransaction type 3 with a one-blob sidecar (no maxFeePerBlobGas, as geth)",
        async () => {
          const sc = zeroBlobSidecar();
          const res = await c.call<SignTxResult>("account_signTransaction", [{
            from: s.address,
            to: TO,
            gas: "0x5208",
            gasPrice: null,
            maxFeePerGas: "0x77359400",
            maxPriorityFeePerGas: "0x3b9aca00",
            value: "0x0",
            nonce: "0x3",
            input: "0x",
            chainId: CHAIN,
            accessList: [],
            blobVersionedHashes: [sc.versionedHash],
            blobs: [sc.blob],
            commitments: [sc.commitment],
            proofs: [sc.proof],
          }]);
          const p = checkSignedTx(res, 3, s.address, {
            maxFeePerBlobGas: "0x0",
            to: TO,
          });
          deepStrictEqual(res.tx.blobVersionedHashes, [sc.versionedHash]);
          deepStrictEqual(p.blobVersionedHashes, [sc.versionedHash]);
          strictEqual(p.maxFeePerBlobGas, 0n);
        },
      );
    } finally {
      c.close();
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, `daemon exit on SIGTERM\n${d.stderrText()}`);
    }
  },
});

Deno.test({
  name:
    "daemon answers Nethermind's Clef plugin over HTTP (id 67, params [], lowercase address, charset)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s, { http: true });
    // Nethermind's BasicJsonRpcClient: {jsonrpc, method, params, id: 67},
    // "application/json; charset=utf-8", Accept: application/json, POST "".
    const post = async (method: string, params: unknown[]) => {
      const r = await httpPost(
        d.httpUrl!,
        JSON.stringify({ jsonrpc: "2.0", method, params, id: 67 }),
        {
          "content-type": "application/json; charset=utf-8",
          accept: "application/json",
        },
      );
      strictEqual(r.status, 200, r.text);
      ok(r.headers.get("content-type")?.startsWith("application/json"));
      // Go's json.Encoder ends the body with "\n", as real Clef does.
      ok(r.text.endsWith("}\n"), "HTTP body ends in a newline");
      const body = JSON.parse(r.text);
      strictEqual(body.id, 67);
      ok(!("error" in body), `${method}: ${r.text}`);
      return body.result;
    };
    try {
      deepStrictEqual(await post("account_list", []), [
        s.address.toLowerCase(),
      ]);
      const lower = s.address.toLowerCase();
      const hash = "0x" + "ab".repeat(32);
      const sig = await post("account_signData", ["text/plain", lower, hash]);
      strictEqual(
        verifyMessage(Uint8Array.from({ length: 32 }, () => 0xab), sig),
        s.address,
      );
      const h = cliqueHeader(77, { baseFee: 7n });
      const seal = await post("account_signData", [
        "application/x-clique-header",
        lower,
        cliqueRlp(h),
      ]);
      strictEqual(recoverCliqueSigner(h, seal), s.address);
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

/**
 * Nethermind's `ClefWallet.Sign(BlockHeader)` for a Clique block that
 * carries Shanghai (and Cancun) fields, built from Nethermind's encoding
 * rules with ethers: `CliqueSealer` clones the header and cuts the 65-byte
 * seal slot off `ExtraData`; `HeaderDecoder` with `RlpBehaviors.None`
 * writes the 15 mandatory fields, baseFee, withdrawalsRoot, blobGasUsed,
 * excessBlobGas, parentBeaconBlockRoot (each when set).
 */
function nethermindHeaderRlp(
  h: ReturnType<typeof cliqueHeader>,
  later: string[],
): string {
  const q = (n: bigint) => (n === 0n ? "0x" : toBeHex(n));
  return encodeRlp([
    h.parentHash,
    h.uncleHash,
    h.coinbase,
    h.root,
    h.txHash,
    h.receiptHash,
    h.bloom,
    q(h.difficulty),
    q(h.number),
    q(h.gasLimit),
    q(h.gasUsed),
    q(h.time),
    h.extra, // vanity only: the seal slot is cut off before encoding
    h.mixDigest,
    h.nonce,
    q(h.baseFee ?? 0n),
    ...later,
  ]);
}

/** Logs what a rule sees of a Clique request, and approves Clique headers. */
const RECORDING_RULES = `function ApproveListing(){ return "Approve" }
function ApproveSignData(r){
  console.log("REQ " + JSON.stringify({ hash: r.hash, raw: r.raw_data, messages: r.messages }))
  return r.content_type == "application/x-clique-header" ? "Approve" : "Reject"
}
`;

Deno.test({
  name:
    "Nethermind Clique with withdrawals: a Shanghai/Cancun header posted as ClefWallet does is sealed as Nethermind verifies it; the rule sees what is signed; --clique-guard holds",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: RECORDING_RULES });
    const d = await startDaemon(s, {
      http: true,
      extraFlags: ["--clique-guard"],
    });
    // BasicJsonRpcClient: id 67, charset, a 10 s timeout (ClefSignerPlugin)
    const post = async (method: string, params: unknown[]) => {
      const r = await fetch(d.httpUrl!, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          accept: "application/json",
        },
        body: JSON.stringify({ jsonrpc: "2.0", method, params, id: 67 }),
        signal: AbortSignal.timeout(10_000),
      });
      strictEqual(r.status, 200);
      const body = JSON.parse(await r.text());
      strictEqual(body.id, 67);
      return body as {
        result?: string;
        error?: { code: number; message: string };
      };
    };
    try {
      const lower = s.address.toLowerCase();
      const shanghai = ["0x" + "56".repeat(32)];
      const cancun = [...shanghai, "0x", "0x020000", "0x" + "be".repeat(32)];
      for (const [i, later] of [shanghai, cancun].entries()) {
        const hi = cliqueHeader(100 + i, { baseFee: 7n });
        const sent = nethermindHeaderRlp(hi, later);
        const r = await post("account_signData", [
          "application/x-clique-header",
          lower,
          sent,
        ]);
        ok(r.result, JSON.stringify(r));
        const seal = getBytes(r.result);
        strictEqual(seal.length, 65);
        ok(seal[64] === 0 || seal[64] === 1, "V 0/1: Nethermind's recovery id");
        // Nethermind's verifier: keccak256 of the header RLP (seal cut off)
        const signer = recoverAddress(
          keccak256(sent),
          Signature.from({
            r: hexlify(seal.subarray(0, 32)),
            s: hexlify(seal.subarray(32, 64)),
            yParity: seal[64] as 0 | 1,
          }),
        );
        strictEqual(signer, s.address);
        // the rule saw exactly that: hash, raw bytes, and the messages
        const seen = d.stderrText().split("\n").filter((l) =>
          l.includes("JS:>  REQ {")
        ).map((l) => JSON.parse(l.slice(l.indexOf("REQ ") + 4)));
        const req = seen.find((x) => x.hash === keccak256(sent));
        ok(req, `rule request for ${keccak256(sent)}: ${d.stderrText()}`);
        strictEqual(req.raw, encodeBase64(getBytes(sent)));
        strictEqual(req.messages[0].name, "Clique header");
        ok(req.messages[0].value.startsWith(`clique header ${100 + i} [0x`));
        strictEqual(req.messages[1].name, "Clique seal hash");
        ok(
          req.messages[1].value.includes(
            i === 0
              ? "including withdrawalsHash ("
              : "including withdrawalsHash, blobGasUsed, excessBlobGas, parentBeaconRoot (",
          ),
          req.messages[1].value,
        );
      }
      // the guard: a different header at 101 is refused, 101 again is signed
      const again = nethermindHeaderRlp(
        cliqueHeader(101, { baseFee: 7n }),
        cancun,
      );
      ok(
        (await post("account_signData", [
          "application/x-clique-header",
          lower,
          again,
        ])).result,
      );
      const other = nethermindHeaderRlp(
        cliqueHeader(101, { baseFee: 8n }),
        cancun,
      );
      const refused = await post("account_signData", [
        "application/x-clique-header",
        lower,
        other,
      ]);
      deepStrictEqual(refused.error, {
        code: -32000,
        message:
          "clique guard: refusing to sign a second, different header at block 101",
      });
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});
